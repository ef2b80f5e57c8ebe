"""The publish stage: an approved photo goes to the publisher exactly once.

SQS delivers at least once and a Lambda can die between the upload and the record of it, so:

1. the record is *claimed* first, by a conditional update that also counts the attempt; the
   claim holds a lease that ends when the claiming invocation is certainly over (its Lambda
   deadline plus a margin), and a delivery that finds a live lease backs off (:class:`PublishBusy`);
2. an upload is recorded on the photo (``flickr.id``) the moment it returns, and every upload
   carries the machine tag ``pressroom:photo=<id>``: a delivery that takes over an earlier claim
   uses the recorded upload or, failing that, asks the publisher for a photo with that tag (the
   earlier attempt may have died between the upload and its record) before uploading anything;
3. the upload is put in its album's photoset, which the table names (``PK=ALBUM#<album>``): the
   first delivery to need it claims that item and makes the set, so concurrent deliveries of a
   new album's photos make one;
4. the photo moves APPROVED → PUBLISHED with the Flickr id, page URL and photoset id, the
   stale-account reminder is moved to N days later, and the uploader is emailed the page and album
   once (``notified_at``; a redelivery after that email failed sends it).

An approval that asked for parts of the picture to be blurred (``decision.redaction``) publishes
the blurred copy (``redacted/<id>/<sha256>.jpg``), checked to be the copy the approver was shown (its
SHA-256); a missing or different copy fails the photo at once: the scrubbed one is never published
in its place.

Every attempt sets the upload's licence, comment and safety settings (``FlickrOptions``: declared,
else the deployment's defaults; idempotent), so one that failed
after the upload sets it on the retry. What is uploaded is :func:`publication_of` the photo, the
same description the approvers were shown.

A failure of the publisher (network, 5xx, API error) fails the message so that SQS retries it
(:class:`PublishRetry`). The last delivery (SQS receive count ``settings.max_receive_count``, the queue's
maxReceiveCount) gives up on any failure, unless the photo turns out to be on the site after all:
APPROVED → PUBLISH_FAILED with the reason, and the press office is emailed (once: ``notified_at``;
a redelivery after the email failed sends it). A fault no retry can fix (the
clean copy is gone or is not the approved bytes, the site refuses the file) gives up at once.
A message whose every delivery was stopped (out of memory or time) reaches the dead-letter queue,
which this function consumes too: :meth:`PublishStage.abandon` uploads nothing, and ends the photo
PUBLISHED if an attempt's upload is recorded or on the site, else PUBLISH_FAILED.
:func:`retry_failed` puts a PUBLISH_FAILED photo back in the queue.
"""
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import (
    VISIBILITY,
    Published,
    Publisher,
    PublisherUnavailable,
    PublishRefused,
    clean_tags,
)
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock
from pressroom.domain.addresses import is_address
from pressroom.domain.flickr_options import FlickrOptions, options_for
from pressroom.domain.messages import PhotoMessage
from pressroom.domain.photos import Photo, State
from pressroom.domain.publication import Publication
from pressroom.domain.redaction import Redaction
from pressroom.domain.schedule import london, publish_at
from pressroom.guidance import declared_facts, published_caption
from pressroom.settings import Settings
from pressroom.stages.notify import send_once
from pressroom.stages.staleness import ReminderTimer

ACTOR = "publish"
#: the publish queue's maxReceiveCount (template.yaml, local resources): the last delivery gives up
#: added to an invocation's remaining time: how long after it a claim is certainly abandoned
LEASE_MARGIN = timedelta(seconds=60)
_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchBucket"}


class PublishBusy(Exception):
    """Another delivery of this photo holds a live claim: try again after its lease."""


class PublishRetry(Exception):
    """This attempt failed for a reason that may pass (Flickr or S3 unavailable): try again."""


class _AlbumBusy(Exception):
    """Another delivery is making the photoset of this photo's album: try again after it."""


class _Permanent(Exception):
    """No retry can fix this: the photo goes to PUBLISH_FAILED at once."""


