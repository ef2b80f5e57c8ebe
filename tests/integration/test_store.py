"""The photo store against moto: conditional transitions, duplicates, audit trail."""
import pytest

from pressroom.adapters.store import IllegalTransition, StaleTransition
from pressroom.domain.photos import (
    Photo,
    State,
    album_of,
    photo_id,
)


def _photo(pid="p1", state=State.RECEIVED):
    return Photo(id=pid, state=state, album="neighbourhood-day", original_bucket="raw",
                 original_key="incoming/neighbourhood-day/a.jpg", original_version="v1")


def test_photo_id_depends_on_bucket_key_and_version():
    base = photo_id("raw", "incoming/a/b.jpg", "v1")
    assert base == photo_id("raw", "incoming/a/b.jpg", "v1")
    assert len({base, photo_id("raw", "incoming/a/b.jpg", "v2"), photo_id("raw2", "incoming/a/b.jpg", "v1"),
                photo_id("raw", "incoming/a/c.jpg", "v1")}) == 4


def test_album_comes_from_the_key():
    assert album_of("incoming/Neighbourhood Day/x.jpg") == "Neighbourhood Day"
    assert album_of("incoming/x.jpg") == "Unsorted"


def test_create_is_idempotent(store):
    assert store.create(_photo(), actor="staff") is True
    assert store.create(_photo(), actor="staff") is False
    assert [e["event"] for e in store.audit("p1")] == ["created"]


def test_transition_records_audit_and_refuses_duplicates(store):
    store.create(_photo(), actor="staff")
    moved = store.transition("p1", State.RECEIVED, State.SCRUBBED, actor="scrub", changes={"sha256": "ab"},
                             detail={"removed": ["GPS"]})
    assert moved.state == State.SCRUBBED and moved.sha256 == "ab"
    with pytest.raises(StaleTransition) as err:
        store.transition("p1", State.RECEIVED, State.SCRUBBED, actor="scrub")
    assert err.value.actual == State.SCRUBBED
    trail = store.audit("p1")
    assert [(e.get("from"), e.get("to")) for e in trail] == [(None, "RECEIVED"), ("RECEIVED", "SCRUBBED")]
    assert trail[1]["detail"] == {"removed": ["GPS"]}
    assert store.get("p1").revision == 2


def test_illegal_transition_is_a_programming_error(store):
    store.create(_photo(), actor="staff")
    with pytest.raises(IllegalTransition):
        store.transition("p1", State.RECEIVED, State.PUBLISHED, actor="x")


def test_update_with_extra_condition(store):
    store.create(_photo(), actor="staff")
    store.update("p1", State.RECEIVED, actor="a", event="note", changes={"reason": "first"},
                 condition=("reason = :empty", {":empty": ""}))
    with pytest.raises(StaleTransition):
        store.update("p1", State.RECEIVED, actor="b", event="note", changes={"reason": "second"},
                     condition=("reason = :empty", {":empty": ""}))
    assert store.get("p1").reason == "first"
    assert [e["event"] for e in store.audit("p1")] == ["created", "note"]


def test_by_state_newest_first(store):
    for n in range(3):
        store.create(_photo(pid=f"p{n}"), actor="staff")
    assert [p.id for p in store.by_state(State.RECEIVED)] == ["p2", "p1", "p0"]


def test_each_in_state_reads_every_page_newest_first_as_it_is_consumed(store):
    from pressroom.adapters import aws
    from pressroom.adapters.store import PhotoStore
    from pressroom.settings import get_settings

    for n in range(5):
        store.create(_photo(pid=f"p{n}"), actor="staff")
    queries = []

    class SmallPages:  # DynamoDB ends a page at 1 MB; here at two items
        def query(self, **params):
            queries.append(params)
            return aws.client("dynamodb").query(**params, Limit=2)

    photos = PhotoStore(SmallPages(), get_settings().table_name).each_in_state(State.RECEIVED)
    assert [next(photos).id for _ in range(2)] == ["p4", "p3"] and len(queries) == 1
    assert [p.id for p in photos] == ["p2", "p1", "p0"] and len(queries) == 3


def test_account_last_published_only_moves_forward(store):
    assert store.update_account({"last_published_at": "2026-01-02T00:00:00Z"}, if_newer="2026-01-02T00:00:00Z")
    assert not store.update_account({"last_published_at": "2026-01-01T00:00:00Z"}, if_newer="2026-01-01T00:00:00Z")
    assert store.account()["last_published_at"] == "2026-01-02T00:00:00Z"


def test_an_unversioned_original_reads_back(store):
    photo = _photo()
    photo.original_version = None
    assert store.create(photo, actor="staff")
    assert store.get("p1").original_version is None
