"""Dead letters: a photo whose scrub or policy function was stopped on every attempt still ends visibly.

A stage that fails with an exception handles its own last attempt (``Intake.receive`` quarantines,
``Checker.check`` blocks). A stage that is *killed* on its last attempt (out of memory or out of
time: a hostile image can make the decoder do that every time) runs no code at all, and SQS moves
the message to the queue's dead-letter queue. This stage consumes those two dead-letter queues and
ends each photo the way its own stage would have, with the stage's helpers:

* an upload (``incoming/…``, from the scrub dead-letter queue) still RECEIVED is QUARANTINED. With
  no record at all (the scrubber was stopped before it reached this file, or could not read it),
  the RECEIVED record is created first. It is created without the uploader's metadata: only the
  scrubber may read originals, so ``uploader`` is empty and the notice goes to the press office.
* a scrubbed copy (``clean/…``, from the policy dead-letter queue) still SCRUBBED is BLOCKED; one
  that is NEEDS_APPROVAL with no approver asked (stopped between the two steps) is queued for
  approval again, as a redelivery to the policy stage would have done.
* a photo already QUARANTINED or BLOCKED gets the uploader's notice if it never went (the email
  failed on every attempt); any other state is left alone.

Every step is a conditional write, so a dead letter delivered again changes nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore
from pressroom.domain.messages import CreatedObject
from pressroom.domain.photos import Photo, State, photo_id
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once
from pressroom.stages.policy import (
    BLOCKED,
    block,
    photo_id_of_clean_key,
    queue_for_approval,
)
from pressroom.stages.scrub import QUARANTINED, quarantine, record_upload

ACTOR = "dead-letters"
SCRUB, POLICY = "scrub", "policy"
#: where each stage's objects are (the prefixes of the bucket notifications in template.yaml)
PREFIXES = {"incoming/": SCRUB, "clean/": POLICY}
#: the raw bucket's lifecycle (template.yaml) deletes originals: a promise to keep one would be false
ORIGINAL_KEPT = ("the original is kept for an administrator only until it is deleted automatically (a set number of "
                 "days after upload, or a day after a new upload under the same name replaces it)")


def stage_of(key: str) -> str:
    """The stage whose dead letter an S3 object is: ``scrub`` for an upload, ``policy`` for a clean copy."""
    for prefix, stage in PREFIXES.items():
        if key.startswith(prefix):
            return stage
    raise ValueError(f"neither an upload nor a scrubbed copy: {key!r}")


def scrubber_stopped(attempts: int) -> str:
    return (f"the scrubber was stopped on every one of its {attempts} attempts (it ran out of memory or time); "
            + ORIGINAL_KEPT)


def scrubber_never_reached(attempts: int) -> str:
    return (f"the scrubber did not get to this file in any of its {attempts} attempts (it was stopped before "
            "recording it, or could not read it); " + ORIGINAL_KEPT)


def checks_stopped(attempts: int) -> str:
    return (f"the automatic checks were stopped on every one of their {attempts} attempts (they ran out of memory "
            "or time); upload the photo again later or ask the press office")


@dataclass(frozen=True)
class Outcome:
    """What handling one dead letter did."""

    stage: str
    photo_id: str
    #: quarantined, blocked, approval-requested, notified, left-alone or no-record
    action: str
    state: State | None


@dataclass(frozen=True)
class DeadLetters:
    settings: Settings
    store: PhotoStore
    sqs: Any
    mailer: Mailer

    def handle(self, obj: CreatedObject) -> Outcome:
        """End the photo behind one dead-lettered S3 notification; safe to call again."""
        if stage_of(obj.key) == SCRUB:
            return self._upload(obj)
        return self._scrubbed_copy(obj)

    def _upload(self, upload: CreatedObject) -> Outcome:
        attempts = self.settings.max_receive_count
        pid = photo_id(upload.bucket, upload.key, upload.version)
        photo: Photo | None = self.store.get(pid)
        reason = scrubber_stopped(attempts)
        if photo is None:
            photo = record_upload(self.store, upload, version=upload.version, metadata={}, size=upload.size,
                                  actor=ACTOR, detail={"metadata": "not read (only the scrubber may read originals)"})
            reason = scrubber_never_reached(attempts)
        if photo is None:
            return Outcome(SCRUB, pid, "no-record", None)
        if photo.state == State.RECEIVED:
            moved = quarantine(self.store, self.mailer, photo, reason, actor=ACTOR)
            return _moved(SCRUB, pid, moved, State.QUARANTINED)
        if photo.state == State.QUARANTINED:
            sent = notify_once(self.store, self.mailer, photo, QUARANTINED, [photo.reason])
            return Outcome(SCRUB, pid, "notified" if sent else "left-alone", photo.state)
        return Outcome(SCRUB, pid, "left-alone", photo.state)

    def _scrubbed_copy(self, obj: CreatedObject) -> Outcome:
        pid = photo_id_of_clean_key(obj.key)
        photo = self.store.get(pid)
        if photo is None:
            return Outcome(POLICY, pid, "no-record", None)
        if photo.state == State.SCRUBBED:
            moved = block(self.store, self.mailer, pid, checks_stopped(self.settings.max_receive_count), actor=ACTOR)
            return _moved(POLICY, pid, moved, State.BLOCKED)
        if photo.state == State.BLOCKED:
            sent = notify_once(self.store, self.mailer, photo, BLOCKED, [photo.reason])
            return Outcome(POLICY, pid, "notified" if sent else "left-alone", photo.state)
        if photo.state == State.NEEDS_APPROVAL and not photo.approvers:
            queue_for_approval(self.sqs, self.settings.approval_queue_url, pid)
            return Outcome(POLICY, pid, "approval-requested", photo.state)
        return Outcome(POLICY, pid, "left-alone", photo.state)  # RECEIVED: the scrub stage still owns it


def _moved(stage: str, pid: str, photo: Photo | None, to: State) -> Outcome:
    """The outcome of a move to ``to``, which a concurrent delivery may have made first."""
    state = photo.state if photo else None
    return Outcome(stage, pid, to.value.lower() if state == to else "left-alone", state)
