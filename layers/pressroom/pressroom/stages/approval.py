"""Approval: ask the approvers, show them the photo, record the one decision, remind, expire.

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
* Deciding: ``NEEDS_APPROVAL → APPROVED|REJECTED`` is one conditional write that also spends the
  link's nonce; only the winner sends the publish message or tells the uploader. A second click or
  a second approver gets 409 with who decided, when and why. A reminder or request written in the
  same instant does not refuse a decision: the write is tried once more on the photo as re-read,
  if it still waits and the link is unspent. Before a decision is stored a one-time *publish
  check* is armed (``publish-check-<id>``, 15 minutes on); the publish message
  (or the uploader's notice of a rejection, recorded by ``notified_at``) is sent right after the
  decision is stored. If the send fails or the process dies before it, the publish check finds
  the photo still APPROVED with no publish under way and queues it, or REJECTED with nobody told
  and tells the uploader (:mod:`pressroom.stages.publish_check`); publishing is exactly-once,
  so a message sent twice is harmless, and the notice goes once. A failed notice does not fail
  the decision: the approver is told the uploader is told.
* Reminding: one conditional write sets ``reminded_at`` (empty before), so a reminder goes out
  once even if Scheduler fires twice.
* Expiring: ``NEEDS_APPROVAL → EXPIRED`` is conditional; the uploader is told once, recorded by
  ``notified_at``, so a retry after a failed email (the photo already EXPIRED) still tells them.
* Nobody to ask (the approvers parameter holds no valid address): the photo stays NEEDS_APPROVAL
  with ``reason`` saying so (``pressroom status`` shows it), its expiry and reminder are armed as
  for any request, but the reminder is due ``ASK_AGAIN_AFTER`` on, and the press office is emailed
  once (``office_told_at``). The request is not retried through SQS (its dead-letter queue would
  only alarm): a redelivery of the request, or the reminder, asks whoever is configured by then
  (a first request, links ending when the photo expires, the reminder re-armed); while nobody is,
  the reminder re-arms itself until the photo expires on schedule and the uploader is told why.
"""
from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from urllib.parse import parse_qs, quote

from botocore.exceptions import BotoCoreError, ClientError

from pressroom import bootstrap
from pressroom.adapters import aws, parameters
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock, links
from pressroom.domain.links import LinkError
from pressroom.domain.photos import Photo, State
from pressroom.imaging.redact import annotated_preview
from pressroom.settings import get_settings
from pressroom.stages.notify import is_address, notify_once, send_once
from pressroom.web import preview
from pressroom.web.audit import format_audit, when
from pressroom.web.csrf import (
    csrf_ok,
    csrf_token,
    origin_of,
    same_origin_request,
)
from pressroom.web.emails import approval_email, no_approvers_email
from pressroom.web.pages import Page, notice_page, review_page

log = logging.getLogger(__name__)

REQUESTER = "request_approval"
TIMER = "approval_timer"
MAX_REASON = 2000
MAX_FORM_BYTES = 16 * 1024
#: a claim older than this belongs to a delivery that died (RequestApprovalFunction times out
#: after 30 s; ApprovalQueue shows a message again after 180 s)
CLAIM_LEASE = timedelta(seconds=120)
#: after an approval, when the publish check makes sure the photo was queued to publish
PUBLISH_CHECK_AFTER = timedelta(minutes=15)
_DECIDED = {"approve": State.APPROVED, "reject": State.REJECTED}
_PAST = {"approve": "approved", "reject": "rejected"}
EXPIRED_OUTCOME = "not approved in time"
REJECTED_OUTCOME = "rejected"
#: the reason a waiting photo shows while nobody can be asked about it
NO_APPROVERS = "no approvers are configured: nobody has been asked to review it"
#: while nobody can be asked, how often the photo's reminder looks for approvers again
ASK_AGAIN_AFTER = timedelta(hours=6)


def reminder_schedule(photo_id: str) -> str:
    return f"approval-reminder-{photo_id}"


def expiry_schedule(photo_id: str) -> str:
    return f"approval-expiry-{photo_id}"


def publish_check_schedule(photo_id: str) -> str:
    return f"publish-check-{photo_id}"