#: failures that may pass: a later delivery tries again (the last one gives up on any failure)
_RETRYABLE = (PublisherUnavailable, BotoCoreError, ClientError, _AlbumBusy)


def machine_tag(photo_id: str) -> str:
    """The machine tag that marks the published copy of a photo (``pressroom:photo=<id>``)."""
    return f"pressroom:photo={photo_id}"



@dataclass(frozen=True)
class Outcome:
    """What one delivery did: ``published``, ``recovered`` (an earlier attempt's upload was
    found), ``already-published``, ``skipped`` (not approved) or ``failed`` (gave up)."""

    photo_id: str
    status: str
    detail: str = ""
    #: seconds from the upload's record to its publication, when this delivery recorded it
    upload_to_publish: float | None = None


@dataclass(frozen=True)
class PublishStage:
    settings: Settings
    store: PhotoStore
    s3: Any
    publisher: Publisher
    mailer: Mailer
    reminder: ReminderTimer
    press_office: Callable[[], list[str]]
    now: Callable[[], datetime] = clock.now
    #: arms a one-time schedule (name, when, message) that sends a publish message then (None: none can)
    schedule: Callable[[str, datetime, dict[str, Any]], None] | None = None

    def publish(self, photo_id: str, *, lease: timedelta, attempt: int) -> Outcome:
        """Publish one approved photo; ``lease`` is how long this invocation may still run and
        ``attempt`` is the message's receive count (the one reaching ``settings.max_receive_count`` is the last)."""
        photo = self._approved(photo_id)
        if isinstance(photo, Outcome):
            return photo
        held = self._held(photo)
        if held is not None:
            return held
        earlier = dict(photo.flickr)
        photo, claim = self._claim(photo, earlier, lease)
        uploaded, status = _upload_of(earlier), "recovered"
        try:
            if uploaded is None and earlier.get("claim"):
                uploaded = self.publisher.find(machine_tag(photo.id))
            if uploaded is None:
                uploaded, status = self._upload(photo), "published"
                photo = self._note_upload(photo, claim, uploaded)
            self.publisher.configure(uploaded.photo_id, self._options(photo))  # again on a retry: harmless
            published = uploaded if uploaded.photoset_id else self._in_album(photo, uploaded, lease)
        except (_Permanent, PublishRefused) as exc:
            return self._give_up(photo, str(exc))
        except Exception as exc:
            reason = _reason(exc)
            if attempt >= self.settings.max_receive_count:
                return self._last_chance(photo, lease, f"gave up after {attempt} attempts: {reason}", uploaded, status)
            self._release(photo, claim, reason)
            if isinstance(exc, _RETRYABLE):
                raise PublishRetry(f"attempt {attempt} of {self.settings.max_receive_count}: {reason}") from exc
            raise
        return self._record(photo, published, status)

    def abandon(self, photo_id: str, *, lease: timedelta) -> Outcome:
        """End a photo whose publish message went to the dead-letter queue: every delivery was
        stopped (out of memory or time) or failed without ending it. Nothing is uploaded: an upload
        an earlier attempt made is recorded as published; else APPROVED → PUBLISH_FAILED and the
        press office is told (:func:`retry_failed` checks the site again before uploading)."""
        photo = self._approved(photo_id)
        if isinstance(photo, Outcome):
            return photo
        earlier = dict(photo.flickr)
        photo, _ = self._claim(photo, earlier, lease)
        return self._last_chance(photo, lease, publisher_stopped(self.settings.max_receive_count), _upload_of(earlier))

    # -- steps ---------------------------------------------------------------------------------
    def _held(self, photo: Photo) -> Outcome | None:
        """An embargoed photo (its ``publish-at`` still ahead) is held: a one-time schedule
        (``publish-at-<id>``) sends its publish message again at that time, and this one is done.
        None when it may be published now. A ``publish-at`` that is not a time fails the photo: it
        must not go out before a time nobody can read."""
        value = str((photo.declared or {}).get("publish-at") or "").strip()
        if not value:
            return None
        try:
            when = publish_at(value)
        except ValueError as exc:
            return self._give_up(photo, f"{exc}; it was not published")
        if when <= self.now():
            return None
        if self.schedule is None:
            return self._give_up(photo, f"it is embargoed until {london(when)} and this deployment cannot "
                                        "hold a photo until then; it was not published")
        self.schedule(publish_at_schedule(photo.id), when, {"photo_id": photo.id})
        if photo.publish_at != clock.iso(when):
            try:
                self.store.update(photo.id, State.APPROVED, actor=ACTOR, event="publish-held",
                                  changes={"publish_at": clock.iso(when)},
                                  detail={"until": clock.iso(when), "uk_time": london(when)})
            except StaleTransition:
                pass  # another delivery recorded it
        return Outcome(photo.id, "held", clock.iso(when))

    def _approved(self, photo_id: str) -> Photo | Outcome:
        """The photo if it is APPROVED; else what a delivery for it does (a redelivery after a
        crash between recording and re-arming, or after the failure email failed, finishes that)."""
        photo = self.store.get(photo_id)
        if photo is None:
            return Outcome(photo_id, "skipped", "no such photo")
        if photo.state == State.PUBLISHED:
            self._rearm(photo)
            self._tell_uploader(photo)  # if that failed before
            return Outcome(photo_id, "already-published", photo.flickr.get("url", ""))
        if photo.state == State.PUBLISH_FAILED and not photo.notified_at:
            return self._tell_press_office(photo)
        if photo.state != State.APPROVED:
            return Outcome(photo_id, "skipped", f"photo is {photo.state.value}")
        return photo

    def _claim(self, photo: Photo, earlier: dict[str, Any], lease: timedelta) -> tuple[Photo, str]:
        """Take the photo for this delivery, or raise :class:`PublishBusy`."""
        now = self.now()
        if earlier.get("claim"):
            lease_until = clock.parse_time(earlier.get("lease_until"))
            if lease_until is not None and now < lease_until:
                raise PublishBusy(f"photo {photo.id} is being published by another delivery "
                                  f"until {earlier['lease_until']}")
            condition = ("flickr.claim = :earlier", {":earlier": earlier["claim"]})
        else:
            condition = ("attribute_not_exists(flickr.claim)", {})
        claim = uuid.uuid4().hex
        attempt = photo.publish_attempts + 1
        flickr = {"claim": claim, "claimed_at": clock.iso(now), "lease_until": clock.iso(now + lease + LEASE_MARGIN)}
        try:
            claimed = self.store.update(photo.id, State.APPROVED, actor=ACTOR, event="publish-attempt",
                                        changes={"flickr": flickr, "publish_attempts": attempt},
                                        detail={"attempt": attempt, "after_earlier_claim": bool(earlier.get("claim"))},
                                        condition=condition)
        except StaleTransition as exc:
            raise PublishBusy(f"photo {photo.id} was claimed by another delivery") from exc
        return claimed, claim

    def _upload(self, photo: Photo) -> Published:
        public = publication_of(photo, self.settings)
        redaction = Redaction.from_record(photo.decision.get("redaction"))
        data, key = (self._blurred_bytes(redaction), redaction.key) if redaction else (self._clean_bytes(photo),
                                                                                       photo.clean_key)
        return self.publisher.publish(
            data, PurePosixPath(key).name, title=public.title,
            description=public.description, tags=list(public.tags), machine_tag=machine_tag(photo.id),
            options=self._options(photo),
        )

    def _options(self, photo: Photo) -> FlickrOptions:
        return options_for(photo.declared or {}, self.settings)

    def _note_upload(self, photo: Photo, claim: str, uploaded: Published) -> Photo:
        """Record the upload at once, so that a later delivery does not depend on the site's search
        (which lags its uploads) to know it happened."""
        flickr = {**photo.flickr, "id": uploaded.photo_id, "url": uploaded.url}
        return self.store.update(photo.id, State.APPROVED, actor=ACTOR, event="uploaded", changes={"flickr": flickr},
                                 detail={"id": uploaded.photo_id, "url": uploaded.url, **_copy_of(photo)},
                                 condition=("flickr.claim = :mine", {":mine": claim}))

    def _in_album(self, photo: Photo, uploaded: Published, lease: timedelta) -> Published:
        """``uploaded``, put in the photoset of the photo's album.

        The table holds each album's photoset id; the delivery that first needs a photoset the
        table does not have (a new album, or its set was deleted on the site) claims the album
        item and makes or finds it, while any other raises :class:`_AlbumBusy` until it is there,
        so two photos of a new album published together make one photoset.
        """
        album = self.store.album(photo.album)
        if album.get("photoset_id"):
            set_id = self.publisher.add_to_album(uploaded.photo_id, photo.album, album["photoset_id"])
            if set_id:
                return Published(uploaded.photo_id, uploaded.url, set_id)
        elif album:
            lease_until = clock.parse_time(album.get("lease_until"))
            if lease_until is not None and self.now() < lease_until:
                raise _AlbumBusy(f"the photoset of album {photo.album} is being made by another delivery")
        claim = uuid.uuid4().hex
        if not self.store.claim_album(photo.album, claim, clock.iso(self.now() + lease + LEASE_MARGIN),
                                      over=album.get("claim")):
            raise _AlbumBusy(f"the photoset of album {photo.album} was claimed by another delivery")
        try:
            set_id = self.publisher.add_to_album(uploaded.photo_id, photo.album, None)
        except Exception:
            self.store.claim_album(photo.album, claim, clock.iso(self.now()), over=claim)  # end the lease now
            raise
        self.store.record_album(photo.album, claim, set_id)
        return Published(uploaded.photo_id, uploaded.url, set_id)

    def _clean_bytes(self, photo: Photo) -> bytes:
        """The scrubbed copy, checked to be exactly the bytes the approver saw."""
        if not photo.clean_key:
            raise _Permanent("the photo has no scrubbed copy")
        try:
            data = self.s3.get_object(Bucket=self.settings.clean_bucket, Key=photo.clean_key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise _Permanent(f"the scrubbed copy {photo.clean_key} is missing from the clean bucket") from exc
            raise
        digest = hashlib.sha256(data).hexdigest()
        if digest != photo.sha256:
            raise _Permanent(f"the scrubbed copy {photo.clean_key} is not the approved file "
                             f"(sha256 {digest[:12]}…, approved {photo.sha256[:12]}…)")
        return data

    def _blurred_bytes(self, redaction: Redaction) -> bytes:
        """The blurred copy the approval names, checked to be exactly the copy the approver saw."""
        try:
            data = self.s3.get_object(Bucket=self.settings.clean_bucket, Key=redaction.key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _MISSING:
                raise _Permanent(f"the blurred copy {redaction.key} the approval asked for is missing from the clean "
                                 "bucket; the unblurred copy was not published in its place") from exc
            raise
        digest = hashlib.sha256(data).hexdigest()
        if digest != redaction.sha256:
            raise _Permanent(f"the blurred copy {redaction.key} is not the one the approver saw (sha256 "
                             f"{digest[:12]}…, approved {redaction.sha256[:12]}…); neither it nor the unblurred copy "
                             "was published")
        return data

    def _record(self, photo: Photo, published: Published, status: str) -> Outcome:
        now = self.now()
        flickr = {"id": published.photo_id, "url": published.url, "photoset_id": published.photoset_id,
                  "machine_tag": machine_tag(photo.id), "published_at": clock.iso(now)}
        try:
            done = self.store.transition(photo.id, State.APPROVED, State.PUBLISHED, actor=ACTOR,
                                         changes={"flickr": flickr, "reason": ""},
                                         detail={**flickr, "how": status, "attempt": photo.publish_attempts})
        except StaleTransition as exc:
            latest = self.store.get(photo.id)
            if latest is not None and latest.state == State.PUBLISHED:
                return Outcome(photo.id, "already-published", latest.flickr.get("url", ""))
            reason = "the photo record changed before the upload was recorded"
            self._release(photo, photo.flickr.get("claim", ""), reason)  # the retry records the noted upload
            raise PublishRetry(reason) from exc
        self._rearm(done)
        self._tell_uploader(done)
        created = clock.parse_time(photo.created_at)
        return Outcome(photo.id, status, published.url,
                       upload_to_publish=(now - created).total_seconds() if created is not None else None)

    def _rearm(self, photo: Photo) -> None:
        published_at = clock.parse_time(photo.flickr.get("published_at"))
        if published_at is not None:
            self.reminder.after_publish(published_at)

    def _release(self, photo: Photo, claim: str, reason: str) -> None:
        """End this attempt's lease so that the retry need not wait for it (the claim stays, so the
        retry looks for an upload of this attempt before uploading)."""
        flickr = {**photo.flickr, "lease_until": clock.iso(self.now())}
        try:
            self.store.update(photo.id, State.APPROVED, actor=ACTOR, event="publish-attempt-failed",
                              changes={"flickr": flickr}, detail={"attempt": photo.publish_attempts, "reason": reason},
                              condition=("flickr.claim = :mine", {":mine": claim}))
        except StaleTransition:
            pass  # another delivery took over meanwhile

    def _last_chance(self, photo: Photo, lease: timedelta, reason: str, uploaded: Published | None,
                     status: str = "recovered") -> Outcome:
        """Before giving up after a failure: the upload may have succeeded before it (this attempt's
        or an earlier one's, e.g. Flickr failed on a later call), and then the photo is published,
        in its album if that works."""
        found = uploaded
        if found is None:
            try:
                found = self.publisher.find(machine_tag(photo.id))
            except Exception:  # noqa: BLE001 - the site is still failing: give up with the first reason
                found = None
        if found is None:
            return self._give_up(photo, reason)
        if not found.photoset_id:
            try:
                found = self._in_album(photo, found, lease)
            except Exception:  # noqa: BLE001 - public on the site all the same, only outside its album
                pass
        return self._record(photo, found, status)

    def _give_up(self, photo: Photo, reason: str) -> Outcome:
        lease_over = {**photo.flickr, "lease_until": clock.iso(self.now())}  # a retry need not wait
        try:
            failed = self.store.transition(photo.id, State.APPROVED, State.PUBLISH_FAILED, actor=ACTOR,
                                           changes={"reason": reason, "flickr": lease_over},
                                           detail={"reason": reason, "attempts": photo.publish_attempts})
        except StaleTransition:
            return Outcome(photo.id, "skipped", "changed by another delivery")
        return self._tell_press_office(failed)

    def _tell_uploader(self, photo: Photo) -> None:
        """Email the uploader, once, that ``photo`` is published, where and in which album; a failure
        is raised so that the message is delivered again (it finds the photo PUBLISHED and sends it)."""
        if is_address(photo.uploader):
            send_once(self.store, self.mailer, photo, lambda: published_email(photo), event="uploader-notified",
                      detail={"outcome": "published", "url": photo.flickr.get("url", "")})

    def _tell_press_office(self, photo: Photo) -> Outcome:
        """Email the press office that ``photo`` could not be published, unless that was done."""
        send_once(self.store, self.mailer, photo, lambda: failure_email(self.press_office(), photo, photo.reason),
                  event="press-office-notified", detail={"reason": photo.reason})
        return Outcome(photo.id, "failed", photo.reason)


def publish_at_schedule(photo_id: str) -> str:
    """The one-time schedule that publishes an embargoed photo at its ``publish-at``."""
    return f"publish-at-{photo_id}"


def publisher_stopped(attempts: int) -> str:
    return (f"every one of its {attempts} attempts to publish was stopped (out of memory or time) or failed; "
            "the publish function's log says why")


def _copy_of(photo: Photo) -> dict[str, str]:
    """Which copy was uploaded, for the audit trail, when it is not the scrubbed one."""
    redaction = Redaction.from_record(photo.decision.get("redaction"))
    return {"blurred_copy": redaction.key, "sha256": redaction.sha256} if redaction else {}


def _upload_of(flickr: dict[str, Any]) -> Published | None:
    """The upload an earlier attempt recorded (``_note_upload``), if any."""
    return Published(flickr["id"], flickr.get("url", "")) if flickr.get("id") else None


def _reason(exc: Exception) -> str:
    if isinstance(exc, PublisherUnavailable):
        return str(exc)
    if isinstance(exc, (BotoCoreError, ClientError)):
        return f"AWS error: {exc}"
    return f"unexpected error ({type(exc).__name__}): {exc}"


def publication_of(photo: Photo, settings: Settings) -> Publication:
    """What the public will see of ``photo``: exactly what :meth:`PublishStage.publish` sends (title,
    the description with credit, link back and crime line, tags as the site keeps them) and how
    (its licence, comment and safety settings: declared, else the deployment's defaults)."""
    options = options_for(photo.declared or {}, settings)
    credit = declared_facts(photo.declared, photo.captions).get("credit", "")  # declared, else the image's own
    try:
        embargo = london(publish_at(str((photo.declared or {}).get("publish-at") or "")))
    except ValueError:
        embargo = ""
    return Publication(title=photo.title, description=published_caption(photo.title, photo.description, credit),
                       tags=tuple(clean_tags(photo.tags)), credit=" ".join(credit.split()),
                       licence=options.licence_name, album=photo.album,
                       visibility=f"{VISIBILITY} ({options.describe()})", footer=published_caption("", "", credit),
                       embargo=embargo)


def published_email(photo: Photo) -> Email:
    """The uploader's email: their photo is public, at its page, in its album."""
    name = photo.title or PurePosixPath(photo.original_key).name
    url = photo.flickr.get("url", "")
    return Email(to=[photo.uploader], subject=f"Pressroom: your photo \"{name}\" is published", text="\n".join([
        f"Your photo \"{name}\" is published on Flickr, in the album \"{photo.album}\":",
        f"  {url}",
        "",
        f"Photo reference: {photo.id}",
    ]) + "\n")


def failure_email(recipients: list[str], photo: Photo, reason: str) -> Email:
    name = photo.title or PurePosixPath(photo.original_key).name
    return Email(to=recipients, subject=f"Pressroom: approved photo \"{name}\" could not be published", text="\n".join([
        f"The approved photo \"{name}\" (album {photo.album}) could not be published to Flickr:",
        f"  {reason}",
        "",
        "Nothing more will be tried automatically. Once the cause is fixed, queue it again with:",
        f"  pressroom retry {photo.id}",
    ]))


def requeue(store: PhotoStore, sqs: Any, queue_url: str, photo_id: str, *, actor: str) -> Photo:
    """Move a PUBLISH_FAILED photo back to APPROVED (attempts reset) and queue it to publish.

    An APPROVED photo is queued again as it is (e.g. its approval could not be queued); publishing
    stays exactly-once. Raises LookupError for an unknown photo or any other state.
    """
    photo = store.get(photo_id)
    if photo is None:
        raise LookupError(f"there is no photo {photo_id}")
    if photo.state == State.PUBLISH_FAILED:
        try:
            photo = store.transition(photo_id, State.PUBLISH_FAILED, State.APPROVED, actor=actor,
                                     changes={"publish_attempts": 0, "reason": "", "notified_at": ""},
                                     detail={"previous_reason": photo.reason})
        except StaleTransition:
            photo = store.get(photo_id) or photo
    if photo.state != State.APPROVED:
        raise LookupError(f"photo {photo_id} is {photo.state.value}: only a photo that failed to publish "
                          "(or is approved) can be queued to publish")
    sqs.send_message(QueueUrl=queue_url, MessageBody=PhotoMessage(photo_id).body())
    return photo
