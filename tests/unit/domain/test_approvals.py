"""Who must approve a photo: needs filled as a matching, each approver counting once."""
from pressroom.domain.approvals import APPROVERS, Need, assigned, counts, unmet

LEAD = Need("safeguarding-leads", "a safeguarding lead", "children may be in the photo")
NEEDS = [Need(), LEAD]
MEMBERS = {APPROVERS: ["ann@x.example", "lee@x.example", "bob@x.example"],
           "safeguarding-leads": ["lee@x.example", "meg@x.example"]}


def test_one_need_is_filled_by_any_approver_and_by_nobody_else():
    assert unmet([Need()], ["ann@x.example"], MEMBERS) == []
    assert unmet([Need()], ["meg@x.example"], MEMBERS) == [Need()]  # a lead who is not an approver
    assert unmet([Need()], [], MEMBERS) == [Need()]


def test_two_needs_take_two_people():
    assert unmet(NEEDS, ["lee@x.example"], MEMBERS) == [LEAD]  # a lead on both lists counts once
    assert not counts(NEEDS, ["lee@x.example"], MEMBERS, "LEE@x.example")  # not twice, whatever the case
    assert unmet(NEEDS, ["lee@x.example", "meg@x.example"], MEMBERS) == []


def test_a_lead_who_approved_first_lets_a_plain_approver_finish():
    """Matching, not first come first served: the lead's approval moves to the lead's need."""
    assert counts(NEEDS, ["lee@x.example"], MEMBERS, "bob@x.example")
    assert assigned(NEEDS, ["lee@x.example", "bob@x.example"], MEMBERS) == {0: "bob@x.example", 1: "lee@x.example"}


def test_after_a_plain_approver_only_a_lead_counts():
    assert not counts(NEEDS, ["ann@x.example"], MEMBERS, "bob@x.example")
    assert counts(NEEDS, ["ann@x.example"], MEMBERS, "meg@x.example")
    assert counts(NEEDS, ["ann@x.example"], MEMBERS, "lee@x.example")


def test_a_group_nobody_is_in_is_never_filled():
    lonely = Need("press-officers", "a press officer")
    assert unmet([Need(), lonely], ["ann@x.example", "lee@x.example"], MEMBERS) == [lonely]
