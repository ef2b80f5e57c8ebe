"""Asking approvers: each is emailed a signed, personal link to the photo's review page, once.

Who is asked: every photo needs one approval from the approvers list, so the first request goes to
it; a photo the rules route to a group (``[[route]]`` in ``rules.toml``: children, a crime scene,
the "other" category) needs one more, from someone in that group other than who approved it first
(:mod:`pressroom.domain.approvals`), and the group is asked once the first approval is recorded
(:meth:`RequestApproval.ask_next`, called by the approval API). Nobody is ever asked about a photo
they uploaded. Groups are SSM parameters, ``<groups_parameter_prefix><group>``.

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
* Nobody to ask (the approvers parameter holds no valid address, only the uploader, or a group
  nobody else is in): the photo stays NEEDS_APPROVAL with ``reason`` saying so (``pressroom
  status`` shows it), its expiry and reminder are armed as for any request, but the reminder is due
  ``ASK_AGAIN_AFTER`` on, and the press office is emailed once (``office_told_at``, cleared when
  someone is asked again). The request is not retried through SQS (its dead-letter queue would only
  alarm): a redelivery of the request, or the reminder (:mod:`pressroom.stages.approval_timer`),
  asks whoever can be asked by then (a first request, links ending when the photo expires, the
  reminder re-armed); while nobody can, the reminder re-arms itself until the photo expires on
  schedule and the uploader is told why.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from pressroom.adapters.mail import Mailer
from pressroom.adapters.parameters import Parameters
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.adapters.timers import Timers
from pressroom.domain import clock, links
from pressroom.domain.addresses import is_address, same_address
from pressroom.domain.approvals import (
    APPROVERS,
    NO_APPROVERS,
    ONLY_THE_UPLOADER,
    Need,
    counts,
    expiry_schedule,
    nobody_in,
    reminder_schedule,
    review_url,
    unmet,
)
from pressroom.domain.photos import Photo, State
from pressroom.guidance.checklist import Item, checklist, routes_for
from pressroom.guidance.rules import RuleBook, load_rulebook
from pressroom.imaging.redact import annotated_preview
from pressroom.settings import Settings
from pressroom.stages.notify import send_once
from pressroom.stages.publish import publication_of
from pressroom.web import preview
from pressroom.web.emails import approval_email, nobody_to_ask_email

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


def approved_by(photo: Photo) -> list[str]:
    return [str(a.get("by", "")) for a in photo.approvals]


@dataclass(frozen=True)
class Wanted:
    """Whom a waiting photo waits for: ``needs`` (``unmet`` of them not yet given), who to ask now,
    and, when nobody can be asked, the reason the photo shows."""

    needs: list[Need]
    unmet: list[Need]
    ask: list[str]
    reason: str


@dataclass(frozen=True)
class RequestApproval:
    settings: Settings
    store: PhotoStore
    mailer: Mailer
    timers: Timers
    parameters: Parameters
    s3: Any
    book: RuleBook | None = None

    @property
    def rules(self) -> RuleBook:
        return self.book or load_rulebook()

    def request(self, photo_id: str, *, now: datetime | None = None) -> list[str]:
        """Email each approver who may approve ``photo_id`` now and was not asked; return who was emailed.

        A no-op (empty list) when the photo is not waiting for approval or everyone was asked already.
        With nobody to ask, the photo is held (:meth:`hold`) and nobody is emailed.
        """
        now = now or clock.now()
        photo = self.store.get(photo_id)
        if photo is None or photo.state != State.NEEDS_APPROVAL:
            return []
        wanted = self.wanted(photo)
        expires = self.photo_expiry(photo.id, now)  # set by the first attempt; later ones keep it
        reminder = None
        if not photo.approvers and (wanted.ask or not photo.reason):  # the first attempt, or the first ask after it
            reminder = now + (self.reminder_after if wanted.ask else ASK_AGAIN_AFTER)
            self._arm_timers(photo.id, reminder, expires)
        if not wanted.ask:
            self.hold(photo, wanted, now, retry=reminder)
            return []
        return self.ask(photo, wanted.ask, now, expires)

    def ask_next(self, photo: Photo, *, now: datetime) -> tuple[list[str], Wanted]:
        """After an approval that left a need unmet: ask who can meet it (or hold the photo)."""
        wanted = self.wanted(photo)
        if not wanted.ask:
            self.hold(photo, wanted, now, retry=None)
            return [], wanted
        return self.ask(photo, wanted.ask, now, self.photo_expiry(photo.id, now)), wanted

    # -- who ---------------------------------------------------------------------------------------
    def needs(self, photo: Photo) -> list[Need]:
        """The approvals ``photo`` needs: one from the approvers list, and one from each group a
        route sends it to (by its declarations, findings, caption or any approver's answers)."""
        text = "\n".join([photo.title, photo.description, *photo.tags])
        routes = routes_for(self.rules.routes, photo.declared, photo.findings,
                            [a.get("answers", {}) for a in photo.approvals], text)
        needs = [Need()]
        for route in routes:
            if route.group not in [n.group for n in needs]:
                needs.append(Need(route.group, route.who, route.why))
            else:
                index = next(i for i, n in enumerate(needs) if n.group == route.group)
                needs[index] = Need(route.group, route.who, f"{needs[index].why}, and {route.why}")
        return needs

    def members(self, needs: Sequence[Need]) -> dict[str, list[str]]:
        """Each group's addresses (``APPROVERS``: the approvers list; none when not one is valid)."""
        approvers = self.parameters.approvers()
        found = {APPROVERS: approvers if any(is_address(a) for a in approvers) else []}
        for need in needs:
            if need.group != APPROVERS and need.group not in found:
                found[need.group] = [a for a in self.parameters.members(need.group) if is_address(a)]
        return found

    def pool(self) -> list[str]:
        """Everyone who may decide on some photo: the approvers and every routed group's members."""
        return list(dict.fromkeys(a for group in self.members(self.all_groups()).values() for a in group))

    def all_groups(self) -> list[Need]:
        return [Need(route.group, route.who, route.why) for route in self.rules.routes]

    def wanted(self, photo: Photo) -> Wanted:
        """Who to ask about ``photo`` now: the approvers list until one has approved it, then whoever
        would meet a need still unmet; never its uploader, nor anyone who approved it."""
        needs = self.needs(photo)
        members = self.members(needs)
        approved = approved_by(photo)
        left = unmet(needs, approved, members)
        if not approved:
            ask = [a for a in members[APPROVERS] if not same_address(a, photo.uploader)]
        else:
            pool = list(dict.fromkeys(a for group in members.values() for a in group))
            ask = [a for a in pool if not same_address(a, photo.uploader) and counts(needs, approved, members, a)]
        reason = ""
        if not ask:
            if not approved and not members[APPROVERS]:
                reason = NO_APPROVERS
            elif not approved:
                reason = ONLY_THE_UPLOADER
            else:
                reason = nobody_in(left[0].who if left else "another approver")
        return Wanted(needs, left, ask, reason)

    def items(self, photo: Photo) -> tuple[list[Item], list[dict[str, Any]]]:
        """The questions about ``photo`` with their findings, and the findings no question names."""
        return checklist(self.rules.questions, photo.declared, photo.findings)

    # -- asking ------------------------------------------------------------------------------------
    def ask(self, photo: Photo, approvers: list[str], now: datetime, expires: datetime, *,
            reminder: bool = False) -> list[str]:
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
                             "asking": {**photo.asking, approver: clock.iso(now)}, "reason": "",
                             **({"office_told_at": ""} if photo.reason else {})},
                    detail={"approver": approver, "link_expires": clock.iso(expires)},
                    condition=unchanged(photo))
            except StaleTransition:
                break  # another delivery is asking (it will ask the rest), or the photo moved on
            token = links.issue(key, photo.id, approver, expires)
            try:
                self.mailer.send(self.email(photo, approver, self.review_url(photo.id, token), expires,
                                            thumbnail=thumbnail, reminder=reminder))
            except Exception:
                self._release(photo, approver)
                raise
            photo = self._confirm(photo, approver)
            emailed.append(approver)
        return emailed

    def email(self, photo: Photo, approver: str, link: str, expires: datetime, *, thumbnail: bytes | None,
              reminder: bool = False) -> Any:
        """The approval email for ``approver``: what will be published, the link, the findings, the
        questions, and, after a first approval, why they are asked too."""
        items, _ = self.items(photo)
        context = ""
        if photo.approvals:
            left = self.wanted(photo).unmet
            if left:
                context = (f"{', '.join(approved_by(photo))} approved it. It also needs an approval from "
                           f"{left[0].who}, because {left[0].why}: you can give it.")
        return approval_email(photo, publication_of(photo, self.settings), items, approver, link, expires,
                              thumbnail=thumbnail, reminder=reminder, context=context)

    def hold(self, photo: Photo, wanted: Wanted, now: datetime, *, retry: datetime | None) -> None:
        """Nobody can be asked: the photo waits with the reason shown, and the press office is told once.

        Its expiry stays armed; its reminder (due at ``retry``, if before the expiry) or a redelivery of
        the request asks whoever can be asked by then. A failed email is raised, and sent by the next of those.
        """
        reason = wanted.reason
        if photo.reason != reason:
            try:
                photo = self.store.update(photo.id, State.NEEDS_APPROVAL, actor=ACTOR, event="approval-held",
                                          changes={"reason": reason}, detail={"why": reason},
                                          condition=unchanged(photo))
            except StaleTransition:  # another delivery held it, asked someone, or the photo moved on
                latest = self.store.get(photo.id)
                if latest is None or latest.state != State.NEEDS_APPROVAL or latest.reason != reason:
                    return
                photo = latest
        why, fix = self._explain(photo, wanted)
        send_once(self.store, self.mailer, photo, lambda: nobody_to_ask_email(
            photo, self.parameters.press_office(), why, fix, retry, self.photo_expiry(photo.id, now)),
                  event="press-office-told", detail={"why": reason}, field="office_told_at")

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
            data = preview.fetch_clean(self.s3, self.settings.clean_bucket, photo)
            if has_boxes(photo):  # what image analysis found, boxed as on the review page
                return annotated_preview(data, photo.analysis, photo.findings, self.settings.max_pixels,
                                         preview.THUMBNAIL_EDGE)
            return preview.thumbnail(data, self.settings.max_pixels)
        except (ValueError, ClientError, BotoCoreError) as exc:
            log.warning("no preview for the approval email: %s", type(exc).__name__, extra={"photo_id": photo.id})
            return None

    # -- steps -----------------------------------------------------------------------------------
    def _explain(self, photo: Photo, wanted: Wanted) -> tuple[str, str]:
        """Why nobody can be asked about ``photo``, and what would change that, for the press office."""
        parameter = self.settings.approvers_parameter
        if wanted.reason == NO_APPROVERS:
            return (f"no approvers are configured: the SSM parameter {parameter} holds no valid email address, "
                    "so nobody has been asked to review it",
                    f"Put the approvers' addresses in {parameter}, separated by commas.")
        if wanted.reason == ONLY_THE_UPLOADER:
            return (f"its uploader is the only approver in the SSM parameter {parameter}, and nobody approves a "
                    "photo they uploaded", f"Add another approver's address to {parameter}.")
        need = wanted.unmet[0] if wanted.unmet else Need()
        group = self.settings.groups_parameter_prefix + need.group if need.group else parameter
        return (f"it needs an approval from {need.who} too, because {need.why}, and the SSM parameter {group} "
                f"names nobody else who can give it (approved by {', '.join(approved_by(photo)) or 'nobody'})",
                f"Put their addresses in {group}, separated by commas.")

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


def has_boxes(photo: Photo) -> bool:
    """Whether image analysis found faces or text to box on the photo's previews."""
    return bool(photo.analysis.get("faces") or photo.analysis.get("lines"))