def review_url(photo_id: str, token: str | None = None) -> str:
    """The review page of ``photo_id`` (with ``?t=token`` when given)."""
    url = f"{get_settings().approval_base_url.rstrip('/')}/review/{quote(photo_id, safe='')}"
    return f"{url}?t={token}" if token else url


# -- asking ---------------------------------------------------------------------------------------
def request_approval(photo_id: str, *, now: datetime | None = None) -> list[str]:
    """Email each configured approver not yet asked about ``photo_id``; return who was emailed.

    A no-op (empty list) when the photo is not waiting for approval or everyone was asked already.
    With no approver to ask, the photo is held (:func:`_hold`) and nobody is emailed.
    """
    now = now or clock.now()
    waiting = _waiting(bootstrap.store(), photo_id)
    if waiting is None:
        return []
    photo, approvers = waiting
    expires = _photo_expiry(photo.id, now)  # set by the first attempt; later ones keep it
    reminder = None
    if not photo.approvers and (approvers or photo.reason != NO_APPROVERS):  # the first attempt, or
        reminder = now + (_reminder_after() if approvers else ASK_AGAIN_AFTER)  # the first ask after it
        _arm_timers(photo.id, reminder, expires)
    if not approvers:
        _hold(photo, now, retry=reminder)
        return []
    return _ask(photo, approvers, now, expires)


def _ask(photo: Photo, approvers: list[str], now: datetime, expires: datetime) -> list[str]:
    """Claim, email and confirm each of ``approvers`` not yet asked; return who was emailed."""
    store = bootstrap.store()
    asked = {a.lower() for a in photo.approvers}
    stale = {a for a, claimed in photo.asking.items() if datetime.fromisoformat(claimed) <= now - CLAIM_LEASE}
    wanted = [a for a in approvers if a.lower() not in asked or a in stale]
    if not wanted:
        return []
    key = parameters.signing_key()
    thumbnail = _thumbnail(photo)
    emailed = []
    for approver in wanted:
        try:
            photo = store.update(photo.id, State.NEEDS_APPROVAL, actor=REQUESTER, event="approval-requested",
                                 changes={"approvers": photo.approvers if approver in photo.approvers
                                          else [*photo.approvers, approver],
                                          "asking": {**photo.asking, approver: clock.iso(now)}, "reason": ""},
                                 detail={"approver": approver, "link_expires": clock.iso(expires)},
                                 condition=_unchanged(photo))
        except StaleTransition:
            break  # another delivery is asking (it will ask the rest), or the photo moved on
        token = links.issue(key, photo.id, approver, expires)
        try:
            bootstrap.mailer().send(approval_email(photo, approver, review_url(photo.id, token), expires,
                                                  thumbnail=thumbnail))
        except Exception:
            _release(photo, approver)
            raise
        photo = _confirm(photo, approver)
        emailed.append(approver)
    return emailed


def _hold(photo: Photo, now: datetime, *, retry: datetime | None) -> None:
    """No approver can be asked: the photo waits with the reason shown, and the press office is told once.

    Its expiry stays armed; its reminder (due at ``retry``, if before the expiry) or a redelivery of
    the request asks whoever is configured by then. A failed email is raised, and sent by the next of those.
    """
    store, parameter = bootstrap.store(), get_settings().approvers_parameter
    if photo.reason != NO_APPROVERS:
        try:
            photo = store.update(photo.id, State.NEEDS_APPROVAL, actor=REQUESTER, event="approval-held",
                                 changes={"reason": NO_APPROVERS}, detail={"parameter": parameter},
                                 condition=_unchanged(photo))
        except StaleTransition:  # another delivery held it, asked someone, or the photo moved on
            latest = store.get(photo.id)
            if latest is None or latest.state != State.NEEDS_APPROVAL or latest.reason != NO_APPROVERS:
                return
            photo = latest
    send_once(store, bootstrap.mailer(), photo, lambda: no_approvers_email(
        photo, parameters.press_office(), parameter, retry, _photo_expiry(photo.id, now)),
              event="press-office-told", detail={"why": NO_APPROVERS}, field="office_told_at")


