"""The review page behind each signed link (GET, read-only) and an approver's decision (POST).

* Opening a link only shows the page: mail scanners open every link, so nothing changes on a GET.
  Nobody may decide on a photo they uploaded.
* Answers: an approval counts only with every question answered (what the uploader declared stands
  as answered), no answer that breaches the guidance, and a note wherever the answer needs one
  (:mod:`pressroom.guidance.checklist`). The answers and notes are kept in the audit trail.
* Edits: the approver may change the title, description and tags. An edit is judged by the
  guidance rules again before the decision counts: a new finding that blocks refuses it, and new
  points to check are shown once before an approval with them counts. The edit is stored with the
  approval, in one write, and its audit event holds the caption before and after; publishing sends
  it as edited. A decision is refused when the caption changed since the page was served.
* Second approvals: a photo the rules route to a group needs one more approval, from someone in it
  who did not approve it already. The first approval is recorded (the photo still waits) and the
  group is asked (:meth:`pressroom.stages.request_approval.RequestApproval.ask_next`); the approval
  that meets the last need moves it to APPROVED.
* Deciding: ``NEEDS_APPROVAL → APPROVED|REJECTED`` (or a first approval) is one conditional write
  that also spends the link's nonce; only the winner sends the publish message or tells the
  uploader. A second click or a late approver gets 409 with who decided, when and why. A reminder
  or request written in the same instant does not refuse a decision: it is judged again and tried
  once more on the photo as re-read, if it still waits and the link is unspent. Before a decision is
  stored a one-time *publish check* is armed (``publish-check-<id>``, 15 minutes on); the publish
  message (or the uploader's notice of a rejection, recorded by ``notified_at``, or the second
  approvers' emails) goes right after the decision is stored. If the send fails or the process dies
  before it, the publish check (:meth:`pressroom.stages.approval_timer.ApprovalTimer.publish_check`)
  does it; publishing is exactly-once, so a message sent twice is harmless, and the notice goes once.
* Blurring: where image analysis found faces without release forms, number plates or text, the
  approver may tick what to blur before publishing (:mod:`pressroom.stages.blurring`). The page
  then shows the blurred copy as what will be published, and an approval counts only for the copy
  the page showed (``blurred``): ticking or unticking after it shows the page again with the new
  copy. The approval stores ``redacted/<id>/<sha256>.jpg`` before it is recorded, with its choices, key and
  SHA-256 in the approval, the audit trail and the decision. A later approver sees what earlier
  approvals asked to blur, and may blur more, never less.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.adapters.timers import Timers
from pressroom.domain import clock, links
from pressroom.domain.addresses import same_address
from pressroom.domain.approvals import (
    REJECTED_OUTCOME,
    counts,
    expiry_schedule,
    publish_check_schedule,
    reminder_schedule,
    review_url,
    unmet,
)
from pressroom.domain.links import LinkError
from pressroom.domain.messages import PhotoMessage
from pressroom.domain.photos import Photo, State
from pressroom.domain.redaction import CHOICES, Redaction, chosen_before, in_words, ordered
from pressroom.guidance import evaluate
from pressroom.guidance.checklist import Judged, Problem, judge
from pressroom.guidance.detector import Detections
from pressroom.imaging.redact import annotated_preview
from pressroom.settings import Settings
from pressroom.stages import blurring, duplicates
from pressroom.stages.blurring import Blurred
from pressroom.stages.notify import notify_once
from pressroom.stages.policy import facts_of
from pressroom.stages.publish import publication_of
from pressroom.stages.request_approval import RequestApproval, approved_by, has_boxes, unchanged
from pressroom.web import preview
from pressroom.web.audit import format_audit, when
from pressroom.web.csrf import csrf_ok, csrf_token, origin_of
from pressroom.web.forms import MAX_REASON, Caption, DecisionForm, caption_digest, caption_problem, split_tags
from pressroom.web.pages import BlurView, Page, Review, notice_page, review_page

log = logging.getLogger(__name__)
#: how often a decision is written again while other writes to the waiting photo keep landing first
DECISION_ATTEMPTS = 20

__all__ = ["MAX_REASON", "ApprovalApi", "refusal"]

#: after a decision, when the publish check makes sure it was acted on
PUBLISH_CHECK_AFTER = timedelta(minutes=15)
_DECIDED = {"approve": State.APPROVED, "reject": State.REJECTED}
#: buttons that show the page again, changing nothing: check an edit, show the blurred copy
_SHOWS = ("check", "blur")
_PAST = {"approve": "approved", "reject": "rejected"}
_FINDING_KEYS = ("rule", "severity", "message", "evidence", "guidance", "outcome")


def refusal(status: int, title: str, message: str) -> Page:
    """The page refusing a request: a heading and why, nothing of the photo."""
    return Page(status, notice_page(title, message))


class _CannotCount(Exception):
    """The approval cannot count (any more): the photo waits for someone else."""


class _NotBlurred(Exception):
    """The blurred copy could not be made (the scrubbed copy could not be read)."""


_BLUR_SHOWN = ("This is the copy that will be published, blurred as you ticked. Approve from here, or change "
               "what to blur and show it again.")


@dataclass(frozen=True)
class _Recheck:
    """An edited caption judged again: the photo as edited, its findings, and what the edit added."""

    photo: Photo
    added: list[dict[str, Any]]

    @property
    def blocking(self) -> list[dict[str, Any]]:
        return [f for f in self.added if f.get("severity") == "block"]


@dataclass(frozen=True)
class ApprovalApi:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    timers: Timers
    asking: RequestApproval
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

        def again(status: int, error: str = "", **kept: Any) -> Page:
            return self._review(photo, approver, claims, form.token, status=status, error=error, form=form, **kept)

        if form.decision not in (*_DECIDED, *_SHOWS):
            return again(400, "Choose Approve or Reject.")
        if len(form.reason) > MAX_REASON:
            return again(400, f"Keep the reason under {MAX_REASON} characters.", focus="reason")
        if form.shown and form.shown != _digest(photo):
            changed = next((e["actor"] for e in reversed(self.store.audit(photo.id)) if e.get("detail", {}).get("edited")),
                           "someone")
            return self._review(photo, approver, claims, form.token, status=409, form=replace(form, caption=None),
                                error=f"{changed} changed the caption since you opened this page. Read what will be "
                                      "published again, then decide.", focus="published")
        edit = form.caption if form.caption and _normal(form.caption) != _normal(_caption(photo)) else None
        if edit is not None:
            field, why = caption_problem(edit)
            if field:
                return again(400, why, focus=field, edit_open=True)
        if form.decision == "reject":
            if not form.reason:
                return again(400, "Give a reason to reject the photo: the uploader is told it.", focus="reason")
            items, _ = self.asking.items(photo)
            return self._decide(photo, approver, claims.nonce, now, "reject", form,
                                judge(items, form.answers, form.notes), None)
        recheck = self._recheck(photo, edit) if edit is not None else None
        if form.decision == "check":
            return self._checked(photo, approver, claims, form, recheck)
        if form.decision == "blur":
            return self._review(photo, approver, claims, form.token, form=form, focus="problem",
                                shown_photo=recheck.photo if recheck else None, notice=_BLUR_SHOWN)
        if recheck is not None and recheck.blocking:
            return again(400, _blocked(recheck.blocking), focus="description", edit_open=True,
                         shown_photo=recheck.photo)
        if recheck is not None and recheck.added and form.checked != _digest(recheck.photo):
            return again(400, "Your edit raised the points now shown with the questions. Read them, then approve "
                              "again.", focus="problem", edit_open=True, shown_photo=recheck.photo,
                         checked=_digest(recheck.photo))
        duplicate = duplicates.problem(duplicates.earlier(self.store, photo), "approve", form.publish_again)
        if duplicate:
            return again(400, duplicate, focus="publish-again")
        judged_photo = recheck.photo if recheck else photo
        items, _ = self.asking.items(judged_photo)
        judged = judge(items, form.answers, form.notes)
        if judged.problems:
            first = judged.problems[0]
            message = first.message if len(judged.problems) == 1 else (
                f"{len(judged.problems)} answers stop this approval: {first.message}")
            return again(400, message, problems=judged.problems, focus=_focus(first), shown_photo=judged_photo,
                         checked=_digest(judged_photo) if recheck else "")
        choices = self._choices(photo, form)
        try:
            blurred = self._blurred(photo, choices)
        except _NotBlurred as exc:
            return again(503, str(exc), focus="blur")
        seen = blurred.redaction.seen if blurred else ""
        if form.blurred != seen:
            message = (f"This is the copy that will be published, with {in_words(choices)} blurred. Look at it, "
                       "then approve again." if blurred else "Nothing will be blurred now: the photo shown is "
                       "the one that will be published. Look at it, then approve again.")
            return again(400, message, focus="problem", blurred=blurred, shown_photo=judged_photo,
                         checked=_digest(judged_photo) if recheck else "")
        return self._decide(photo, approver, claims.nonce, now, "approve", form, judged, recheck, blurred)

    # -- the decision ----------------------------------------------------------------------------
    def _decide(self, photo: Photo, approver: str, nonce: str, now: datetime, action: str, form: DecisionForm,
                judged: Judged, recheck: _Recheck | None, blurred: Blurred | None = None) -> Page:
        try:  # first: whatever happens after the decision is stored, the publish check follows it up
            self.timers.arm(publish_check_schedule(photo.id), now + PUBLISH_CHECK_AFTER,
                            self.settings.approval_timer_function_arn, {"kind": "publish-check", "photo_id": photo.id})
        except (ClientError, BotoCoreError):
            log.exception("could not arm the publish check", extra={"photo_id": photo.id})
            return refusal(503, "Not recorded", "Your decision could not be recorded just now. "
                           "Nothing has changed: submit it again in a minute.")
        if blurred is not None:
            try:  # before the approval that names it: a recorded redaction's copy is always there
                blurring.store(self.s3, self.settings.clean_bucket, blurred)
            except (ClientError, BotoCoreError):
                log.exception("could not store the blurred copy", extra={"photo_id": photo.id})
                return refusal(503, "Not recorded", "The blurred copy could not be stored just now, so your "
                               "approval was not recorded. Nothing has changed: open the link again in a minute.")
        redaction = blurred.redaction if blurred else None
        try:
            stored = self._store(photo, approver, nonce, now, action, form.reason, judged, recheck, redaction)
        except (StaleTransition, _CannotCount) as exc:
            latest = self.store.get(photo.id)
            if latest is None or (latest.state not in _DECIDED.values() and not latest.approvals):
                self._disarm(publish_check_schedule(photo.id), photo.id)  # a decision that won keeps the shared check
            if isinstance(exc, _CannotCount) and latest is not None and latest.state == State.NEEDS_APPROVAL:
                return Page(409, notice_page("Your approval cannot count", str(exc), kind="info", photo=latest,
                                             audit_lines=format_audit(self.store.audit(latest.id))))
            return (self._closed(latest) if latest else None) or refusal(
                409, "Already decided", "Someone else changed this photo while you were deciding.")
        if stored.state == State.NEEDS_APPROVAL:
            return self._after_first_approval(stored, now)
        return self._after_decision(stored, action, form.reason)

    def _store(self, photo: Photo, approver: str, nonce: str, now: datetime, action: str, reason: str,
               judged: Judged, recheck: _Recheck | None, redaction: Redaction | None = None) -> Photo:
        """Store the decision, spending the link's nonce: a rejection, the approval that meets the
        photo's last need (``→ APPROVED``), or one that leaves a need (the photo still waits). Tried
        once more on the photo as re-read when another write (a reminder, a request, another
        approval) landed meanwhile and it still waits; StaleTransition when it was decided or moved
        on, :class:`_CannotCount` when the approval no longer meets a need.

        Tried again on the photo as re-read for as long as it still waits with the link unspent:
        one request writes twice per approver, so a single retry could still refuse a decision
        nobody else made. ``DECISION_ATTEMPTS`` only stops a loop should writes never settle."""

        def write(current: Photo) -> Photo:
            if recheck is not None and _digest(current) != _digest(photo):
                raise StaleTransition(current.id, State.NEEDS_APPROVAL, current.state)  # the caption changed
            detail: dict[str, Any] = {"action": action, "why": reason, "answers": judged.answers}
            if judged.notes:
                detail["notes"] = judged.notes
            changes: dict[str, Any] = {"used_nonces": [*current.used_nonces, nonce]}
            if action == "reject":
                rejection = {"action": action, "by": approver, "at": clock.iso(now), "why": reason}
                return self.store.transition(current.id, State.NEEDS_APPROVAL, State.REJECTED, actor=approver,
                                             changes={**changes, "decision": rejection}, detail=detail)
            approval = {"by": approver, "at": clock.iso(now), "answers": judged.answers, "notes": judged.notes}
            asked = chosen_before(current.approvals)
            if not set(asked) <= set(redaction.choices if redaction else ()):
                raise _CannotCount(f"{', '.join(sorted(set(asked.values())))} asked meanwhile to blur "
                                   f"{in_words(ordered(asked))} before publishing. Open the link from your email "
                                   "again to see the copy that will be published.")
            if redaction is not None:
                approval["redaction"] = redaction.record()
                detail["blurred"] = redaction.summary()
                detail["redaction"] = redaction.record()
            changes["approvals"] = [*current.approvals, approval]
            # what it needs, by its caption as approved and every approver's answers, this one's too
            needs = self.asking.needs(replace(recheck.photo if recheck else current, approvals=changes["approvals"]))
            members = self.asking.members(needs)
            if not counts(needs, approved_by(current), members, approver):
                left = unmet(needs, approved_by(current), members)
                raise _CannotCount(f"{', '.join(approved_by(current))} approved it already, and it now needs an "
                                   f"approval from {left[0].who if left else 'someone else'}, which yours cannot be.")
            if recheck is not None:
                changes["captions"] = recheck.photo.captions
                changes["findings"] = recheck.photo.findings
                detail["edited"] = ", ".join(k for k in ("title", "description", "tags")
                                             if getattr(current, k) != getattr(recheck.photo, k))
                detail["caption"] = {k: {"before": _plain(getattr(current, k)), "after": _plain(getattr(recheck.photo, k))}
                                     for k in ("title", "description", "tags")
                                     if getattr(current, k) != getattr(recheck.photo, k)}
            left = unmet(needs, [*approved_by(current), approver], members)
            if left:  # the photo still waits; the condition: nobody else's approval landed since it was read
                detail["waits_for"] = left[0].who
                return self.store.update(current.id, State.NEEDS_APPROVAL, actor=approver, event="approval-recorded",
                                         changes=changes, detail=detail, condition=unchanged(current))
            decision: dict[str, Any] = {"action": action, "by": approver, "at": clock.iso(now), "why": reason,
                                        "approved_by": [*approved_by(current), approver]}
            if duplicates.needs_consent(duplicates.earlier(self.store, current)):
                decision["publish_again"] = True
            if redaction is not None:
                decision["redaction"] = redaction.record()
            return self.store.transition(current.id, State.NEEDS_APPROVAL, State.APPROVED, actor=approver,
                                         changes={**changes, "decision": decision}, detail=detail,
                                         condition=unchanged(current))

        current = photo
        for _ in range(DECISION_ATTEMPTS - 1):
            try:
                return write(current)
            except StaleTransition:
                latest = self.store.get(photo.id)
                if latest is None or latest.state != State.NEEDS_APPROVAL or nonce in latest.used_nonces:
                    raise
                current = latest
        return write(current)

    def _after_first_approval(self, photo: Photo, now: datetime) -> Page:
        """A first approval is stored and the photo waits for another: ask who can give it."""
        try:
            asked, wanted = self.asking.ask_next(photo, now=now)
        except Exception:
            log.exception("first approval recorded but the next approvers were not asked yet",
                          extra={"photo_id": photo.id})
            asked, wanted = [], self.asking.wanted(photo)
        need = wanted.unmet[0] if wanted.unmet else None
        who = f"{need.who}, because {need.why}" if need else "another approver"
        if asked:
            message = (f"Thank you: your approval is recorded. This photo also needs an approval from {who}; "
                       f"{', '.join(asked)} {'has' if len(asked) == 1 else 'have'} been asked. It is published "
                       "once that is given.")
        elif wanted.ask:
            message = (f"Thank you: your approval is recorded. This photo also needs an approval from {who}; "
                       f"{', '.join(wanted.ask)} will be asked.")
        else:
            message = (f"Your approval is recorded. This photo also needs an approval from {who}, but nobody can "
                       "be asked for it yet: the press office has been told. It waits until then, or expires.")
        latest = self.store.get(photo.id) or photo
        return Page(200, notice_page("Approved: one more approval needed", message, kind="ok", photo=latest,
                                     audit_lines=format_audit(self.store.audit(photo.id))))

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

    # -- blurring --------------------------------------------------------------------------------
    def _choices(self, photo: Photo, form: DecisionForm | None) -> tuple[str, ...]:
        """What will be blurred: what the approver ticked of what may be blurred, and whatever an
        earlier approval asked to blur."""
        ticked = set(form.blur) & set(blurring.offered(photo)) if form and blurring.fits(photo) else set()
        return ordered(ticked | set(chosen_before(photo.approvals)))

    def _blurred(self, photo: Photo, choices: tuple[str, ...]) -> Blurred | None:
        """The blurred copy for ``choices`` (None for none), or :class:`_NotBlurred`."""
        if not choices:
            return None
        try:
            return blurring.blur(self.s3, self.settings.clean_bucket, photo, choices)
        except (ValueError, ClientError, BotoCoreError) as exc:
            log.warning("no blurred copy: %s", type(exc).__name__, extra={"photo_id": photo.id})
            raise _NotBlurred("The blurred copy could not be made just now, so nothing can be approved with it. "
                              "Try again in a minute, or reject the photo with a reason.") from exc

    # -- edits -----------------------------------------------------------------------------------
    def _recheck(self, photo: Photo, edit: Caption) -> _Recheck:
        """The photo with ``edit`` as its caption, judged by the guidance rules again. What the text
        changes is compared (image analysis is not run again here, so it counts for neither side):
        findings the edit added are added, findings it removed are removed, the rest stay."""
        edited = replace(photo, captions={**photo.captions, "title": edit.title, "description": edit.description,
                                          "tags": list(edit.tags)})
        before = _keyed(evaluate(facts_of(photo), Detections()).findings)
        after = _keyed(evaluate(facts_of(edited), Detections()).findings)
        kept = [f for f in photo.findings if _key(f) not in before.keys() - after.keys()]
        added = [after[k] for k in after.keys() - before.keys() if k not in {_key(f) for f in kept}]
        return _Recheck(replace(edited, findings=kept + sorted(added, key=_key)), sorted(added, key=_key))

    def _checked(self, photo: Photo, approver: str, claims: links.Claims, form: DecisionForm,
                 recheck: _Recheck | None) -> Page:
        """``Check my edit``: the page again, showing what the edit would publish and raise; nothing changes."""
        if recheck is None:
            notice, error = "Nothing is edited: what will be published is as shown.", ""
        elif recheck.blocking:
            notice, error = "", _blocked(recheck.blocking)
        elif recheck.added:
            notice, error = ("Your edit passes the rules that block, and raises the points now shown with the "
                             "questions: read them before you approve."), ""
        else:
            notice, error = "Your edit passes the checks. It is stored only when you approve.", ""
        return self._review(photo, approver, claims, form.token, status=200 if not error else 400, error=error,
                            notice=notice, form=form, shown_photo=recheck.photo if recheck else None,
                            checked=_digest(recheck.photo) if recheck and not recheck.blocking else "",
                            edit_open=True, focus="problem")

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
        The approver must still be on the approvers list or in a group that approves, and not be the
        photo's uploader.
        """
        parameters = self.asking.parameters
        claims = links.verify(parameters.signing_key(), token, now, older=parameters.previous_signing_keys())
        if claims.photo_id != photo_id:
            raise LinkError(403, "This link is not valid", "This link is for a different photo.")
        photo = self.store.get(photo_id)
        if photo is None:
            raise LinkError(404, "Photo not found", "There is no photo with this reference.")
        asked = {a.lower() for a in photo.approvers}
        approver = links.find_approver(claims, [a for a in self.asking.pool() if a.lower() in asked])
        if approver is None:
            raise LinkError(403, "Not an approver",
                            "This link's approver is not on the press office's approver list for this photo.")
        if same_address(approver, photo.uploader):
            raise LinkError(403, "You uploaded this photo",
                            "Nobody approves a photo they uploaded: someone else must decide on it.")
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
                error: str = "", notice: str = "", form: DecisionForm | None = None, shown_photo: Photo | None = None,
                problems: list[Problem] | None = None, focus: str = "", checked: str = "",
                edit_open: bool = False, blurred: Blurred | None = None) -> Page:
        """The review page; ``shown_photo`` is the photo as an edit would make it (what is shown as
        published, and judged), ``form`` what the approver posted (kept in the fields), ``blurred``
        the blurred copy of what will be blurred, when it was made already."""
        shown = shown_photo or photo
        choices = self._choices(photo, form)
        if blurred is None or blurred.redaction.choices != choices:
            try:
                blurred = self._blurred(photo, choices)
            except _NotBlurred as exc:
                blurred, error, status, focus = None, error or str(exc), 503 if status == 200 else status, "blur"
        url = blurred.preview_url if blurred else self._shown(photo)
        earlier = duplicates.earlier(self.store, photo)
        items, others = self.asking.items(shown)
        caption = form.caption if form and form.caption else _caption(shown)
        view = Review(
            photo=photo, public=publication_of(shown, self.settings), items=items, others=others,
            approver=approver, action_url=review_url(self.settings.approval_base_url, photo.id), token=token,
            csrf=csrf_token(claims.key, token), preview_url=url, expires=when(claims.expires_at.isoformat()),
            audit_lines=format_audit(self.store.audit(photo.id)), caption=caption, shown=_digest(photo),
            checked=checked, answers=dict(form.answers) if form else {}, notes=dict(form.notes) if form else {},
            problems=problems or [], error=error, notice=notice, reason=form.reason if form else "",
            progress=self._progress(photo), focus=focus, edit_open=edit_open or shown is not photo,
            earlier=earlier, again_needed=duplicates.needs_consent(earlier), again=bool(form and form.publish_again),
            boxes_shown=not blurred and url.startswith("data:") and has_boxes(photo),
            unjudged=self.asking.unjudged(shown), blur=self._blur_view(photo, choices, blurred))
        return Page(status, review_page(view), img_origin="data:" if url.startswith("data:") else origin_of(url))

    def _blur_view(self, photo: Photo, choices: tuple[str, ...], blurred: Blurred | None) -> BlurView:
        """What the "Blur before publishing" fieldset shows."""
        found, before = blurring.offered(photo), chosen_before(photo.approvals)
        fits = blurring.fits(photo)
        offered = {c: found.get(c, 0) for c in CHOICES if (fits and c in found) or c in before}
        return BlurView(offered=offered, chosen=choices, before=before,
                        seen=blurred.redaction.seen if blurred else "", too_large=bool(found) and not fits)

    def _progress(self, photo: Photo) -> str:
        if not photo.approvals:
            return ""
        left = self.asking.wanted(photo).unmet
        need = f" It now needs an approval from {left[0].who}, because {left[0].why}." if left else ""
        return f"Approved so far by {', '.join(approved_by(photo))}.{need}"

    def _shown(self, photo: Photo) -> str:
        """The page's image: a JPEG with what image analysis found boxed, else a presigned GET of the
        clean copy, or a JPEG of one browsers may not show."""
        bucket = self.settings.clean_bucket
        url = preview.preview_url(self.s3, bucket, photo, self.settings.preview_url_seconds)
        boxed = has_boxes(photo)
        if (photo.content_type in preview.BROWSER_TYPES and not boxed) or photo.width * photo.height > preview.REVIEW_PIXELS:
            return url
        try:
            data = preview.fetch_clean(self.s3, bucket, photo)
            if boxed:
                return preview.data_url(annotated_preview(data, photo.analysis, photo.findings,
                                                          preview.REVIEW_PIXELS, preview.REVIEW_EDGE))
            return preview.data_url(preview.thumbnail(data, preview.REVIEW_PIXELS, preview.REVIEW_EDGE))
        except (ValueError, ClientError, BotoCoreError) as exc:
            log.warning("no JPEG of the photo for the review page: %s", type(exc).__name__,
                        extra={"photo_id": photo.id})
            return url  # Safari shows a TIFF; the approval email has a preview for the rest


