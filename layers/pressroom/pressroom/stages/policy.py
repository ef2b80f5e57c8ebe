"""The policy stage: a scrubbed photo is checked against the guidance and blocked or queued."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain.messages import PhotoMessage
from pressroom.domain.photos import Photo, State
from pressroom.guidance import Facts, Report, evaluate
from pressroom.guidance.detector import Detector, analysis_record
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once

if TYPE_CHECKING:
    from pressroom.guidance.meaning import Judge

ACTOR = "policy"
log = logging.getLogger(__name__)
BLOCKED = "blocked by the guidance checks"


class NotReady(Exception):
    """The clean copy arrived before its record says it was scrubbed: retry later."""


def photo_id_of_clean_key(key: str) -> str:
    """``clean/<photo id>.<ext>`` → ``<photo id>``."""
    path = PurePosixPath(key)
    if path.parent.name != "clean" or not path.stem:
        raise ValueError(f"not a clean-bucket key: {key!r}")
    return path.stem


@dataclass(frozen=True)
class Checker:
    settings: Settings
    store: PhotoStore
    s3: Any
    sqs: Any
    mailer: Mailer
    detector: Detector
    judge: Judge | None = None  # the caption judge of meaning; None: the rules alone

    def check(self, photo_id: str, *, attempt: int = 1) -> Photo | None:
        """Evaluate the guidance for one scrubbed photo; safe to call again.

        A failure is raised for SQS to retry, except on the queue's last attempt: then the photo
        is blocked with the reason, so it never waits unseen behind the dead-letter queue.
        """
        try:
            return self._check(photo_id)
        except Exception as exc:
            photo = self.store.get(photo_id)
            if attempt < self.settings.max_receive_count or photo is None or photo.state != State.SCRUBBED:
                raise
            log.exception("checks failed on the last attempt", extra={"photo_id": photo_id})
            return block(self.store, self.mailer, photo_id,
                         f"the automatic checks could not run after {attempt} attempts ({type(exc).__name__}); "
                         "upload the photo again later or ask the press office")

    def _check(self, photo_id: str) -> Photo | None:
        photo = self.store.get(photo_id)
        if photo is None or photo.state == State.RECEIVED:
            raise NotReady(f"photo {photo_id} has not been recorded as scrubbed yet")
        if photo.state == State.NEEDS_APPROVAL:
            self._queue_for_approval(photo)  # redelivery after a crash between the two steps
            return photo
        if photo.state == State.BLOCKED:
            notify_once(self.store, self.mailer, photo, BLOCKED, [photo.reason])  # if it failed before
            return photo
        if photo.state != State.SCRUBBED:
            return photo
        data = self.s3.get_object(Bucket=self.settings.clean_bucket, Key=photo.clean_key)["Body"].read()
        if hashlib.sha256(data).hexdigest() != photo.sha256:
            raise NotReady(f"clean copy of {photo_id} does not match its recorded checksum yet")
        detections = self.detector.detect(data)
        report = evaluate(facts_of(photo), detections, judge_of_meaning=self.judge)
        changes = {
            "findings": [f.as_record() for f in report.findings],
            "checklist": list(report.checklist),
            "analysis": analysis_record(detections),
        }
        detail = {"verdict": report.verdict, "rules": sorted({f.rule for f in report.findings})}
        try:
            if report.verdict == "blocked":
                reasons = _blocking_reasons(report)
                changes["reason"] = "; ".join(reasons)
                moved = self.store.transition(photo_id, State.SCRUBBED, State.BLOCKED, actor=ACTOR,
                                              changes=changes, detail=detail)
                notify_once(self.store, self.mailer, moved, BLOCKED, reasons)
                return moved
            moved = self.store.transition(photo_id, State.SCRUBBED, State.NEEDS_APPROVAL, actor=ACTOR,
                                          changes=changes, detail=detail)
        except StaleTransition:
            return self.store.get(photo_id)
        self._queue_for_approval(moved)
        return moved

    def _queue_for_approval(self, photo: Photo) -> None:
        queue_for_approval(self.sqs, self.settings.approval_queue_url, photo.id)


def block(store: PhotoStore, mailer: Mailer, photo_id: str, reason: str, *, actor: str = ACTOR) -> Photo | None:
    """SCRUBBED → BLOCKED for ``reason`` (the checks could not decide), and the uploader told once;
    if the photo has moved on already (a duplicate delivery), it is returned as it is."""
    try:
        moved = store.transition(photo_id, State.SCRUBBED, State.BLOCKED, actor=actor,
                                 changes={"reason": reason}, detail={"reason": reason})
    except StaleTransition:
        return store.get(photo_id)
    notify_once(store, mailer, moved, BLOCKED, [reason])
    return moved


def queue_for_approval(sqs: Any, queue_url: str, photo_id: str) -> None:
    """Ask the request-approval stage to email the approvers about ``photo_id`` (it asks each once)."""
    sqs.send_message(QueueUrl=queue_url, MessageBody=PhotoMessage(photo_id).body())


def facts_of(photo: Photo) -> Facts:
    """What the policy rules look at, from the photo record."""
    return Facts(
        title=photo.title,
        description=photo.description,
        tags=photo.tags,
        filename=PurePosixPath(photo.original_key).name,
        album=photo.album,
        captions=photo.captions,
        declared=photo.declared,
        declaration_problems=tuple(photo.declaration_problems),
    )


def _blocking_reasons(report: Report) -> list[str]:
    return [f"{f.message} ({f.evidence})" if f.evidence else f.message
            for f in report.findings if f.severity == "block"]
