"""The review page behind each signed link (GET, read-only) and the one decision on a photo (POST).

* Opening a link only shows the page: mail scanners open every link, so nothing changes on a GET.
* Deciding: ``NEEDS_APPROVAL → APPROVED|REJECTED`` is one conditional write that also spends the
  link's nonce; only the winner sends the publish message or tells the uploader. A second click or
  a second approver gets 409 with who decided, when and why. A reminder or request written in the
  same instant does not refuse a decision: the write is tried once more on the photo as re-read,
  if it still waits and the link is unspent. Before a decision is stored a one-time *publish
  check* is armed (``publish-check-<id>``, 15 minutes on); the publish message (or the uploader's
  notice of a rejection, recorded by ``notified_at``) is sent right after the decision is stored.
  If the send fails or the process dies before it, the publish check
  (:meth:`pressroom.stages.approval_timer.ApprovalTimer.publish_check`) finds the photo still
  APPROVED with no publish under way and queues it, or REJECTED with nobody told and tells the
  uploader; publishing is exactly-once, so a message sent twice is harmless, and the notice goes
  once. A failed notice does not fail the decision: the approver is told the uploader is told.
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
    REJECTED_OUTCOME,
    expiry_schedule,
    publish_check_schedule,
    reminder_schedule,
    review_url,
)
from pressroom.domain.links import LinkError
from pressroom.domain.messages import PhotoMessage
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once
from pressroom.web import preview
from pressroom.web.audit import format_audit, when
from pressroom.web.csrf import csrf_ok, csrf_token, origin_of
from pressroom.web.forms import DecisionForm
from pressroom.web.pages import Page, notice_page, review_page

log = logging.getLogger(__name__)

MAX_REASON = 2000
#: after a decision, when the publish check makes sure the photo was queued to publish (or the uploader told)
PUBLISH_CHECK_AFTER = timedelta(minutes=15)
_DECIDED = {"approve": State.APPROVED, "reject": State.REJECTED}
_PAST = {"approve": "approved", "reject": "rejected"}


def refusal(status: int, title: str, message: str) -> Page:
    """The page refusing a request: a heading and why, nothing of the photo."""
    return Page(status, notice_page(title, message))


@dataclass(frozen=True)
class ApprovalApi:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    timers: Timers
    parameters: Parameters
    s3: Any
    sqs: Any

    @property
    def origin(self) -> str:
        """Where the review pages are served from: decisions are accepted from there only."""
        return origin_of(self.settings.approval_base_url)

    def review(self, photo_id: str, token: str, *, now: datetime | None = None) -> Page:
        """GET: the review page for a valid link. Reads only; never changes anything."""
        now = now or clock.now()
        opened = self._open_link(photo_id, token, now)
        if isinstance(opened, Page):
            return opened
        claims, photo, approver = opened
        return self._review(photo, approver, claims, token)

    def decide(self, photo_id: str, form: DecisionForm, *, now: datetime | None = None) -> Page:
        """POST: record an approver's decision, once (``form`` already came through
        :func:`pressroom.web.forms.read_decision`)."""
        now = now or clock.now()
        opened = self._open_link(photo_id, form.token, now)
        if isinstance(opened, Page):
            return opened
        claims, photo, approver = opened
        if not csrf_ok(claims.key, form.token, form.csrf):
            return refusal(403, "Request refused", "The form was missing its security code. Open the link from "
                           "your email again and decide from that page.")
        problem = _problem(photo, form)
        if problem:
            return self._review(photo, approver, claims, form.token, status=400, error=problem, reason=form.reason,
                                ticked=form.ticked)
        decision = {"action": form.decision, "by": approver, "at": clock.iso(now), "why": form.reason}
        try:  # first: whatever happens after the decision is stored, the photo is queued or the uploader told
            self.timers.arm(publish_check_schedule(photo.id), now + PUBLISH_CHECK_AFTER,
                            self.settings.approval_timer_function_arn, {"kind": "publish-check", "photo_id": photo.id})
        except (ClientError, BotoCoreError):
            log.exception("could not arm the publish check", extra={"photo_id": photo.id})
            return refusal(503, "Not recorded", "Your decision could not be recorded just now. "
                           "Nothing has changed: submit it again in a minute.")
        try:
            photo = self._store_decision(photo, approver, decision, claims.nonce)
        except StaleTransition:
            latest = self.store.get(photo.id)
            if latest is None or latest.state not in _DECIDED.values():
                self._disarm(publish_check_schedule(photo.id), photo.id)  # a decision that won keeps the shared check
            return (self._closed(latest) if latest else None) or refusal(
                409, "Already decided", "Someone else changed this photo while you were deciding.")
        return self._after_decision(photo, form.decision, form.reason)

    # -- the decision ----------------------------------------------------------------------------
    def _store_decision(self, photo: Photo, approver: str, decision: dict[str, str], nonce: str) -> Photo:
        """``NEEDS_APPROVAL →`` the decision, spending the link's nonce. Tried once more on the photo as
        re-read when another write (a reminder, a request) landed meanwhile and it still waits;
        StaleTransition when it was decided or moved on."""

        def write(current: Photo) -> Photo:
            return self.store.transition(current.id, State.NEEDS_APPROVAL, _DECIDED[decision["action"]],
                                         actor=approver,
                                         changes={"decision": decision, "used_nonces": [*current.used_nonces, nonce]},
                                         detail={"action": decision["action"], "why": decision["why"]})

        try:
            return write(photo)
        except StaleTransition:
            latest = self.store.get(photo.id)
            if latest is None or latest.state != State.NEEDS_APPROVAL or nonce in latest.used_nonces:
                raise
        return write(latest)

    def _after_decision(self, photo: Photo, action: str, reason: str) -> Page:
        queued = action != "approve" or self._queue_publish(photo)  # first: the timers can wait, the photo cannot
        for name in (reminder_schedule(photo.id), expiry_schedule(photo.id)):
            self._disarm(name, photo.id)
        if not queued:
            minutes = int(PUBLISH_CHECK_AFTER.total_seconds() // 60)
            return Page(500, notice_page(
                "Approved, but not yet queued",
                "Your approval is recorded, but the photo could not be queued for publishing just now. "
                f"It will be queued again automatically within {minutes} minutes; if it is not published, "
                f"tell the press office, quoting reference {photo.id}.", photo=photo))
        if action == "approve":
            title, message = "Approved", "Thank you. The photo is approved and queued for publishing on Flickr."
        else:
            title, message = "Rejected", "The photo is rejected and will not be published. The uploader is told why."
            try:
                notify_once(self.store, self.mailer, photo, REJECTED_OUTCOME, [reason])
            except Exception:
                log.exception("rejected but the uploader was not told yet", extra={"photo_id": photo.id})
        return Page(200, notice_page(title, message, kind="ok", photo=photo,
                                     audit_lines=format_audit(self.store.audit(photo.id))))

    def _queue_publish(self, photo: Photo) -> bool:
        """Send the publish message; False (logged) if it could not be sent: the publish check will."""
        try:
            self.sqs.send_message(QueueUrl=self.settings.publish_queue_url, MessageBody=PhotoMessage(photo.id).body())
        except (ClientError, BotoCoreError):
            log.exception("approved but not queued for publishing", extra={"photo_id": photo.id})
            return False
        return True

    def _disarm(self, name: str, photo_id: str) -> None:
        """Delete a timer; one left behind fires later, finds the photo moved on and does nothing."""
        try:
            self.timers.disarm(name)
        except (ClientError, BotoCoreError):
            log.warning("could not disarm %s", name, extra={"photo_id": photo_id})

    # -- links -----------------------------------------------------------------------------------
    def _open_link(self, photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str] | Page:
        """What a link may still decide on (claims, photo, approver), or the page saying why not."""
        try:
            claims, photo, approver = self._authorise(photo_id, token, now)
        except LinkError as err:
            return refusal(err.status, err.title, err.message)
        return self._closed(photo) or _spent(photo, claims) or (claims, photo, approver)

    def _authorise(self, photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str]:
        """The link's claims, the photo and the approver; LinkError when not all hold.

        A link signed before the key was rotated is honoured until it expires (its key signs its form).
        """
        claims = links.verify(self.parameters.signing_key(), token, now,
                              older=self.parameters.previous_signing_keys())
        if claims.photo_id != photo_id:
            raise LinkError(403, "This link is not valid", "This link is for a different photo.")
        photo = self.store.get(photo_id)
        if photo is None:
            raise LinkError(404, "Photo not found", "There is no photo with this reference.")
        asked = {a.lower() for a in photo.approvers}
        approver = links.find_approver(claims, [a for a in self.parameters.approvers() if a.lower() in asked])
        if approver is None:
            raise LinkError(403, "Not an approver",
                            "This link's approver is not on the press office's approver list for this photo.")
        return claims, photo, approver

    def _closed(self, photo: Photo) -> Page | None:
        """The page for a photo that can no longer be decided, or None while it is waiting."""
        if photo.state == State.NEEDS_APPROVAL:
            return None
        trail = format_audit(self.store.audit(photo.id))
        if photo.state == State.EXPIRED:
            return Page(410, notice_page("Approval expired",
                                         "Nobody decided on this photo in time; it will not be published.",
                                         photo=photo, audit_lines=trail))
        decision = photo.decision
        if decision.get("action") in _PAST:
            why = f": {decision['why']}" if decision.get("why") else "."
            message = (f"This photo was already {_PAST[decision['action']]} by {decision.get('by', '?')} "
                       f"at {when(str(decision.get('at', '')))}{why}")
            return Page(409, notice_page("Already decided", message, kind="info", photo=photo, audit_lines=trail))
        return Page(409, notice_page("Not waiting for approval",
                                     f"This photo is {photo.state.value.replace('_', ' ').lower()}.",
                                     photo=photo, audit_lines=trail))

    # -- the page --------------------------------------------------------------------------------
    def _review(self, photo: Photo, approver: str, claims: links.Claims, token: str, *, status: int = 200,
                error: str = "", reason: str = "", ticked: frozenset[int] = frozenset()) -> Page:
        url = self._shown(photo)
        html = review_page(
            photo, format_audit(self.store.audit(photo.id)), approver=approver,
            action_url=review_url(self.settings.approval_base_url, photo.id), token=token,
            csrf=csrf_token(claims.key, token), preview_url=url, expires=when(claims.expires_at.isoformat()),
            error=error, reason=reason, ticked=ticked)
        return Page(status, html, img_origin="data:" if url.startswith("data:") else origin_of(url))

    def _shown(self, photo: Photo) -> str:
        """The page's image: a presigned GET of the clean copy, or a JPEG of one browsers may not show."""
        bucket = self.settings.clean_bucket
        url = preview.preview_url(self.s3, bucket, photo, self.settings.preview_url_seconds)
        if photo.content_type in preview.BROWSER_TYPES or photo.width * photo.height > preview.REVIEW_PIXELS:
            return url
        try:
            return preview.data_url(preview.thumbnail(preview.fetch_clean(self.s3, bucket, photo),
                                                      preview.REVIEW_PIXELS, preview.REVIEW_EDGE))
        except (ValueError, ClientError, BotoCoreError) as exc:
            log.warning("no JPEG of the photo for the review page: %s", type(exc).__name__,
                        extra={"photo_id": photo.id})
            return url  # Safari shows a TIFF; the approval email has a preview for the rest


def _spent(photo: Photo, claims: links.Claims) -> Page | None:
    if claims.nonce in photo.used_nonces:
        return refusal(410, "This link has been used", "A decision was already made with this link.")
    return None


def _problem(photo: Photo, form: DecisionForm) -> str:
    if form.decision not in _DECIDED:
        return "Choose Approve or Reject."
    if len(form.reason) > MAX_REASON:
        return f"Keep the reason under {MAX_REASON} characters."
    if form.decision == "approve" and form.ticked != set(range(len(photo.checklist))):
        return "Tick every item of the checklist to approve, or reject the photo with a reason."
    if form.decision == "reject" and not form.reason:
        return "Give a reason to reject the photo: the uploader is told it."
    return ""
