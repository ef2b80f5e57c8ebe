"""Batch announcements: once every photo of an album's upload batch has settled, say so once.

An album's *upload batch* is every photo uploaded to it since its last announcement: a photo
joins its album's open batch when its record is created, and the batch is announced when each of
its photos has settled (:data:`~pressroom.domain.photos.SETTLED_STATES`: published, or ended
otherwise). The members are items of their own (``PK=ALBUM#<album>, SK=MEMBER#<photo id>``) kept by
the table's stream (:mod:`pressroom.stages.photo_events`); a photo created while a batch is being
announced joins the next one.

The announcement, when at least one photo was published: one email to the press office with the
album's page, the counts, a thumbnail of each published photo and ready-to-post texts for X,
Facebook, Instagram and YouTube (:mod:`pressroom.domain.posts`); an EventBridge event
``BatchPublished`` (source ``pressroom``) carrying the same for other tools; and a post on each
network configured for cross-posting (:mod:`pressroom.adapters.crosspost`, off by default). A
batch in which nothing was published is closed without a word. Two deliveries that both find the
batch settled claim it by its id (a hash of its members); the one that wins announces, and a
delivery that died mid-way is taken over when its lease ends.
"""
from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters import flickr as flickr_urls
from pressroom.adapters import local_album as local_urls
from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock, posts
from pressroom.domain.photos import SETTLED_STATES, Photo, State
from pressroom.settings import Settings
from pressroom.web import preview
from pressroom.web.templating import render

log = logging.getLogger(__name__)

SOURCE = "pressroom"
DETAIL_TYPE = "BatchPublished"
LEASE = timedelta(minutes=5)
KEEP = timedelta(days=30)  # how long an announced batch's marks are kept (stream records live a day)
MAX_THUMBNAILS = 12
_SETTLED = {s.value for s in SETTLED_STATES}


class BatchBusy(Exception):
    """Another delivery is announcing this batch: the stream record is retried after its lease."""


def batch_id(photo_ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(photo_ids)).encode()).hexdigest()[:16]


def album_url(published: list[Photo]) -> str:
    """The album's page, from its photos' pages and photoset (Flickr's, or the local album's)."""
    for photo in published:
        page, set_id = str(photo.flickr.get("url", "")), str(photo.flickr.get("photoset_id", ""))
        url = flickr_urls.album_url(page, set_id) or local_urls.album_url(page, set_id)
        if url:
            return url
    return published[0].flickr.get("url", "") if published else ""


@dataclass(frozen=True)
class Announcement:
    """What is said about one settled batch."""

    album: str
    batch_id: str
    album_url: str
    published: list[Photo]
    others: dict[str, int]  # state → how many of the batch ended there
    texts: dict[str, str] = field(default_factory=dict)

    def detail(self) -> dict[str, Any]:
        """The ``BatchPublished`` event's detail."""
        return {
            "album": self.album, "albumTitle": posts.album_title(self.album), "batchId": self.batch_id,
            "albumUrl": self.album_url, "published": len(self.published),
            "notPublished": self.others, "forceSite": posts.FORCE_SITE,
            "photos": [{"id": p.id, "title": p.title, "url": p.flickr.get("url", ""), "flickrId": p.flickr.get("id", "")}
                       for p in self.published],
            "posts": self.texts,
        }


@dataclass(frozen=True)
class Batches:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    s3: Any
    events: Any
    press_office: Callable[[], list[str]]
    crossposters: Callable[[], list[Any]] = list
    now: Callable[[], datetime] = clock.now

    def follow(self, change: Any) -> list[str]:
        """Keep the photo's batch up to date with ``change``; announce the batch once it has settled."""
        new = change.new
        if change.old is None:
            self.store.join_batch(new.album, new.id, new.state)
        elif change.old.state == new.state or not self.store.note_member(new.album, new.id, new.state):
            return []
        if new.state not in SETTLED_STATES:
            return []
        return self.announce_if_settled(new.album)

    def announce_if_settled(self, album: str) -> list[str]:
        members = self.store.open_batch(album)
        if not members or any(m.get("state") not in _SETTLED for m in members):
            return []
        photos = [p for p in (self.store.get(m["photo_id"]) for m in members) if p is not None]
        if any(p.state not in SETTLED_STATES for p in photos):
            return []  # a member's record is ahead of its batch item: its own change comes next
        ids = [p.id for p in photos]
        batch = batch_id(ids)
        now = self.now()
        claim = self.store.claim_batch(album, batch, clock.iso(now + LEASE), clock.iso(now))
        if claim == "busy":
            raise BatchBusy(f"batch {batch} of album {album} is being announced by another delivery")
        keep_until = int((now + KEEP).timestamp())
        done = []
        if claim == "mine":
            announcement = self.compose(album, batch, photos)
            if announcement.published:
                self.send(announcement)
                done.append(f"batch {batch} announced ({len(announcement.published)} published)")
            self.store.batch_sent(album, batch, {"published": len(announcement.published), "others": announcement.others},
                                  keep_until=keep_until)
        self.store.close_batch(album, batch, ids, keep_until=keep_until)
        return done or [f"batch {batch} closed"]

    def compose(self, album: str, batch: str, photos: list[Photo]) -> Announcement:
        published = [p for p in photos if p.state == State.PUBLISHED]
        others: dict[str, int] = {}
        for p in photos:
            if p.state != State.PUBLISHED:
                others[p.state.value] = others.get(p.state.value, 0) + 1
        url = album_url(published)
        texts = posts.posts(posts.Batch(album, url, tuple(p.title for p in published))) if published else {}
        return Announcement(album, batch, url, published, others, texts)

    def send(self, announcement: Announcement) -> None:
        """The press office's email, the event, and any cross-posts (each failure of the last two
        logged, not raised: the email is what a person acts on)."""
        self.mailer.send(self.email(announcement))
        try:
            self.events.put_events(Entries=[{"Source": SOURCE, "DetailType": DETAIL_TYPE,
                                             "Detail": json.dumps(announcement.detail()),
                                             "EventBusName": self.settings.event_bus_name}])
        except (ClientError, BotoCoreError):
            log.exception("BatchPublished event not sent", extra={"album": announcement.album})
        for poster in self.crossposters():
            try:
                poster.post(announcement.texts.get(poster.network) or posts.post(
                    posts.Batch(announcement.album, announcement.album_url,
                                tuple(p.title for p in announcement.published)), poster.network))
            except Exception:
                log.exception("cross-post failed", extra={"network": poster.network})

    def email(self, announcement: Announcement) -> Email:
        thumbnails: dict[str, bytes] = {}
        for photo in announcement.published[:MAX_THUMBNAILS]:
            try:
                thumbnails[f"thumb-{photo.id}"] = preview.thumbnail(
                    preview.fetch_clean(self.s3, self.settings.clean_bucket, photo), self.settings.max_pixels, 320)
            except (ValueError, ClientError, BotoCoreError) as exc:
                log.warning("no thumbnail for the batch email: %s", type(exc).__name__, extra={"photo_id": photo.id})
        values = {"a": announcement, "title": posts.album_title(announcement.album), "thumbnails": thumbnails,
                  "networks": {"x": "X (Twitter)", "facebook": "Facebook", "instagram": "Instagram",
                               "youtube": "YouTube community post"}}
        count = len(announcement.published)
        return Email(to=self.press_office(),
                     subject=f"Pressroom: batch published: {values['title']} ({count} photo{'s' if count != 1 else ''})",
                     text=render("batch_email.txt", **values), html=render("batch_email.html", **values),
                     inline_images=thumbnails)

