"""Upload batches and their announcement (pressroom.stages.announce) against moto."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from pressroom import bootstrap
from pressroom.adapters import aws, parameters
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.settings import get_settings
from pressroom.stages.announce import BatchBusy, Batches, batch_id
from pressroom.stages.photo_events import Change
from tests.integration.helpers import sent_emails


@dataclass
class Poster:
    network: str
    posts: list[str] = field(default_factory=list)
    fail: bool = False

    def post(self, text: str) -> str:
        if self.fail:
            raise RuntimeError("down")
        self.posts.append(text)
        return "ok"


def photo(pid: str, state: State, album: str = "open-day", title: str = "") -> Photo:
    return Photo(id=pid, state=state, album=album, original_bucket="b", original_key=f"incoming/{album}/{pid}.jpg",
                 original_version="v", captions={"title": title or f"Photo {pid}"},
                 flickr={"url": f"https://www.flickr.com/photos/westmidlandspolice/{pid}/", "photoset_id": "72157000001",
                         "id": pid} if state == State.PUBLISHED else {})


@pytest.fixture
def posters():
    return [Poster("mastodon"), Poster("bluesky", fail=True)]


@pytest.fixture
def batches(aws, posters) -> Batches:
    return Batches(get_settings(), bootstrap.store(), bootstrap.mailer(), aws_client("s3"), aws_client("events"),
                   parameters.press_office, lambda: posters)


def aws_client(name):
    return aws.client(name)


def created(batches, p: Photo) -> list[str]:
    return batches.follow(Change(None, p))


def moved(batches, before: Photo, to: State) -> list[str]:
    after = photo(before.id, to, before.album, before.title)
    return batches.follow(Change(before, after))


def test_a_batch_is_announced_once_all_of_it_settles_and_cross_posted(batches, posters, store):
    a, b = photo("11", State.RECEIVED), photo("12", State.RECEIVED)
    created(batches, a), created(batches, b)
    for p, to in ((a, State.PUBLISHED), (b, State.BLOCKED)):
        store.create(photo(p.id, to), actor="t")
    assert moved(batches, a, State.PUBLISHED) == []  # 12 has not settled
    done = moved(batches, b, State.BLOCKED)
    assert done == [f"batch {batch_id(['11', '12'])} announced (1 published)"]
    [mail] = sent_emails()
    assert "batch published: Open day (1 photo)" in mail and "Blocked: 1" in mail
    mastodon, bluesky = posters
    assert len(mastodon.posts) == 1 and "https://www.flickr.com/photos/westmidlandspolice/albums/72157000001" in mastodon.posts[0]
    assert bluesky.posts == []  # one network down holds neither the others nor the batch
    assert moved(batches, photo("11", State.PUBLISHED), State.TAKING_DOWN) == []  # no longer in an open batch
    assert store.open_batch("open-day") == [] and len(sent_emails()) == 1


def test_a_batch_nothing_was_published_from_is_closed_without_a_word(batches, store):
    a = photo("21", State.RECEIVED)
    created(batches, a)
    store.create(photo("21", State.QUARANTINED), actor="t")
    assert moved(batches, a, State.QUARANTINED) == [f"batch {batch_id(['21'])} closed"]
    assert sent_emails() == []


def test_a_record_ahead_of_its_batch_item_waits_for_its_own_change(batches, store):
    a = photo("31", State.RECEIVED)
    created(batches, a)
    store.create(photo("31", State.NEEDS_APPROVAL), actor="t")  # the table is ahead of the stream
    store.note_member("open-day", "31", State.PUBLISHED)
    assert batches.announce_if_settled("open-day") == []


def test_another_delivery_announcing_is_waited_for_and_a_dead_one_taken_over(batches, store):
    a = photo("41", State.RECEIVED)
    created(batches, a)
    store.create(photo("41", State.PUBLISHED), actor="t")
    now = clock.now()
    assert store.claim_batch("open-day", batch_id(["41"]), clock.iso(now.replace(year=now.year + 1)), clock.iso(now)) == "mine"
    with pytest.raises(BatchBusy):
        moved(batches, a, State.PUBLISHED)
    assert sent_emails() == []
    store.claim_batch("open-day", batch_id(["41"]), clock.iso(now), clock.iso(now))  # cannot take a live lease
    later = replace(batches, now=lambda: now.replace(year=now.year + 2))  # the lease ran out
    assert moved(later, a, State.PUBLISHED)[0].endswith("announced (1 published)")
    assert len(sent_emails()) == 1
    assert batches.announce_if_settled("open-day") == []  # closed: nothing left open


def test_a_photo_uploaded_after_its_album_was_announced_starts_the_next_batch(batches, store):
    a, later = photo("51", State.RECEIVED), photo("52", State.RECEIVED)
    created(batches, a)
    store.create(photo("51", State.PUBLISHED), actor="t")
    moved(batches, a, State.PUBLISHED)
    created(batches, later)
    assert [m["photo_id"] for m in store.open_batch("open-day")] == ["52"]
    assert created(batches, a) == []  # a redelivered INSERT of an announced photo does not join again
    assert [m["photo_id"] for m in store.open_batch("open-day")] == ["52"]
