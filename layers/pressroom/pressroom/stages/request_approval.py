"""Asking approvers: each is emailed a signed, personal link to the photo's review page, once.

Every step is safe to repeat. Duplicate deliveries are absorbed by conditional writes on the
photo record, never by remembering anything in memory:

* Asking: each approver is *claimed* (added to ``photo.approvers`` and ``photo.asking`` with an
  audit event, on the condition that the record has not changed since it was read) before their
  email is sent, and the claim is confirmed (removed from ``asking``) once it went. So a duplicate
  SQS delivery never sends a second email. If the email fails, the claim is released and the error
  raised so SQS retries. If the process dies between claim and confirmation, the claim outlives
  its ``CLAIM_LEASE`` (longer than the function may run, shorter than the queue's visibility
  timeout), and the redelivered message asks that approver again: a second email only when the
  process died in the instant after the first was sent, rather than none until the reminder.
* Nobody to ask (the approvers parameter holds no valid address): the photo stays NEEDS_APPROVAL
  with ``reason`` saying so (``pressroom status`` shows it), its expiry and reminder are armed as
  for any request, but the reminder is due ``ASK_AGAIN_AFTER`` on, and the press office is emailed
  once (``office_told_at``). The request is not retried through SQS (its dead-letter queue would
  only alarm): a redelivery of the request, or the reminder (:mod:`pressroom.stages.approval_timer`),
  asks whoever is configured by then (a first request, links ending when the photo expires, the
  reminder re-armed); while nobody is, the reminder re-arms itself until the photo expires on
  schedule and the uploader is told why.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters.mail import Mailer
from pressroom.adapters.parameters import Parameters
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.adapters.timers import Timers
from pressroom.domain import clock, links
from pressroom.domain.approvals import (
    NO_APPROVERS,
    expiry_schedule,
    reminder_schedule,
    review_url,
)
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings
from pressroom.stages.notify import is_address, send_once
from pressroom.web import preview
from pressroom.web.emails import approval_email, no_approvers_email

log = logging.getLogger(__name__)

ACTOR = "request_approval"
#: a claim older than this belongs to a delivery that died (RequestApprovalFunction times out
#: after 30 s; ApprovalQueue shows a message again after 180 s)
CLAIM_LEASE = timedelta(seconds=120)
#: while nobody can be asked, how often the photo's reminder looks for approvers again
ASK_AGAIN_AFTER = timedelta(hours=6)


def unchanged(photo: Photo) -> tuple[str, dict[str, int]]:
    """The condition that the record is still the revision ``photo`` was read at."""
    return "revision = :seen", {":seen": photo.revision}


@dataclass(frozen=True)
class RequestApproval:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    timers: Timers
    parameters: Parameters
    s3: Any

    def request(self, photo_id: str, *, now: datetime | None = None) -> list[str]:
        """Email each configured approver not yet asked about ``photo_id``; return who was emailed.

        A no-op (empty list) when the photo is not waiting for approval or everyone was asked already.
        With no approver to ask, the photo is held (:meth:`hold`) and nobody is emailed.
        """
        now = now or clock.now()
        waiting = self.waiting(photo_id)
        if waiting is None:
            return []
        photo, approvers = waiting
        expires = self.photo_expiry(photo.id, now)  # set by the first attempt; later ones keep it
        reminder = None
        if not photo.approvers and (approvers or photo.reason != NO_APPROVERS):  # the first attempt, or
            reminder = now + (self.reminder_after if approvers else ASK_AGAIN_AFTER)  # the first ask after it
            self._arm_timers(photo.id, reminder, expires)
        if not approvers:
            self.hold(photo, now, retry=reminder)
            return []
        return self.ask(photo, approvers, now, expires)

    def waiting(self, photo_id: str) -> tuple[Photo, list[str]] | None:
        """The photo and the configured approvers (none if not one address is valid), if it still waits."""
        photo = self.store.get(photo_id)
        if photo is None or photo.state != State.NEEDS_APPROVAL:
            return None
        approvers = self.parameters.approvers()
        return photo, approvers if any(is_address(a) for a in approvers) else []

    def ask(self, photo: Photo, approvers: list[str], now: datetime, expires: datetime) -> list[str]:
        """Claim, email and confirm each of ``approvers`` not yet asked; return who was emailed."""
        asked = {a.lower() for a in photo.approvers}
        stale = {a for a, claimed in photo.asking.items() if datetime.fromisoformat(claimed) <= now - CLAIM_LEASE}
        wanted = [a for a in approvers if a.lower() not in asked or a in stale]
        if not wanted:
            return []
        key = self.parameters.signing_key()
        thumbnail = self.thumbnail(photo)
        emailed = []
        for approver in wanted:
            try:
                photo = self.store.update(
                    photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-requested",
                    changes={"approvers": photo.approvers if approver in photo.approvers
                             else [*photo.approvers, approver],
                             "asking": {**photo.asking, approver: clock.iso(now)}, "reason": ""},
                    detail={"approver": approver, "link_expires": clock.iso(expires)},
                    condition=unchanged(photo))
            except StaleTransition:
                break  # another delivery is asking (it will ask the rest), or the photo moved on
            token = links.issue(key, photo.id, approver, expires)
            try:
                self.mailer.send(approval_email(photo, approver, self.review_url(photo.id, token), expires,
                                                thumbnail=thumbnail))
            except Exception:
                self._release(photo, approver)
                raise
            photo = self._confirm(photo, approver)
            emailed.append(approver)
        return emailed

    def hold(self, photo: Photo, now: datetime, *, retry: datetime | None) -> None:
        """No approver can be asked: the photo waits with the reason shown, and the press office is told once.

        Its expiry stays armed; its reminder (due at ``retry``, if before the expiry) or a redelivery of
        the request asks whoever is configured by then. A failed email is raised, and sent by the next of those.
        """
        parameter = self.settings.approvers_parameter
        if photo.reason != NO_APPROVERS:
            try:
                photo = self.store.update(photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-held",
                                          changes={"reason": NO_APPROVERS}, detail={"parameter": parameter},
                                          condition=unchanged(photo))
            except StaleTransition:  # another delivery held it, asked someone, or the photo moved on
                latest = self.store.get(photo.id)
                if latest is None or latest.state != State.NEEDS_APPROVAL or latest.reason != NO_APPROVERS:
                    return
                photo = latest
        send_once(self.store, self.mailer, photo, lambda: no_approvers_email(
            photo, self.parameters.press_office(), parameter, retry, self.photo_expiry(photo.id, now)),
                  event="press-office-told", detail={"why": NO_APPROVERS}, field="office_told_at")

    def arm_reminder(self, photo_id: str, when: datetime) -> None:
        self.timers.arm(reminder_schedule(photo_id), when, self.settings.approval_timer_function_arn,
                        {"kind": "reminder", "photo_id": photo_id})

    @property
    def reminder_after(self) -> timedelta:
        return timedelta(seconds=self.settings.approval_reminder_seconds)

    def photo_expiry(self, photo_id: str, now: datetime) -> datetime:
        """When the photo's approval expires (its expiry timer), so later links end no later."""
        return self.timers.due(expiry_schedule(photo_id)) or now + timedelta(seconds=self.settings.link_ttl_seconds)

    def review_url(self, photo_id: str, token: str | None = None) -> str:
        return review_url(self.settings.approval_base_url, photo_id, token)

    def thumbnail(self, photo: Photo) -> bytes | None:
        """The emailed preview of the clean copy, or None (logged) if none could be made."""
        try:
            return preview.thumbnail(preview.fetch_clean(self.s3, self.settings.clean_bucket, photo),
                                     self.settings.max_pixels)
        except (ValueError, ClientError, BotoCoreError) as exc:
            log.warning("no preview for the approval email: %s", type(exc).__name__, extra={"photo_id": photo.id})
            return None

    # -- steps -----------------------------------------------------------------------------------
    def _arm_timers(self, photo_id: str, reminder: datetime, expires: datetime) -> None:
        self.arm_reminder(photo_id, reminder)
        self.timers.arm(expiry_schedule(photo_id), expires, self.settings.approval_timer_function_arn,
                        {"kind": "expiry", "photo_id": photo_id})

    def _confirm(self, photo: Photo, approver: str) -> Photo:
        """Record that ``approver``'s email went, so their claim is never taken for a dead one."""
        try:
            return self.store.update(photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-emailed",
                                     changes={"asking": {a: t for a, t in photo.asking.items() if a != approver}},
                                     detail={"approver": approver}, condition=unchanged(photo))
        except StaleTransition:  # decided or reminded meanwhile: nothing waits on this claim any more
            log.warning("approval email sent but not confirmed", extra={"photo_id": photo.id})
            return self.store.get(photo.id) or photo

    def _release(self, photo: Photo, approver: str) -> None:
        """Undo a claim whose email failed, so the retried delivery asks this approver again."""
        try:
            self.store.update(photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-request-failed",
                              changes={"approvers": [a for a in photo.approvers if a != approver],
                                       "asking": {a: t for a, t in photo.asking.items() if a != approver}},
                              detail={"approver": approver}, condition=unchanged(photo))
        except StaleTransition:
            log.warning("could not release the approval claim", extra={"photo_id": photo.id})
