"""The comment inbox's store block against moto: one item per comment, listing by state, writes
conditional on the revision read, and the audit event on the photo's trail with every change."""
import dataclasses

import pytest

from pressroom.adapters.store import StaleInboxItem
from pressroom.domain.inbox import FollowUp, FollowUpAction, InboxItem, InboxState, PendingReply
from pressroom.domain.photos import Photo, State


def _item(cid="c1", kind="question", **changes) -> InboxItem:
    return InboxItem(**{"comment_id": cid, "photo_id": "p1", "site_photo_id": "s1", "kind": kind,
                        "text": "When is the next open day? <b>bold</b>", "author": "u1@N00", "author_name": "Ann",
                        "arrived_at": "2026-12-04T16:55:00.000Z", "confidence": 0.875, **changes})


def test_a_comment_goes_into_the_inbox_once(store):
    assert store.add_to_inbox(_item()) is True
    assert store.add_to_inbox(_item(text="changed by a retry")) is False
    got = store.inbox_item("c1")
    assert got is not None and got.text.startswith("When is") and got.revision == 1 and got.confidence == 0.875
    assert got.state == InboxState.NEW and got.updated_at
    assert store.inbox_item("nope") is None


def test_items_are_listed_by_state_apart_from_the_photos(store):
    store.create(Photo(id="p1", state=State.RECEIVED, album="a", original_bucket="raw", original_key="incoming/a/x.jpg",
                       original_version="v1"), actor="staff")
    for cid, state in (("c1", InboxState.NEW), ("c2", InboxState.NEW), ("c3", InboxState.DELETED)):
        store.add_to_inbox(_item(cid, state=state))
    assert sorted(i.comment_id for i in store.inbox(InboxState.NEW)) == ["c1", "c2"]
    assert [i.comment_id for i in store.inbox(InboxState.DELETED)] == ["c3"]
    assert store.inbox(InboxState.RESOLVED) == []
    assert len(store.inbox(InboxState.NEW, limit=1)) == 1
    assert [p.id for p in store.by_state(State.RECEIVED)] == ["p1"]  # the photos' states are untouched


def test_a_change_is_written_with_its_audit_event_and_a_stale_one_is_refused(store):
    store.add_to_inbox(_item())
    seen = store.inbox_item("c1")
    assert seen is not None
    answered = store.save_inbox(seen, dataclasses.replace(seen, state=InboxState.ANSWERED, answered_by="ann",
                                                          answered_at="2026-12-07T09:10:00.000Z"),
                                actor="ann@force.example", event="comment-answered", detail={"reply_id": "r1"})
    assert answered.revision == 2
    # a second officer who read the comment before the answer cannot overwrite it
    with pytest.raises(StaleInboxItem):
        store.save_inbox(seen, dataclasses.replace(seen, state=InboxState.RESOLVED), actor="bo@force.example",
                         event="comment-resolved")
    now = store.inbox_item("c1")
    assert now is not None and now.state == InboxState.ANSWERED and now.answered_by == "ann"
    assert [i.comment_id for i in store.inbox(InboxState.ANSWERED)] == ["c1"]
    assert store.inbox(InboxState.NEW) == []
    events = store.audit("p1")
    assert [(e["event"], e["actor"]) for e in events] == [("comment-answered", "ann@force.example")]
    assert events[0]["detail"] == {"comment_id": "c1", "from": "new", "to": "answered", "reply_id": "r1"}


def test_assignment_a_waiting_reply_and_the_follow_up_record_are_kept(store):
    store.add_to_inbox(_item(kind="offensive", state=InboxState.DELETED))
    seen = store.inbox_item("c1")
    assert seen is not None
    record = FollowUp(FollowUpAction.REPORTED, "bo@force.example", "2026-12-07T10:00:00.000Z", "hate incident ref 7")
    changed = dataclasses.replace(seen, assignee="bo@force.example", follow_ups=(record,),
                                  pending=PendingReply("Thank you", "ann", "2026-12-07T10:00:00.000Z", True))
    store.save_inbox(seen, changed, actor="bo@force.example", event="comment-followed-up", detail=record.as_json())
    got = store.inbox_item("c1")
    assert got is not None
    assert (got.assignee, got.follow_ups, got.pending) == ("bo@force.example", (record,), changed.pending)
    assert store.audit("p1")[0]["detail"]["note"] == "hate incident ref 7"
