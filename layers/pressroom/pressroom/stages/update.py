"""Correcting a published photo's title, description or tags: a second review of the change only.

``pressroom update PHOTO_ID --title/--description/--tags`` runs the guidance's text rules over the
fields that change (a finding that blocks refuses the change outright, as it would have refused
the upload), records the proposed correction on the photo with an audit event, and emails every
approver a signed, personal link to review it: the page shows each field as it is and as it
would be, and the findings. The first approver's decision is final (one conditional write that
spends the link's nonce); a newer correction of the same photo replaces a pending one, and the
older one's links stop working. An approved correction reaches the amend queue through the
table's stream (:mod:`pressroom.stages.photo_events`), and the amend function updates Flickr
(``photos.setMeta``, ``photos.setTags``: the published caption keeps its credit, link back and
crime-reporting line, the tags their machine tag) before recording the new captions with an
audit event carrying what they were.

A correction's ``phase``: ``pending`` → ``approved`` | ``rejected``; ``approved`` → ``applied`` |
``failed`` (the photo is no longer on Flickr).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from pressroom.adapters import parameters
from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import Publisher, PublisherUnavailable, PublishRefused
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock, links
from pressroom.domain.links import LinkError
from pressroom.domain.photos import Photo, State
from pressroom.guidance import declared_facts, load_rulebook, published_caption, scan, text_fields, text_findings
from pressroom.guidance.detector import Detections
from pressroom.guidance.model import Facts
from pressroom.settings import Settings, get_settings
from pressroom.stages.notify import is_address
from pressroom.stages.publish import machine_tag
from pressroom.stages.takedown import display_name
from pressroom.web.audit import format_audit, when
from pressroom.web.csrf import csrf_ok, csrf_token, origin_of, same_origin_request
from pressroom.web.forms import first, parse_form, typed_text
from pressroom.web.pages import text as finding_text
from pressroom.web.templating import HtmlPage, render

ACTOR = "amend"
LINK_PURPOSE = "correction"
FIELDS = ("title", "description", "tags")
MAX_REASON = 2000
_DECIDED = {"approve": "approved", "reject": "rejected"}


class CorrectionRefused(Exception):
    """The correction breaks a rule that blocks: it is not sent for review."""

    def __init__(self, findings: list[dict[str, Any]]):
        super().__init__("; ".join(f"{f['rule']}: {f['message']}" for f in findings if f["severity"] == "block"))
        self.findings = findings


class CorrectionRetry(Exception):
    """Flickr could not take the correction just now: the message is retried."""


def current_text(photo: Photo) -> dict[str, Any]:
    return {"title": photo.title, "description": photo.description, "tags": photo.tags}


def proposed_text(photo: Photo, *, title: str | None, description: str | None, tags: list[str] | None) -> dict[str, Any]:
    """The photo's text with the given fields replaced (None: unchanged); tags cleaned and unique."""
    now = current_text(photo)
    return {
        "title": " ".join(title.split()) if title is not None else now["title"],
        "description": description.strip() if description is not None else now["description"],
        "tags": list(dict.fromkeys(" ".join(t.split()) for t in tags if t.strip())) if tags is not None else now["tags"],
    }


def review_text(photo: Photo, proposed: dict[str, Any]) -> list[dict[str, Any]]:
    """The guidance's text rules over the fields ``proposed`` changes (what was approved before is
    not judged again)."""
    changed = {name for name in FIELDS if proposed[name] != current_text(photo)[name]}
    facts = Facts(title=proposed["title"], description=proposed["description"], tags=list(proposed["tags"]),
                  album=photo.album, declared=photo.declared)
    fields = {name: text for name, text in text_fields(facts, Detections(available=False)).items() if name in changed}
    return [asdict(f) for f in text_findings(scan(fields, (), load_rulebook()))]


