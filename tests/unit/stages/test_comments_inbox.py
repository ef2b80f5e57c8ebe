"""The comments monitor fills the desk's inbox: every comment it handles goes in once, in the state
what it did leaves it in; and each run reminds the press office of questions past their target."""
import json
from datetime import timedelta

import pytest

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain.inbox import InboxState, OfficeHours
from pressroom.stages.comments import CRIME_REPLY, CommentsIncomplete, CommentsMonitor
from pressroom.stages.inbox import Inbox
from tests.integration.helpers import sent_emails
from tests.unit.stages.test_comments import CONTROL_ROOM, NOW, _comment_on, _published, album, reader  # noqa: F401


def _monitor(album, remind=None, when=NOW) -> CommentsMonitor:
    return CommentsMonitor(bootstrap.store(), album, bootstrap.mailer(), parameters.press_office,
                           control_room=lambda: CONTROL_ROOM, reader=reader, now=lambda: when, remind=remind)


def _inbox(album, when=NOW) -> Inbox:
    return Inbox(bootstrap.store(), album, bootstrap.mailer(), parameters.press_office, lambda: [], OfficeHours(),
                 timedelta(hours=1), now=lambda: when)


def test_every_comment_handled_goes_into_the_inbox_once_in_the_state_the_monitor_left_it(aws, store, album):
    photo, site_id = _published(store, album, "a" * 24)
    _comment_on(album, site_id,
                {"id": "1", "author": "v1", "author_name": "Sam", "text": "My car was stolen last night",
                 "created_at": "2026-11-20T09:00:00Z"},
                {"id": "2", "author": "v2", "text": "f*** off pigs, ACAB", "created_at": "2026-11-20T09:01:00Z"},
                {"id": "3", "author": "v3", "text": "Where was this taken?\x1b[2J", "created_at": "2026-11-20T09:02:00Z"})
    _monitor(album).run()
    crime, offensive, question = (store.inbox_item(f"{site_id}:{n}") for n in (1, 2, 3))
    assert crime is not None and offensive is not None and question is not None
    assert (crime.state, crime.kind, crime.monitor_did) == (InboxState.ANSWERED, "crime-report", ("replied",))
    assert crime.reply_text == CRIME_REPLY and crime.answered_by == "comments" and crime.reply_id
    assert (offensive.state, offensive.monitor_did, offensive.text) == (InboxState.DELETED, ("deleted",),
                                                                        "f*** off pigs, ACAB")
    assert (question.state, question.text, question.arrived_at) == (InboxState.NEW, "Where was this taken?[2J",
                                                                    "2026-11-20T09:02:00.000Z")
    assert question.photo_id == photo.id and question.site_photo_id == site_id and question.photo_url
    _monitor(album).run()
    assert len(store.inbox(InboxState.NEW)) == 1


def test_each_run_reminds_once_of_the_questions_past_their_target(aws, store, album):
    _, site_id = _published(store, album, "b" * 24)
    # Friday 20 November 2026, 09:02: past a one-hour target by 10:15
    _comment_on(album, site_id, {"id": "3", "author": "v3", "text": "Where was this taken?",
                                 "created_at": "2026-11-20T09:02:00Z"})
    counts = _monitor(album, remind=_inbox(album).remind).run()
    assert counts["question"] == 1 and counts["reminded"] == 1
    assert sum("past the answer target" in raw for raw in sent_emails()) == 1
    assert _monitor(album, remind=_inbox(album).remind).run()["reminded"] == 0
    assert sum("past the answer target" in raw for raw in sent_emails()) == 1


def test_a_reminder_that_fails_fails_the_run_after_the_comments_are_handled(aws, store, album):
    _, site_id = _published(store, album, "c" * 24)
    _comment_on(album, site_id, {"id": "3", "author": "v3", "text": "Where was this taken?",
                                 "created_at": "2026-11-20T09:02:00Z"})

    def broken() -> int:
        raise RuntimeError("SES is down")

    with pytest.raises(CommentsIncomplete, match="reminder of unanswered questions was not sent: RuntimeError"):
        _monitor(album, remind=broken).run()
    assert store.inbox_item(f"{site_id}:3") is not None


def test_the_press_office_answers_and_deletes_from_the_inbox_on_the_site(aws, store, album):
    photo, site_id = _published(store, album, "d" * 24)
    _comment_on(album, site_id,
                {"id": "3", "author": "v3", "text": "Where was this taken?", "created_at": "2026-11-20T09:02:00Z"},
                {"id": "4", "author": "v4", "text": "Lovely photo", "created_at": "2026-11-20T09:03:00Z"})
    _monitor(album).run()
    desk = _inbox(album, when=NOW + timedelta(minutes=30))
    answered = desk.reply(f"{site_id}:3", "In Handsworth Park.", by="ann@force.example", seen=1)
    assert answered.state == InboxState.ANSWERED and answered.reply_id
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert [e["text"] for e in entries if e.get("own")] == ["In Handsworth Park."]
    deleted = desk.delete(f"{site_id}:4", "spam", by="bo@force.example")
    assert deleted.state == InboxState.DELETED and deleted.text == "Lovely photo"
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert f"{site_id}:4" not in {f"{site_id}:{e['id']}" for e in entries}
    events = [(e["event"], e["actor"]) for e in store.audit(photo.id) if e["actor"] != "comments"]
    assert events[-3:] == [("comment-reply-posting", "ann@force.example"), ("comment-answered", "ann@force.example"),
                           ("comment-deleted", "bo@force.example")]
