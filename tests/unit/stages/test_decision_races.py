"""A decision racing the other writes a waiting photo gets: only another decision refuses it.

While a photo waits, the request stage claims and confirms each approver (two writes each), a
redelivery may claim a stale one again, the reminder writes once. An approver who opens their link
the moment their email arrives decides while the request still writes about the next approver, so
several of those writes can land between the decision's read and its write.
"""
from datetime import timedelta

import pytest

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain import clock, links
from pressroom.domain.approvals import publish_check_schedule
from pressroom.domain.photos import State
from pressroom.stages.request_approval import ACTOR as REQUESTER
from pressroom.stages.request_approval import unchanged
from tests.unit.stages import approvals as approval
from tests.unit.stages.approvals import FORM, NOW, ONE, PID, TWO, body, publish_messages, tokens, waiting


def _between_each_attempt(store, monkeypatch, writes):
    """Run the next of ``writes`` just before each of the decision's own writes reaches the table."""
    real, pending = store._db.transact_write_items, list(writes)

    def racing(**kwargs):
        deciding = any(item.get("Put", {}).get("Item", {}).get("actor", {}).get("S") in (ONE, TWO)
                       for item in kwargs["TransactItems"])
        if deciding and pending:
            pending.pop(0)()
        return real(**kwargs)

    monkeypatch.setattr(store._db, "transact_write_items", racing)
    return pending


def _request_write(store, event):
    """One of the request stage's writes about an approver (a claim or its confirmation)."""
    def write():
        photo = store.get(PID)
        store.update(PID, State.NEEDS_APPROVAL, actor=REQUESTER, event=event,
                     changes={"asking": {TWO: clock.iso(NOW)} if event == "approval-requested" else {}},
                     detail={"approver": TWO}, condition=unchanged(photo))
    return write


@pytest.fixture
def asked_one(store, corpus):
    """ONE has been emailed; the request stage is still writing about TWO."""
    pid = waiting(store, corpus)
    assert approval.request_approval(pid, now=NOW) == [ONE, TWO]
    return tokens(pid)


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("writes", [2, 3, 6])
def test_a_decision_is_recorded_however_many_request_writes_land_meanwhile(store, aws, asked_one, monkeypatch,
                                                                          action, writes):
    events = ["approval-requested", "approval-emailed"] * writes
    pending = _between_each_attempt(store, monkeypatch, [_request_write(store, e) for e in events[:writes]])
    page = approval.decide(PID, body(asked_one[ONE], decision=action, reason="a face in the crowd"), FORM, now=NOW)
    assert not pending and page.status == 200, page.html
    photo = store.get(PID)
    assert photo.state == (State.APPROVED if action == "approve" else State.REJECTED)
    assert photo.decision["by"] == ONE and photo.decision["why"] == "a face in the crowd"
    assert links.verify(parameters.signing_key(), asked_one[ONE], NOW).nonce in photo.used_nonces
    assert publish_messages(aws) == ([{"photo_id": PID}] if action == "approve" else [])
    decided = [e for e in store.audit(PID) if e["event"].startswith("NEEDS_APPROVAL→")]
    assert len(decided) == 1


def test_a_reminder_then_a_request_write_do_not_refuse_the_decision(store, aws, asked_one, monkeypatch):
    later = NOW + timedelta(days=2)
    pending = _between_each_attempt(store, monkeypatch, [lambda: approval.remind(PID, now=later),
                                                         _request_write(store, "approval-emailed")])
    page = approval.decide(PID, body(asked_one[ONE]), FORM, now=later)
    assert not pending and page.status == 200, page.html
    assert store.get(PID).state == State.APPROVED and store.get(PID).reminded_at


def test_a_decision_that_won_meanwhile_still_refuses_after_other_writes(store, aws, asked_one, monkeypatch):
    other = body(asked_one[TWO], decision="reject", reason="a face")
    pending = _between_each_attempt(store, monkeypatch, [
        _request_write(store, "approval-emailed"),
        lambda: approval.decide(PID, other, FORM, now=NOW)])
    page = approval.decide(PID, body(asked_one[ONE]), FORM, now=NOW)
    assert not pending and page.status == 409 and f"already rejected by {TWO}" in page.html
    assert store.get(PID).state == State.REJECTED and publish_messages(aws) == []
    assert bootstrap.timers().due(publish_check_schedule(PID)) is not None