def _spent(photo: Photo, claims: links.Claims) -> Page | None:
    if claims.nonce in photo.used_nonces:
        return refusal(410, "This link has been used", "A decision was already made with this link.")
    return None


def _caption(photo: Photo) -> Caption:
    return Caption(photo.title, photo.description, tuple(photo.tags))


def _normal(caption: Caption) -> Caption:
    """A caption as the form would post it back unchanged."""
    return Caption(" ".join(caption.title.split()), caption.description.replace("\r\n", "\n").strip(),
                   split_tags(", ".join(caption.tags)))


def _digest(photo: Photo) -> str:
    return caption_digest(photo.title, photo.description, photo.tags)


def _plain(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _key(finding: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (str(finding.get("rule", "")), str(finding.get("outcome", "")), str(finding.get("severity", "")),
            str(finding.get("evidence", "")))


def _keyed(findings: Any) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    as_dicts = [{k: getattr(f, k) for k in _FINDING_KEYS} for f in findings]
    return {_key(f): f for f in as_dicts}


def _blocked(findings: list[dict[str, Any]]) -> str:
    first = findings[0]
    return (f"Your edit cannot be published: {first['message']} (Guidance: \u201c{first['guidance']}\u201d) "
            "Change it, or reject the photo with a reason.")


def _focus(problem: Problem) -> str:
    return f"note-{problem.question}" if problem.kind == "note" else f"q-{problem.question}"