def _confirm(photo: Photo, approver: str) -> Photo:
    """Record that ``approver``'s email went, so their claim is never taken for a dead one."""
    try:
        return bootstrap.store().update(photo.id, State.NEEDS_APPROVAL, actor=REQUESTER, event="approval-emailed",
                                       changes={"asking": {a: t for a, t in photo.asking.items() if a != approver}},
                                       detail={"approver": approver}, condition=_unchanged(photo))
    except StaleTransition:  # decided or reminded meanwhile: nothing waits on this claim any more
        log.warning("approval email sent but not confirmed", extra={"photo_id": photo.id})
        return bootstrap.store().get(photo.id) or photo


def _arm_timers(photo_id: str, reminder: datetime, expires: datetime) -> None:
    _arm_reminder(photo_id, reminder)
    bootstrap.timers().arm(expiry_schedule(photo_id), expires, get_settings().approval_timer_function_arn,
                          {"kind": "expiry", "photo_id": photo_id})


def _arm_reminder(photo_id: str, when: datetime) -> None:
    bootstrap.timers().arm(reminder_schedule(photo_id), when, get_settings().approval_timer_function_arn,
                          {"kind": "reminder", "photo_id": photo_id})


def _reminder_after() -> timedelta:
    return timedelta(seconds=get_settings().approval_reminder_seconds)


def _photo_expiry(photo_id: str, now: datetime) -> datetime:
    """When the photo's approval expires (its expiry timer), so later links end no later."""
    return bootstrap.timers().due(expiry_schedule(photo_id)) or now + timedelta(
        seconds=get_settings().link_ttl_seconds)


def _release(photo: Photo, approver: str) -> None:
    """Undo a claim whose email failed, so the retried delivery asks this approver again."""
    try:
        bootstrap.store().update(photo.id, State.NEEDS_APPROVAL, actor=REQUESTER, event="approval-request-failed",
                                changes={"approvers": [a for a in photo.approvers if a != approver],
                                         "asking": {a: t for a, t in photo.asking.items() if a != approver}},
                                detail={"approver": approver}, condition=_unchanged(photo))
    except StaleTransition:
        log.warning("could not release the approval claim", extra={"photo_id": photo.id})


def _unchanged(photo: Photo) -> tuple[str, dict[str, int]]:
    return "revision = :seen", {":seen": photo.revision}


def _thumbnail(photo: Photo) -> bytes | None:
    settings = get_settings()
    try:
        data = preview.fetch_clean(aws.client("s3"), settings.clean_bucket, photo)
        if _has_boxes(photo):  # what image analysis found, boxed as on the review page
            return annotated_preview(data, photo.analysis, photo.findings, settings.max_pixels, preview.THUMBNAIL_EDGE)
        return preview.thumbnail(data, settings.max_pixels)
    except (ValueError, ClientError, BotoCoreError) as exc:
        log.warning("no preview for the approval email: %s", type(exc).__name__, extra={"photo_id": photo.id})
        return None


# -- the review page ------------------------------------------------------------------------------
def review(photo_id: str, token: str, *, now: datetime | None = None) -> Page:
    """GET: the review page for a valid link. Reads only; never changes anything."""
    now = now or clock.now()
    opened = _open_link(photo_id, token, now)
    if isinstance(opened, Page):
        return opened
    claims, photo, approver = opened
    return _review(photo, approver, claims, token)


