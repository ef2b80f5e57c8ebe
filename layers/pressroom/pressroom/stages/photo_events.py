"""What follows when a photo record changes: the photo table's stream, one record at a time.

Every stage writes its decisions to the photo record and nothing else; this stage reads the
table's stream of those writes (new and old image of each ``META`` item) and acts on them, so a
decision never waits on an email or a queue that failed, whatever process made it:

* a photo became PUBLISHED: the uploader is told where it is, and each press-office address gets
  a copy with its own signed take-down link (once: ``published_notified_at``);
* a take-down was asked for (``TAKING_DOWN``, or a new round of it): the amend queue gets its
  message (:mod:`pressroom.stages.takedown`);
* a correction was approved: the amend queue gets its message (:mod:`pressroom.stages.update`);
* every change: the photo's upload batch is kept up to date, and announced once all of it has
  settled (:mod:`pressroom.stages.announce`).

The stream delivers each record at least once and in order for one photo; every action here is
safe to repeat (a message sent twice is absorbed downstream, an email is recorded as sent).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings
from pressroom.stages import takedown
from pressroom.stages.notify import is_address, uploader_addresses
from pressroom.web.audit import when

log = logging.getLogger(__name__)

ACTOR = "photo_events"


@dataclass(frozen=True)
class Change:
    """One stream record of a photo: its image before (None: just created) and after (None: removed)."""

    old: Photo | None
    new: Photo | None

    def became(self, state: State) -> bool:
        return self.new is not None and self.new.state == state and (self.old is None or self.old.state != state)


def changes(records: list[dict[str, Any]]) -> list[tuple[str, Change]]:
    """(record id, change) of each record of a Lambda DynamoDB stream event that is a photo's."""
    found = []
    for record in records:
        images = record.get("dynamodb", {})
        old, new = PhotoStore.photo_from_image(images.get("OldImage")), PhotoStore.photo_from_image(images.get("NewImage"))
        if old is not None or new is not None:
            found.append((str(images.get("SequenceNumber", "")), Change(old, new)))
    return found


@dataclass(frozen=True)
class PhotoEvents:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    sqs: Any
    press_office: Callable[[], list[str]]
    links_key: Callable[[], bytes]
    batches: Any = None  # pressroom.stages.announce.Batches; None: batches are not followed
    now: Callable[[], datetime] = clock.now

    def handle(self, change: Change) -> list[str]:
        """Act on one change of one photo; what was done, in words (for the log)."""
        done: list[str] = []
        new = change.new
        if new is None:
            return done
        if change.became(State.PUBLISHED) and self._tell_published(new):
            done.append("published notice sent")
        if new.state == State.TAKING_DOWN and (change.old is None or change.old.state != State.TAKING_DOWN
                                               or change.old.takedown.get("round") != new.takedown.get("round")):
            self._queue(takedown.takedown_message(new))
            done.append(f"take-down queued (round {new.takedown.get('round', 1)})")
        correction = new.correction or {}
        before = (change.old.correction if change.old else None) or {}
        if correction.get("phase") == "approved" and (before.get("phase"), before.get("id")) != (
                "approved", correction.get("id")):
            from pressroom.stages.update import correction_message

            self._queue(correction_message(new))
            done.append("correction queued")
        if self.batches is not None:
            done += self.batches.follow(change)
        return done

    def _queue(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.settings.amend_queue_url, MessageBody=body)

    # -- the published notice ---------------------------------------------------------------------
    def _tell_published(self, photo: Photo) -> bool:
        """Tell the uploader ``photo`` is live, and each press-office address, with its take-down
        link; False if that was done (or the photo has moved on since)."""
        current = self.store.get(photo.id)
        if current is None or current.state != State.PUBLISHED or current.published_notified_at:
            return False
        now = self.now()
        office = [a for a in self.press_office() if is_address(a)]
        uploader = uploader_addresses(current)
        if set(uploader) - set(office):  # no separate uploader copy when the uploader is unknown
            self.mailer.send(published_notice(current))
        key = self.links_key()
        for address in office:
            link, expires = takedown.issue_link(current.id, address, now, key)
            self.mailer.send(press_office_copy(current, address, link, expires))
        try:
            self.store.update(current.id, State.PUBLISHED, actor=ACTOR, event="published-notice-sent",
                              changes={"published_notified_at": clock.iso(now)},
                              detail={"press_office": len(office)},
                              condition=("attribute_not_exists(published_notified_at) OR published_notified_at = :never",
                                         {":never": ""}))
        except StaleTransition:
            log.info("published notice sent, not recorded: the photo changed meanwhile", extra={"photo_id": photo.id})
        return True


def published_notice(photo: Photo) -> Email:
    """The uploader's email: the photo is on Flickr, where."""
    name = takedown.display_name(photo)
    return Email(to=uploader_addresses(photo), subject=f"Pressroom: your photo \"{name}\" is on Flickr", text="\n".join([
        f"Your photo \"{name}\" (album {photo.album}) was approved and is now on Flickr:",
        f"  {photo.flickr.get('url', '')}",
        "",
        "Share it: the press office announces each batch of new photos on the force's other social media.",
        "If it ever needs to come down (someone withdraws their consent, a person in it is charged, a mistake),",
        f"tell the press office at once, quoting the photo reference {photo.id}.",
    ]) + "\n")


def press_office_copy(photo: Photo, address: str, link: str, expires: datetime) -> Email:
    """A press-office member's copy of the published notice, with their personal take-down link."""
    name = takedown.display_name(photo)
    decision = photo.decision or {}
    return Email(to=[address], subject=f"Pressroom: published \"{name}\" ({photo.album})", text="\n".join([
        f"\"{name}\" (album {photo.album}) is now on Flickr:",
        f"  {photo.flickr.get('url', '')}",
        "",
        f"Uploaded by {photo.uploader or 'unknown'}; approved by {decision.get('by', '?')} at "
        f"{when(str(decision.get('at', '')))}.",
        "",
        "If it must come down (consent withdrawn, a person in it charged, a court order, a mistake),",
        "open this link, give the reason and confirm; opening it changes nothing:",
        link,
        "",
        f"The link is yours alone and works once, until {when(expires.isoformat())}. After that, or from a terminal:",
        f"  pressroom takedown {photo.id} --reason \"...\"",
    ]) + "\n")