# -- asking ------------------------------------------------------------------------------------------
def request_correction(store: PhotoStore, mailer: Mailer, photo_id: str, *, by: str, title: str | None = None,
                       description: str | None = None, tags: list[str] | None = None,
                       approvers: list[str] | None = None, key: bytes | None = None,
                       now: datetime | None = None) -> Photo:
    """Record a correction of a published photo and email each approver a link to review it.

    LookupError: no such photo, or not published. ValueError: nothing would change.
    :class:`CorrectionRefused`: a text rule blocks it (nothing recorded).
    """
    now = now or clock.now()
    photo = store.get(photo_id)
    if photo is None:
        raise LookupError(f"there is no photo {photo_id}")
    if photo.state != State.PUBLISHED:
        raise LookupError(f"photo {photo_id} is {photo.state.value}: only a published photo can be corrected")
    proposed = proposed_text(photo, title=title, description=description, tags=tags)
    if proposed == current_text(photo):
        raise ValueError("that is what the photo already says: nothing to correct")
    findings = review_text(photo, proposed)
    if any(f["severity"] == "block" for f in findings):
        raise CorrectionRefused(findings)
    approvers = [a for a in (parameters.approvers() if approvers is None else approvers) if is_address(a)]
    if not approvers:
        raise LookupError(f"no approvers are configured ({get_settings().approvers_parameter}): nobody can review it")
    expires = now + timedelta(seconds=get_settings().link_ttl_seconds)
    correction = {"id": uuid.uuid4().hex[:12], **proposed, "previous": current_text(photo), "findings": findings,
                  "by": by, "at": clock.iso(now), "phase": "pending", "asked": approvers,
                  "expires": clock.iso(expires)}
    replaced = (photo.correction or {}).get("id") if (photo.correction or {}).get("phase") == "pending" else None
    photo = store.update(photo.id, State.PUBLISHED, actor=by, event="correction-requested",
                         changes={"correction": correction},
                         detail={"id": correction["id"], "fields": [f for f in FIELDS if proposed[f] != correction["previous"][f]],
                                 "findings": len(findings), **({"replaces": replaced} if replaced else {})},
                         condition=("revision = :seen", {":seen": photo.revision}))
    signing = links.purpose_key(key or parameters.published_links_key(), LINK_PURPOSE)
    for approver in approvers:
        token = links.issue(signing, subject(photo.id, correction["id"]), approver, expires)
        mailer.send(review_email(photo, approver, correction_url(photo.id, token), expires))
    return photo