def decide(photo_id: str, body: str | None, headers: Mapping[str, str], *, now: datetime | None = None) -> Page:
    """POST: record an approver's decision, once. ``body`` is the form, URL-encoded (None: unreadable)."""
    now = now or clock.now()
    settings = get_settings()
    if not same_origin_request(headers, origin_of(settings.approval_base_url)):
        return _refusal(LinkError(403, "Request refused",
                                  "This decision was not sent from the Pressroom review page."))
    try:
        form = _parse_form(body, headers)
    except LinkError as err:
        return _refusal(err)
    token = _first(form, "t")
    opened = _open_link(photo_id, token, now)
    if isinstance(opened, Page):
        return opened
    claims, photo, approver = opened
    if not csrf_ok(claims.key, token, _first(form, "csrf")):
        return _refusal(LinkError(403, "Request refused",
                                  "The form was missing its security code. Open the link from your email "
                                  "again and decide from that page."))
    action, reason = _first(form, "decision"), _first(form, "reason").replace("\r\n", "\n").strip()  # as typed
    ticked = {int(v) for v in form.get("check", []) if v.isascii() and v.isdigit() and len(v) <= 4}
    problem = _problem(photo, action, reason, ticked)
    if problem:
        return _review(photo, approver, claims, token, status=400, error=problem, reason=reason, ticked=ticked)
    decision = {"action": action, "by": approver, "at": clock.iso(now), "why": reason}
    try:  # first: whatever happens after the decision is stored, the photo is queued or the uploader told
        bootstrap.timers().arm(publish_check_schedule(photo.id), now + PUBLISH_CHECK_AFTER,
                              settings.approval_timer_function_arn, {"kind": "publish-check", "photo_id": photo.id})
    except (ClientError, BotoCoreError):
        log.exception("could not arm the publish check", extra={"photo_id": photo.id})
        return _refusal(LinkError(503, "Not recorded", "Your decision could not be recorded just now. "
                                  "Nothing has changed: submit it again in a minute."))
    try:
        photo = _store_decision(photo, approver, decision, claims.nonce)
    except StaleTransition:
        latest = bootstrap.store().get(photo.id)
        if latest is None or latest.state not in _DECIDED.values():
            _disarm(publish_check_schedule(photo.id), photo.id)  # a decision that won keeps the shared check
        return (_closed(latest) if latest else None) or _refusal(LinkError(
            409, "Already decided", "Someone else changed this photo while you were deciding."))
    return _after_decision(photo, action, reason)


def _store_decision(photo: Photo, approver: str, decision: dict[str, str], nonce: str) -> Photo:
    """``NEEDS_APPROVAL →`` the decision, spending the link's nonce. Tried once more on the photo as
    re-read when another write (a reminder, a request) landed meanwhile and it still waits;
    StaleTransition when it was decided or moved on."""
    store = bootstrap.store()

    def write(current: Photo) -> Photo:
        return store.transition(current.id, State.NEEDS_APPROVAL, _DECIDED[decision["action"]], actor=approver,
                                changes={"decision": decision, "used_nonces": [*current.used_nonces, nonce]},
                                detail={"action": decision["action"], "why": decision["why"]})

    try:
        return write(photo)
    except StaleTransition:
        latest = store.get(photo.id)
        if latest is None or latest.state != State.NEEDS_APPROVAL or nonce in latest.used_nonces:
            raise
    return write(latest)


def _problem(photo: Photo, action: str, reason: str, ticked: set[int]) -> str:
    if action not in _DECIDED:
        return "Choose Approve or Reject."
    if len(reason) > MAX_REASON:
        return f"Keep the reason under {MAX_REASON} characters."
    if action == "approve" and ticked != set(range(len(photo.checklist))):
        return "Tick every item of the checklist to approve, or reject the photo with a reason."
    if action == "reject" and not reason:
        return "Give a reason to reject the photo: the uploader is told it."
    return ""


def _after_decision(photo: Photo, action: str, reason: str) -> Page:
    store = bootstrap.store()
    queued = action != "approve" or _queue_publish(photo)  # first: the timers can wait, the photo cannot
    for name in (reminder_schedule(photo.id), expiry_schedule(photo.id)):
        _disarm(name, photo.id)
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
            notify_once(store, bootstrap.mailer(), photo, REJECTED_OUTCOME, [reason])
        except Exception:
            log.exception("rejected but the uploader was not told yet", extra={"photo_id": photo.id})
    return Page(200, notice_page(title, message, kind="ok", photo=photo,
                                 audit_lines=format_audit(store.audit(photo.id))))


def _queue_publish(photo: Photo) -> bool:
    """Send the publish message; False (logged) if it could not be sent: the publish check will."""
    try:
        aws.client("sqs").send_message(QueueUrl=get_settings().publish_queue_url,
                                       MessageBody=json.dumps({"photo_id": photo.id}))
    except (ClientError, BotoCoreError):
        log.exception("approved but not queued for publishing", extra={"photo_id": photo.id})
        return False
    return True


def _disarm(name: str, photo_id: str) -> None:
    """Delete a timer; one left behind fires later, finds the photo moved on and does nothing."""
    try:
        bootstrap.timers().disarm(name)
    except (ClientError, BotoCoreError):
        log.warning("could not disarm %s", name, extra={"photo_id": photo_id})


