"""The comment inbox's use cases with fakes: every action checked, audited and safe against a second
press officer acting at once; replies cleaned, approved where the rules ask, posted once."""
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from pressroom.adapters.mail import Email
from pressroom.adapters.publisher import PublisherUnavailable
from pressroom.adapters.store import StaleInboxItem
from pressroom.domain.inbox import InboxItem, InboxRefused, InboxState, OfficeHours
from pressroom.stages.inbox import ChangedMeanwhile, Inbox, InboxNotFound, InboxPages
from pressroom.web.desk import Visitor

NOW = datetime(2026, 12, 7, 11, 0, tzinfo=UTC)  # a Monday


class FakeStore:
    def __init__(self, *items: InboxItem):
        self.items = {i.comment_id: i for i in items}
        self.events: list[dict] = []
        #: a write another officer slips in just before ours, once
        self.interloper = None

    def inbox(self, state, limit=200):
        return [i for i in self.items.values() if i.state == state][:limit]

    def inbox_item(self, comment_id):
        return self.items.get(comment_id)

    def save_inbox(self, before, after, *, actor, event, detail=None):
        if self.interloper is not None:
            sneak, self.interloper = self.interloper, None
            current = self.items[before.comment_id]
            self.items[before.comment_id] = dataclasses.replace(sneak(current), revision=current.revision + 1)
        if self.items[before.comment_id].revision != before.revision:
            raise StaleInboxItem(before.comment_id)
        saved = dataclasses.replace(after, revision=before.revision + 1)
        self.items[before.comment_id] = saved
        self.events.append({"event": event, "actor": actor, "at": "2026-12-07T11:00:00.000Z",
                            "detail": {"comment_id": before.comment_id, **(detail or {})}})
        return saved

    def audit(self, photo_id):
        return self.events


class FakeSite:
    def __init__(self, fail=False):
        self.replies: list[tuple[str, str]] = []
        self.deleted: list[str] = []
        self.fail = fail

    def reply(self, photo_id, text):
        if self.fail:
            raise PublisherUnavailable("cannot reach Flickr")
        self.replies.append((photo_id, text))
        return f"reply-{len(self.replies)}"

    def delete_comment(self, comment_id):
        self.deleted.append(comment_id)


class FakeMail:
    def __init__(self, fail=False):
        self.sent: list[Email] = []
        self.fail = fail

    def send(self, email):
        if self.fail:
            raise RuntimeError("SES is down")
        self.sent.append(email)
        return "m1"


def comment(cid="c1", kind="question", **changes) -> InboxItem:
    return InboxItem(**{"comment_id": cid, "photo_id": "p1", "site_photo_id": "s1", "kind": kind,
                        "text": "When is the open day?", "author": "u1", "author_name": "Ann Public",
                        "arrived_at": "2026-12-07T09:00:00.000Z", "photo_title": "Open day", **changes})


def inbox(store, site=None, mail=None, now=NOW) -> Inbox:
    return Inbox(store, site or FakeSite(), mail or FakeMail(), lambda: ["press@force.example", "ann@force.example"],
                 lambda: ["safeguarding@force.example"], OfficeHours(), timedelta(hours=1),
                 desk_url="https://desk.example", now=lambda: now)


def test_a_question_is_answered_on_flickr_with_clean_text_and_its_response_time_kept():
    store, site = FakeStore(comment()), FakeSite()
    answered = inbox(store, site).reply("c1", "Saturday\u202e at 10\r\nSee you there\x1b[2J", by="ann@force.example")
    assert site.replies == [("s1", "Saturday at 10\nSee you there[2J")]
    assert answered.state == InboxState.ANSWERED and answered.reply_id == "reply-1"
    assert answered.answered_by == "ann@force.example" and answered.pending is None
    assert [e["event"] for e in store.events] == ["comment-reply-posting", "comment-answered"]
    assert all(e["actor"] == "ann@force.example" for e in store.events)
    row = inbox(store).row(answered, "ann@force.example")
    assert row.response == "2 h" and row.reply_text.startswith("Saturday")