def _shown(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


def subject(photo_id: str, correction_id: str) -> str:
    """What a correction link names: the photo and the one correction (an older one's links fail)."""
    return f"{photo_id}.{correction_id}"


def correction_url(photo_id: str, token: str | None = None) -> str:
    url = f"{get_settings().approval_base_url.rstrip('/')}/correction/{quote(photo_id, safe='')}"
    return f"{url}?t={token}" if token else url


def correction_message(photo: Photo) -> str:
    """The amend queue's message that applies ``photo``'s approved correction."""
    return json.dumps({"kind": "correction", "photo_id": photo.id, "correction": photo.correction.get("id", "")})


def review_email(photo: Photo, approver: str, link: str, expires: datetime) -> Email:
    c = photo.correction
    name = display_name(photo)
    lines = [f"A correction of a published photo is waiting for your review: \"{name}\" (album {photo.album}),",
             f"  {photo.flickr.get('url', '')}", f"asked for by {c.get('by', '?')}.", ""]
    for field in FIELDS:
        before, after = c["previous"][field], c[field]
        if before != after:
            lines += [f"{field.title()} now:  {_shown(before) or '—'}", f"{field.title()} would be:  {_shown(after) or '—'}", ""]
    findings = c.get("findings") or []
    lines.append(f"Findings of the text rules ({len(findings)}):" if findings else "The text rules found nothing to flag.")
    lines += [f"  [{str(f['severity']).upper()}] {finding_text(f['message'])} ({f['rule']})" for f in findings]
    lines += ["", "Review the change and decide:", link, "",
              f"This link is personal to you and works until {when(expires.isoformat())}. The first decision is final."]
    return Email(to=[approver], subject=f"Correction to review: {name} ({photo.album})"[:150], text="\n".join(lines) + "\n")


# -- the review page ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CorrectionPages:
    """The page behind a correction's review link (GET: shows; POST: decides, once)."""

    settings: Settings
    store: PhotoStore
    key: Callable[[], bytes]
    older_keys: Callable[[], Iterable[bytes]]
    approvers: Callable[[], list[str]]

    def page(self, photo_id: str, token: str, *, now: datetime | None = None) -> HtmlPage:
        """GET: the correction, as it is and as it would be. Reads only."""
        opened = self._open(photo_id, token, now or clock.now())
        if isinstance(opened, HtmlPage):
            return opened
        return self._form(*opened, token)

    def decide(self, photo_id: str, body: str | None, headers: Mapping[str, str], *, now: datetime | None = None) -> HtmlPage:
        """POST: approve or reject the correction, once."""
        now = now or clock.now()
        if not same_origin_request(headers, origin_of(self.settings.approval_base_url)):
            return self._notice(403, "Request refused", "This decision was not sent from the Pressroom correction page.")
        try:
            form = parse_form(body, headers)
        except LinkError as err:
            return self._notice(err.status, err.title, err.message)
        token = first(form, "t")
        opened = self._open(photo_id, token, now)
        if isinstance(opened, HtmlPage):
            return opened
        claims, photo, approver = opened
        if not csrf_ok(claims.key, token, first(form, "csrf")):
            return self._notice(403, "Request refused", "The form was missing its security code. Open the link from your "
                                                   "email again and decide from that page.")
        action, reason = first(form, "decision"), typed_text(first(form, "reason"))
        problem = ("Choose Approve or Reject." if action not in _DECIDED else
                   f"Keep the reason under {MAX_REASON} characters." if len(reason) > MAX_REASON else
                   "Give a reason to reject the correction." if action == "reject" and not reason else "")
        if problem:
            return self._form(claims, photo, approver, token, status=400, error=problem, reason=reason)
        decided = {**photo.correction, "phase": _DECIDED[action], "decided_by": approver, "decided_at": clock.iso(now),
                   "why": reason}
        try:
            photo = self.store.update(
                photo.id, State.PUBLISHED, actor=approver, event=f"correction-{_DECIDED[action]}",
                changes={"correction": decided, "used_nonces": [*photo.used_nonces, claims.nonce]},
                detail={"id": decided["id"], "why": reason}, condition=("revision = :seen", {":seen": photo.revision}))
        except StaleTransition:
            latest = self.store.get(photo.id)
            return (self._closed(latest) if latest else None) or self._notice(409, "Not recorded",
                                                                     "The photo changed while you were deciding: open the link again.")
        if action == "approve":
            return self._notice(200, "Correction approved", "Thank you. Flickr is being updated with the corrected text now.",
                           kind="ok", photo=photo)
        return self._notice(200, "Correction rejected", "The photo keeps its published text.", kind="ok", photo=photo)

    def _open(self, photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str] | HtmlPage:
        try:
            claims = links.verify(links.purpose_key(self.key(), LINK_PURPOSE), token, now,
                                  older=(links.purpose_key(k, LINK_PURPOSE)
                                         for k in self.older_keys()))
        except LinkError as err:
            words = {410: "Correction links work for a limited time, and this one has run out.",
                     403: "This link was not issued by Pressroom, or it has been altered."}
            return self._notice(err.status, err.title, words.get(err.status, "The link is incomplete or damaged."))
        photo = self.store.get(photo_id)
        if photo is None or not claims.photo_id.startswith(f"{photo_id}."):
            return self._notice(403 if photo else 404, "This link is not valid", "This link is for a different photo.")
        correction = photo.correction or {}
        if claims.photo_id != subject(photo.id, str(correction.get("id", ""))):
            return self._notice(410, "Replaced", "This correction was replaced by a newer one; its own email has the link.")
        asked = {a.lower() for a in correction.get("asked", [])}
        approver = links.find_approver(claims, [a for a in self.approvers() if a.lower() in asked])
        if approver is None:
            return self._notice(403, "Not an approver", "This link's approver is not on the approver list.")
        if photo.state != State.PUBLISHED or correction.get("phase") != "pending":
            return self._closed(photo) or self._notice(409, "Not published", "The photo is no longer published.")
        if claims.nonce in photo.used_nonces:
            return self._notice(410, "This link has been used", "A decision was already made with this link.")
        return claims, photo, approver

    def _closed(self, photo: Photo) -> HtmlPage | None:
        c = photo.correction or {}
        if c.get("phase") in (None, "pending") and photo.state == State.PUBLISHED:
            return None
        if c.get("decided_by"):
            return self._notice(409, "Already decided", f"This correction was {c['phase']} by {c['decided_by']} at "
                                                   f"{when(str(c.get('decided_at', '')))}.", kind="info", photo=photo)
        return self._notice(409, "Not open for review", f"The photo is {photo.state.value.replace('_', ' ').lower()}.",
                       kind="info", photo=photo)

    def _form(self, claims: links.Claims, photo: Photo, approver: str, token: str, *, status: int = 200, error: str = "",
              reason: str = "") -> HtmlPage:
        c = photo.correction
        rows = [(field.title(), _shown(c["previous"][field]), _shown(c[field]), c["previous"][field] != c[field])
                for field in FIELDS]
        return HtmlPage(status, render(
            "correction.html", title=f"Correction: {display_name(photo)}", section="correct a published photo",
            error=error, message="", kind="", photo=photo, rows=rows, findings=c.get("findings") or [],
            finding_text=finding_text, requested_by=c.get("by", "?"), url=photo.flickr.get("url", ""),
            action_url=correction_url(photo.id), token=token, csrf=csrf_token(claims.key, token), reason=reason,
            max_reason=MAX_REASON, approver=approver, expires=when(claims.expires_at.isoformat()),
            history=format_audit(self.store.audit(photo.id))))

    def _notice(self, status: int, title: str, message: str, *, kind: str = "error", photo: Photo | None = None) -> HtmlPage:
        history = format_audit(self.store.audit(photo.id)) if photo else []
        return HtmlPage(status, render("amend_notice.html", title=title, section="correct a published photo", error="",
                                       message=message, kind=kind, photo=photo, history=history))


# -- applying it (the amend function) ----------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    photo_id: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class CorrectionStage:
    settings: Settings
    store: PhotoStore
    publisher: Publisher
    max_attempts: int = 5
    now: Callable[[], datetime] = clock.now

    def apply(self, photo_id: str, correction_id: str, *, attempt: int) -> Outcome:
        """Put approved correction ``correction_id`` on Flickr and record it on the photo."""
        photo = self.store.get(photo_id)
        c = (photo.correction if photo else None) or {}
        if photo is None or c.get("id") != correction_id:
            return Outcome(photo_id, "skipped", "no such correction")
        if c.get("phase") != "approved":
            return Outcome(photo_id, "skipped", f"the correction is {c.get('phase')}")
        if photo.state != State.PUBLISHED:
            return self._record(photo, "failed", f"the photo is {photo.state.value}", event="correction-failed")
        flickr_id = str(photo.flickr.get("id") or "")
        credit = declared_facts(photo.declared, photo.captions).get("credit", "")
        try:
            self.publisher.set_meta(flickr_id, title=c["title"],
                                    description=published_caption(c["title"], c["description"], credit))
            self.publisher.set_tags(flickr_id, [*c["tags"], machine_tag(photo.id)])
        except PublishRefused as exc:
            return self._record(photo, "failed", str(exc), event="correction-failed")
        except PublisherUnavailable as exc:
            raise CorrectionRetry(f"attempt {attempt} of {self.max_attempts}: {exc}") from exc
        return self._record(photo, "applied", "", event="corrected")

    def _record(self, photo: Photo, phase: str, reason: str, *, event: str) -> Outcome:
        c = photo.correction
        changes: dict[str, Any] = {"correction": {**c, "phase": phase, "applied_at": clock.iso(self.now()),
                                                  **({"reason": reason} if reason else {})}}
        if phase == "applied":
            changes["captions"] = {**photo.captions, **{f: c[f] for f in FIELDS}}
        try:
            self.store.update(photo.id, photo.state, actor=ACTOR, event=event, changes=changes,
                              detail={"id": c["id"], "before": json.dumps(c["previous"]),
                                      "after": json.dumps({f: c[f] for f in FIELDS}), **({"reason": reason} if reason else {})},
                              condition=("revision = :seen", {":seen": photo.revision}))
        except StaleTransition as exc:  # another write landed: the retry reads it again (Flickr calls repeat safely)
            raise CorrectionRetry("the photo changed while the correction was applied") from exc
        return Outcome(photo.id, phase, reason)