def _open_link(photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str] | Page:
    """What a link may still decide on (claims, photo, approver), or the page saying why not."""
    try:
        claims, photo, approver = _authorise(photo_id, token, now)
    except LinkError as err:
        return _refusal(err)
    return _closed(photo) or _spent(photo, claims) or (claims, photo, approver)


def _authorise(photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str]:
    """The link's claims, the photo and the approver; LinkError when not all hold.

    A link signed before the key was rotated is honoured until it expires (its key signs its form).
    """
    claims = links.verify(parameters.signing_key(), token, now, older=parameters.previous_signing_keys())
    if claims.photo_id != photo_id:
        raise LinkError(403, "This link is not valid", "This link is for a different photo.")
    photo = bootstrap.store().get(photo_id)
    if photo is None:
        raise LinkError(404, "Photo not found", "There is no photo with this reference.")
    asked = {a.lower() for a in photo.approvers}
    approver = links.find_approver(claims, [a for a in parameters.approvers() if a.lower() in asked])
    if approver is None:
        raise LinkError(403, "Not an approver",
                        "This link's approver is not on the press office's approver list for this photo.")
    return claims, photo, approver


def _closed(photo: Photo) -> Page | None:
    """The page for a photo that can no longer be decided, or None while it is waiting."""
    if photo.state == State.NEEDS_APPROVAL:
        return None
    trail = format_audit(bootstrap.store().audit(photo.id))
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


def _spent(photo: Photo, claims: links.Claims) -> Page | None:
    if claims.nonce in photo.used_nonces:
        return _refusal(LinkError(410, "This link has been used", "A decision was already made with this link."))
    return None


def _review(photo: Photo, approver: str, claims: links.Claims, token: str, *, status: int = 200,
            error: str = "", reason: str = "", ticked: set[int] | None = None) -> Page:
    url = _shown(photo)
    html = review_page(
        photo, format_audit(bootstrap.store().audit(photo.id)), approver=approver,
        action_url=review_url(photo.id), token=token, csrf=csrf_token(claims.key, token), preview_url=url,
        expires=when(claims.expires_at.isoformat()), error=error, reason=reason, ticked=ticked or (),
        boxes_shown=url.startswith("data:") and _has_boxes(photo))
    return Page(status, html, img_origin="data:" if url.startswith("data:") else origin_of(url))


def _shown(photo: Photo) -> str:
    """The page's image: a JPEG with what image analysis found boxed, else a presigned GET of the
    clean copy, or a JPEG of one browsers may not show."""
    settings, s3 = get_settings(), aws.client("s3")
    url = preview.preview_url(s3, settings.clean_bucket, photo, settings.preview_url_seconds)
    boxed = _has_boxes(photo)
    if (photo.content_type in preview.BROWSER_TYPES and not boxed) or photo.width * photo.height > preview.REVIEW_PIXELS:
        return url
    try:
        data = preview.fetch_clean(s3, settings.clean_bucket, photo)
        if boxed:
            return preview.data_url(annotated_preview(data, photo.analysis, photo.findings,
                                                      preview.REVIEW_PIXELS, preview.REVIEW_EDGE))
        return preview.data_url(preview.thumbnail(data, preview.REVIEW_PIXELS, preview.REVIEW_EDGE))
    except (ValueError, ClientError, BotoCoreError) as exc:
        log.warning("no JPEG of the photo for the review page: %s", type(exc).__name__, extra={"photo_id": photo.id})
        return url  # Safari shows a TIFF; the approval email has a preview for the rest


def _has_boxes(photo: Photo) -> bool:
    return bool(photo.analysis.get("faces") or photo.analysis.get("lines"))


def _refusal(err: LinkError) -> Page:
    return Page(err.status, notice_page(err.title, err.message))