def test_a_reply_to_a_crime_report_waits_for_a_second_press_officer():
    store, site, mail = FakeStore(comment(kind="crime-report")), FakeSite(), FakeMail()
    desk = inbox(store, site, mail)
    held = desk.reply("c1", "Please call 101", by="ann@force.example")
    assert held.state == InboxState.NEW and held.pending is not None and held.pending.needs_approval
    assert site.replies == []
    assert mail.sent[0].to == ["press@force.example"] and "approves it" in mail.sent[0].text
    assert "https://desk.example/desk/comments?state=new#c-c1" in mail.sent[0].text
    assert desk.row(held, "ann@force.example").can_approve is False
    assert desk.row(held, "bo@force.example").can_approve is True
    with pytest.raises(InboxRefused, match="you wrote it"):
        desk.post_reply("c1", by="ann@force.example")
    posted = desk.post_reply("c1", by="bo@force.example")
    assert site.replies == [("s1", "Please call 101")]
    assert posted.state == InboxState.ANSWERED and posted.answered_by == "ann@force.example"
    assert store.events[-1]["detail"]["approved_by"] == "bo@force.example"
    with pytest.raises(InboxRefused, match="no reply waiting"):
        desk.post_reply("c1", by="cy@force.example")


def test_a_reply_to_a_comment_the_monitor_was_unsure_of_waits_for_approval_too():
    store = FakeStore(comment(sure=False))
    assert inbox(store).reply("c1", "Thanks", by="ann").pending is not None


def test_a_reply_the_site_failed_stays_to_be_posted_again_and_is_posted_once():
    store, down = FakeStore(comment()), FakeSite(fail=True)
    with pytest.raises(PublisherUnavailable):
        inbox(store, down).reply("c1", "Saturday at 10", by="ann")
    waiting = store.items["c1"]
    assert waiting.state == InboxState.NEW and waiting.pending is not None and waiting.pending.posting_at == ""
    assert inbox(store).row(waiting, "bo").can_post is True
    site = FakeSite()
    inbox(store, site).post_reply("c1", by="bo")
    assert site.replies == [("s1", "Saturday at 10")] and store.items["c1"].state == InboxState.ANSWERED


def test_a_reply_being_posted_is_not_posted_by_a_second_officer():
    store = FakeStore(comment(kind="crime-report"))
    desk = inbox(store)
    desk.reply("c1", "Please call 101", by="ann")
    pending = store.items["c1"].pending
    store.items["c1"] = dataclasses.replace(store.items["c1"], pending=dataclasses.replace(
        pending, approved_by="bo", posting_at="2026-12-07T10:58:00.000Z"))
    with pytest.raises(InboxRefused, match="being posted"):
        desk.post_reply("c1", by="cy")
    # a claim older than the lease was abandoned (its run died): it may be taken over
    later = inbox(store, now=NOW + timedelta(minutes=30))
    assert later.post_reply("c1", by="cy").state == InboxState.ANSWERED


def test_two_officers_at_once_never_undo_each_other():
    store = FakeStore(comment())
    desk = inbox(store)
    seen = store.items["c1"].revision
    desk.assign("c1", "ann@force.example", by="ann@force.example", seen=seen)
    with pytest.raises(ChangedMeanwhile, match="since your page showed it"):
        desk.resolve("c1", by="bo@force.example", seen=seen)
    assert store.items["c1"].state == InboxState.NEW
    # a write that loses a race by milliseconds is checked again against what the other officer left
    store.interloper = lambda item: dataclasses.replace(item, state=InboxState.RESOLVED)
    with pytest.raises(InboxRefused, match="resolved"):
        desk.assign("c1", "bo@force.example", by="bo@force.example")
    assert store.items["c1"].assignee == "ann@force.example"


