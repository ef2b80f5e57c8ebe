"""The one-time timers of a photo's approval: the reminder, the expiry and the publish check.

* Reminding: one conditional write sets ``reminded_at`` (empty before), so a reminder goes out
  once even if Scheduler fires twice. While nobody could be asked, the reminder asks whoever is
  configured now (a first request, :class:`pressroom.stages.request_approval.RequestApproval`)
  and re-arms itself for the usual reminder; or, with still nobody to ask, looks again
  ``ASK_AGAIN_AFTER`` on, never past the expiry.
* Expiring: ``NEEDS_APPROVAL → EXPIRED`` is conditional; the uploader is told once, recorded by
  ``notified_at``, so a retry after a failed email (the photo already EXPIRED) still tells them.
* The publish check: the approval API arms ``publish-check-<id>`` before it stores a decision
  (:meth:`pressroom.stages.approval_api.ApprovalApi.decide`). When it fires, a photo still
  APPROVED with no publish delivery holding it (no live ``flickr.lease_until``) is queued again
  through :func:`pressroom.stages.publish.requeue`; publishing is exactly-once, so this is safe
  even if the first message was sent after all. A REJECTED photo whose uploader was not told
  (``notified_at`` empty) is told now, once. A photo still waiting after a first approval has its
  next approvers asked, if they were not. Any other state means the photo moved on.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.adapters.timers import Timers
from pressroom.domain import clock, links
from pressroom.domain.approvals import (
    EXPIRED_OUTCOME,
    NO_APPROVERS,
    REJECTED_OUTCOME,
    reminder_schedule,
)
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once
from pressroom.stages.publish import requeue
from pressroom.stages.request_approval import ASK_AGAIN_AFTER, RequestApproval

log = logging.getLogger(__name__)

ACTOR = "approval_timer"


@dataclass(frozen=True)
class ApprovalTimer:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    timers: Timers
    sqs: Any
    asking: RequestApproval

    def remind(self, photo_id: str, *, now: datetime | None = None) -> list[str]:
        """Once: email everyone whose approval the photo still waits for a fresh link; return who was emailed."""
        now = now or clock.now()
        photo = self.store.get(photo_id)
        if photo is None or photo.state != State.NEEDS_APPROVAL:
            return []
        wanted = self.asking.wanted(photo)
        if not photo.approvers or not wanted.ask:  # nobody could be asked (or can be): ask whoever can now
            expires = self.asking.photo_expiry(photo.id, now)
            after = now + (self.asking.reminder_after if wanted.ask else ASK_AGAIN_AFTER)
            retry = after if after < expires else None
            if retry:  # first, so that a failed email is tried again then too
                self.asking.arm_reminder(photo.id, retry)
            if wanted.ask:
                return self.asking.ask(photo, wanted.ask, now, expires)
            self.asking.hold(photo, wanted, now, retry=retry)
            return []
        asked = {a.lower() for a in photo.approvers}
        # all that may fail comes before reminded_at is set, so a retried invocation still reminds
        expires = self.asking.photo_expiry(photo.id, now)
        key, thumbnail, sent = self.asking.parameters.signing_key(), self.asking.thumbnail(photo), []
        try:
            photo = self.store.update(
                photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-reminded",
                changes={"approvers": [*photo.approvers, *(a for a in wanted.ask if a.lower() not in asked)],
                         "asking": {}, "reminded_at": clock.iso(now), "reason": ""},
                detail={"approvers": wanted.ask},
                condition=("attribute_not_exists(reminded_at) OR reminded_at = :never", {":never": ""}))
        except StaleTransition:
            return []  # reminded already, or decided meanwhile
        for approver in wanted.ask:
            link = self.asking.review_url(photo.id, links.issue(key, photo.id, approver, expires))
            try:
                self.mailer.send(self.asking.email(photo, approver, link, expires, thumbnail=thumbnail,
                                                   reminder=True))
            except Exception:
                log.exception("reminder not sent to one approver", extra={"photo_id": photo.id})
                continue
            sent.append(approver)
        return sent

    def expire(self, photo_id: str, *, now: datetime | None = None) -> bool:
        """``NEEDS_APPROVAL → EXPIRED`` and tell the uploader, once; False if there was nothing to do.

        A retry of an EXPIRED photo whose notice failed (``notified_at`` still empty) sends it.
        """
        now = now or clock.now()
        ttl = self.settings.link_ttl_seconds
        span = f"{ttl // 86400} days" if ttl % 86400 == 0 else f"{ttl // 3600} hours"
        try:
            photo = self.store.transition(photo_id, State.NEEDS_APPROVAL, State.EXPIRED, actor=ACTOR,
                                          detail={"at": clock.iso(now), "after": span})
        except StaleTransition:
            latest = self.store.get(photo_id)
            if latest is None or latest.state != State.EXPIRED:
                return False
            return notify_once(self.store, self.mailer, latest, EXPIRED_OUTCOME, _expiry_reasons(latest, span))
        try:
            self.timers.disarm(reminder_schedule(photo_id))
        except (ClientError, BotoCoreError):  # one left behind fires, finds the photo expired, does nothing
            log.warning("could not disarm %s", reminder_schedule(photo_id), extra={"photo_id": photo_id})
        notify_once(self.store, self.mailer, photo, EXPIRED_OUTCOME, _expiry_reasons(photo, span))
        return True

    def publish_check(self, photo_id: str, *, now: datetime | None = None) -> bool:
        """Queue ``photo_id`` to publish if it is still APPROVED and not being published, tell the
        uploader of a rejection they were not told of, or ask for the second approval a first one
        left wanting if nobody was; True if any of that was done."""
        now = now or clock.now()
        photo = self.store.get(photo_id)
        if photo is not None and photo.state == State.NEEDS_APPROVAL and photo.approvals:
            return bool(self.asking.ask_next(photo, now=now)[0])  # a first approval whose next ask was lost
        if photo is not None and photo.state == State.REJECTED:
            return notify_once(self.store, self.mailer, photo, REJECTED_OUTCOME,
                               [str(photo.decision.get("why", ""))])
        if photo is None or photo.state != State.APPROVED:
            return False
        lease_until = clock.parse_time(photo.flickr.get("lease_until"))
        if lease_until is not None and now < lease_until:
            return False  # a publish delivery holds it; SQS redelivers that message if it dies
        try:
            requeue(self.store, self.sqs, self.settings.publish_queue_url, photo_id, actor=ACTOR)
        except LookupError:
            return False  # published or failed meanwhile
        self.store.record(photo_id, actor=ACTOR, event="publish-requeued",
                          detail={"why": "still approved and not being published at the publish check",
                                  "lease_until": photo.flickr.get("lease_until", "")})
        return True


def _expiry_reasons(photo: Photo, span: str) -> list[str]:
    if photo.reason == NO_APPROVERS:
        return [f"Nobody could be asked to approve it within {span}: no approvers were configured."]
    if photo.reason:
        return [f"It could not be approved within {span}: {photo.reason}."]
    if photo.approvals:
        approved = ", ".join(str(a.get("by", "")) for a in photo.approvals)
        return [f"It was approved by {approved}, but the second approval it needs was not given within {span}."]
    return [f"No approver decided within {span} of being asked; the approval links have expired."]