def _parse_form(body: str | None, headers: Mapping[str, str]) -> dict[str, list[str]]:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise LinkError(415, "Request refused", "Decisions are sent from the review page's form.")
    if body is None:
        raise LinkError(400, "Request refused", "The form could not be read.")
    if len(body.encode()) > MAX_FORM_BYTES:
        raise LinkError(413, "Request refused", "The form is too large.")
    try:
        return parse_qs(body, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        raise LinkError(400, "Request refused", "The form could not be read.") from None


def _first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def _waiting(store: PhotoStore, photo_id: str) -> tuple[Photo, list[str]] | None:
    """The photo and the configured approvers (none if not one address is valid), if it still waits."""
    photo = store.get(photo_id)
    if photo is None or photo.state != State.NEEDS_APPROVAL:
        return None
    approvers = parameters.approvers()
    return photo, approvers if any(is_address(a) for a in approvers) else []


# -- reminding and expiring -----------------------------------------------------------------------
def remind(photo_id: str, *, now: datetime | None = None) -> list[str]:
    """Once: email every approver a fresh link if ``photo_id`` still waits; return who was emailed.

    While nobody could be asked, it asks whoever is configured now (a first request) and re-arms
    itself for the usual reminder; or, with still nobody to ask, looks again ``ASK_AGAIN_AFTER`` on.
    """
    now = now or clock.now()
    store = bootstrap.store()
    waiting = _waiting(store, photo_id)
    if waiting is None:
        return []
    photo, approvers = waiting
    if not photo.approvers or not approvers:  # nobody could be asked (or can be): ask whoever is now
        expires = _photo_expiry(photo.id, now)
        after = now + (_reminder_after() if approvers else ASK_AGAIN_AFTER)
        retry = after if after < expires else None
        if retry:  # first, so that a failed email is tried again then too
            _arm_reminder(photo.id, retry)
        if approvers:
            return _ask(photo, approvers, now, expires)
        _hold(photo, now, retry=retry)
        return []
    asked = {a.lower() for a in photo.approvers}
    # all that may fail comes before reminded_at is set, so a retried invocation still reminds
    expires, key, thumbnail, sent = _photo_expiry(photo.id, now), parameters.signing_key(), _thumbnail(photo), []
    try:
        photo = store.update(photo.id, State.NEEDS_APPROVAL, actor=TIMER, event="approval-reminded",
                             changes={"approvers": [*photo.approvers, *(a for a in approvers if a.lower() not in asked)],
                                      "asking": {}, "reminded_at": clock.iso(now), "reason": ""},
                             detail={"approvers": approvers},
                             condition=("attribute_not_exists(reminded_at) OR reminded_at = :never",
                                        {":never": ""}))
    except StaleTransition:
        return []  # reminded already, or decided meanwhile
    for approver in approvers:
        link = review_url(photo.id, links.issue(key, photo.id, approver, expires))
        try:
            bootstrap.mailer().send(approval_email(photo, approver, link, expires, thumbnail=thumbnail,
                                                  reminder=True))
        except Exception:
            log.exception("reminder not sent to one approver", extra={"photo_id": photo.id})
            continue
        sent.append(approver)
    return sent


def expire(photo_id: str, *, now: datetime | None = None) -> bool:
    """``NEEDS_APPROVAL → EXPIRED`` and tell the uploader, once; False if there was nothing to do.

    A retry of an EXPIRED photo whose notice failed (``notified_at`` still empty) sends it.
    """
    now = now or clock.now()
    store = bootstrap.store()
    ttl = get_settings().link_ttl_seconds
    span = f"{ttl // 86400} days" if ttl % 86400 == 0 else f"{ttl // 3600} hours"
    try:
        photo = store.transition(photo_id, State.NEEDS_APPROVAL, State.EXPIRED, actor=TIMER,
                                 detail={"at": clock.iso(now), "after": span})
    except StaleTransition:
        latest = store.get(photo_id)
        if latest is None or latest.state != State.EXPIRED:
            return False
        return notify_once(store, bootstrap.mailer(), latest, EXPIRED_OUTCOME, _expiry_reasons(latest, span))
    _disarm(reminder_schedule(photo_id), photo_id)
    notify_once(store, bootstrap.mailer(), photo, EXPIRED_OUTCOME, _expiry_reasons(photo, span))
    return True


def _expiry_reasons(photo: Photo, span: str) -> list[str]:
    if photo.reason == NO_APPROVERS:
        return [f"Nobody could be asked to approve it within {span}: no approvers were configured."]
    return [f"No approver decided within {span} of being asked; the approval links have expired."]