def test_escalating_emails_safeguarding_and_the_press_office_first():
    store, mail = FakeStore(comment(kind="disclosure", text="my neighbour hurts her kids")), FakeMail()
    escalated = inbox(store, mail=mail).escalate("c1", "Looks like a child at risk", by="ann@force.example")
    assert escalated.state == InboxState.ESCALATED
    assert mail.sent[0].to == ["safeguarding@force.example", "press@force.example", "ann@force.example"]
    assert "my neighbour hurts her kids" in mail.sent[0].text and "child at risk" in mail.sent[0].text
    assert store.events[-1]["detail"]["note"] == "Looks like a child at risk"
    failing = FakeStore(comment())
    with pytest.raises(RuntimeError):
        inbox(failing, mail=FakeMail(fail=True)).escalate("c1", by="ann")
    assert failing.items["c1"].state == InboxState.NEW and failing.events == []


def test_deleting_removes_it_from_flickr_and_keeps_its_text_here():
    store, site = FakeStore(comment(kind="other")), FakeSite()
    deleted = inbox(store, site).delete("c1", "spam", by="ann")
    assert site.deleted == ["c1"] and deleted.state == InboxState.DELETED and deleted.text == "When is the open day?"
    with pytest.raises(InboxRefused, match="deleted"):
        inbox(store, site).delete("c1", by="ann")
    assert site.deleted == ["c1"]


def test_an_offensive_comment_is_resolved_after_its_follow_up_is_recorded():
    store = FakeStore(comment(kind="offensive", state=InboxState.DELETED, monitor_did=("deleted",)))
    desk = inbox(store)
    row = desk.row(store.items["c1"], "ann")
    assert row.can_follow_up and not row.can_resolve and row.monitor_did == "Pressroom deleted it from Flickr."
    with pytest.raises(InboxRefused, match="follow-up"):
        desk.resolve("c1", by="ann")
    with pytest.raises(InboxRefused, match="Choose"):
        desk.follow_up("c1", "shrugged", by="ann")
    desk.follow_up("c1", "reported", "Hate incident, ref 123\x07", by="ann")
    item = store.items["c1"]
    assert item.follow_ups[0].action.value == "reported" and item.follow_ups[0].note == "Hate incident, ref 123"
    assert item.follow_ups[0].by == "ann" and item.follow_ups[0].at == "2026-12-07T11:00:00.000Z"
    assert desk.resolve("c1", "done", by="ann").state == InboxState.RESOLVED
    assert [e["event"] for e in store.events] == ["comment-followed-up", "comment-resolved"]


def test_unknown_comments_and_long_notes_are_refused_clearly():
    store = FakeStore(comment())
    with pytest.raises(InboxNotFound):
        inbox(store).resolve("nope", by="ann")
    with pytest.raises(InboxRefused, match="at most 1000"):
        inbox(store).resolve("c1", "x" * 1001, by="ann")
    assert store.events == []


def test_questions_past_the_target_are_reminded_once():
    late = comment("late", arrived_at="2026-12-07T09:00:00.000Z")  # two hours of a one-hour target
    fresh = comment("fresh", arrived_at="2026-12-07T10:30:00.000Z")
    other = comment("other", kind="other", arrived_at="2026-12-07T09:00:00.000Z")
    store, mail = FakeStore(late, fresh, other), FakeMail()
    assert inbox(store, mail=mail).remind() == 1
    assert len(mail.sent) == 1 and "When is the open day?" in mail.sent[0].text
    assert mail.sent[0].to == ["press@force.example", "ann@force.example"]
    assert store.items["late"].reminded_at and not store.items["fresh"].reminded_at
    assert inbox(store, mail=mail).remind() == 0
    assert len(mail.sent) == 1
    assert inbox(store, mail=mail, now=NOW + timedelta(hours=1)).remind() == 1  # "fresh" is late now
    assert len(mail.sent) == 2 and "fresh" not in mail.sent[0].text


def test_a_reminder_whose_email_failed_is_sent_by_the_next_run():
    store = FakeStore(comment())
    with pytest.raises(RuntimeError):
        inbox(store, mail=FakeMail(fail=True)).remind()
    assert store.items["c1"].reminded_at == ""
    mail = FakeMail()
    assert inbox(store, mail=mail).remind() == 1 and len(mail.sent) == 1


def test_the_row_says_how_long_a_question_has_waited_and_when_it_is_due():
    store = FakeStore(comment(arrived_at="2026-12-04T16:30:00.000Z"))  # Friday 16:30
    row = inbox(store, now=datetime(2026, 12, 7, 9, 45, tzinfo=UTC)).row(store.items["c1"], "ann")
    assert (row.waited, row.due, row.past_target) == ("1 h 15 min", "Mon 7 Dec 09:30", True)
    assert row.arrived == "Fri 4 Dec 16:30"


def test_a_link_from_the_site_is_shown_only_when_it_is_a_web_address():
    store = FakeStore(comment(permalink="javascript:alert(1)", photo_url="https://flickr.example/p/1"))
    row = inbox(store).row(store.items["c1"], "ann")
    assert (row.permalink, row.photo_url) == ("", "https://flickr.example/p/1")


# -- the pages the desk's routes call -------------------------------------------------------------
OFFICER = Visitor("sub-a", "ann@force.example", "Ann", frozenset({"press-office"}))
SECOND = Visitor("sub-b", "bo@force.example", "Bo", frozenset({"press-office"}))


def pages(store, site=None) -> InboxPages:
    return InboxPages(inbox(store, site), lambda: ["bo@force.example"])


def test_a_reply_from_the_page_is_posted_and_the_page_says_so():
    store, site = FakeStore(comment()), FakeSite()
    page = pages(store, site).act(OFFICER, "c1", "reply", {"text": "Saturday at 10", "revision": "1", "state": "new"},
                                  csrf="tok")
    assert page.status == 200 and "The reply is posted on Flickr." in page.body
    assert site.replies == [("s1", "Saturday at 10")]
    assert "No comments are new." in page.body and 'value="tok"' in page.body


def test_an_action_on_a_page_older_than_the_comment_is_refused_and_the_comment_shown_as_it_is():
    store = FakeStore(comment())
    pages(store).act(SECOND, "c1", "assign", {"assignee": "bo@force.example", "revision": "1"}, csrf="tok")
    page = pages(store).act(OFFICER, "c1", "resolve", {"note": "", "revision": "1"}, csrf="tok")
    assert page.status == 409 and "since your page showed it" in page.body
    assert "assigned to bo@force.example" in page.body and store.items["c1"].state == InboxState.NEW


def test_refusals_from_the_page_say_why():
    store = FakeStore(comment(kind="offensive", state=InboxState.DELETED))
    assert pages(store).act(OFFICER, "c1", "resolve", {"revision": "1"}, csrf="t").status == 400
    assert pages(store).act(OFFICER, "c1", "explode", {"revision": "1"}, csrf="t").status == 404
    assert pages(store).act(OFFICER, "zz", "resolve", {"revision": "1"}, csrf="t").status == 404
    down = pages(FakeStore(comment()), FakeSite(fail=True)).act(OFFICER, "c1", "reply", {"text": "Hi"}, csrf="t")
    assert down.status == 503 and "what you wrote is kept" in down.body and "Post this reply" in down.body


def test_safeguarding_reads_the_escalated_comments_without_acting_on_them():
    store = FakeStore(comment(kind="disclosure", state=InboxState.ESCALATED), comment("c2"))
    lead = Visitor("sub-s", "lead@force.example", "Lead", frozenset({"safeguarding"}))
    page = pages(store).escalated(lead, csrf="t")
    assert page.status == 200 and "Escalated comments" in page.body and "When is the open day?" in page.body
    assert "/desk/comments/" not in page.body and "<textarea" not in page.body and 'name="state"' not in page.body


def test_each_comment_shows_its_own_history():
    store = FakeStore(comment(), comment("c2"))
    desk = inbox(store)
    desk.assign("c1", "bo@force.example", by="ann@force.example")
    desk.resolve("c2", "thanks only", by="bo@force.example")
    [row] = desk.rows(InboxState.NEW, "ann@force.example")
    assert row.history == ("2026-12-07 11:00 UTC · ann@force.example · comment-assigned (comment_id: c1; "
                           "assignee: bo@force.example)",)
    page = pages(store).page(OFFICER, state="resolved", csrf="t")
    assert "bo@force.example · comment-resolved" in page.body and "note: thanks only" in page.body
