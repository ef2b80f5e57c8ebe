"""Taking a published photo down: asked for by a person, done on Flickr by the amend function.

A take-down is asked for with ``pressroom takedown PHOTO_ID --reason ...`` or through the signed,
personal, single-use link in the press office's copy of the photo's published notice (the page a
GET shows changes nothing; only its form's POST, with its CSRF code, from the page's own origin,
asks). Asking is one conditional write, ``PUBLISHED → TAKING_DOWN`` with who, when, why and the
kind of reason (:data:`KINDS`: a withdrawn consent is one), so two people asking at once take it
down once. The table's stream turns that change into a message on the amend queue
(:mod:`pressroom.stages.photo_events`), whatever process asked: nothing a person asked for waits
on an email or a queue that failed.

The amend function (:class:`TakedownStage`) then takes the photo out of its photoset and deletes
it (``takedown_mode=private``: makes it private; a withdrawn consent always deletes), records
``TAKING_DOWN → TAKEN_DOWN`` with when and how, and tells the uploader once (``takedown_notified_at``).
Every step is safe to repeat: Flickr's "not found" is a photo already down. While Flickr fails the
message is retried; the last attempt tells the press office the photo is still up (once a round)
and the message goes to the amend dead-letter queue, whose alarm fires. ``pressroom takedown`` on a
photo still TAKING_DOWN starts a new round (queues it again).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import quote

from pressroom.adapters.mail import Email, Mailer
from pressroom.adapters.publisher import NotPermitted, Publisher, PublisherUnavailable
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain import clock, links
from pressroom.domain.links import LinkError
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings, get_settings
from pressroom.stages.notify import send_once, uploader_addresses
from pressroom.web.audit import format_audit, when
from pressroom.web.csrf import csrf_ok, csrf_token, origin_of, same_origin_request
from pressroom.web.forms import first, parse_form, typed_text
from pressroom.web.templating import HtmlPage, render

log = logging.getLogger(__name__)

ACTOR = "amend"
LINK_PURPOSE = "takedown"
MAX_REASON = 2000
#: the kinds of reason a take-down gives, as the page and the CLI name them
KINDS = {
    "consent-withdrawn": "Consent withdrawn by someone in the photo",
    "charged": "Someone in the photo has since been charged",
    "court-order": "A court order",
    "mistake": "Published by mistake",
    "other": "Another reason",
}
CONSENT_WITHDRAWN = "consent-withdrawn"
MODES = ("delete", "private")


class TakedownRetry(Exception):
    """Flickr could not take the photo down just now: the message is retried."""


def mode_for(kind: str, settings: Settings) -> str:
    """What the take-down does on the site: a withdrawn consent always deletes the photo."""
    if kind == CONSENT_WITHDRAWN:
        return "delete"
    return settings.takedown_mode if settings.takedown_mode in MODES else "delete"


def display_name(photo: Photo) -> str:
    return photo.title or PurePosixPath(photo.original_key).name or photo.id


# -- asking -----------------------------------------------------------------------------------------
def request_takedown(store: PhotoStore, photo_id: str, *, by: str, why: str, kind: str, via: str,
                     settings: Settings | None = None, nonce: str = "") -> Photo:
    """Ask for ``photo_id`` to come down: ``PUBLISHED → TAKING_DOWN`` with who, when, why and the
    kind of reason (``nonce``: the link's, spent by the same write).

    A photo already TAKING_DOWN starts a new round (queued again; who first asked, and why, stay);
    one TAKEN_DOWN is returned as it is. LookupError for an unknown photo or one never published;
    ValueError for a reason missing or too long, or an unknown kind.
    """
    settings = settings or get_settings()
    why = typed_text(why)
    if kind not in KINDS:
        raise ValueError(f"the kind of reason is one of: {', '.join(KINDS)}")
    if not why:
        raise ValueError("give the reason: it is recorded and the uploader is told it")
    if len(why) > MAX_REASON:
        raise ValueError(f"keep the reason under {MAX_REASON} characters")
    for _ in range(3):  # another write (a notice recorded, a round) may land in between: read again
        photo = store.get(photo_id)
        if photo is None:
            raise LookupError(f"there is no photo {photo_id}")
        if photo.state == State.TAKEN_DOWN:
            return photo
        try:
            if photo.state == State.TAKING_DOWN:
                again = {**photo.takedown, "round": int(photo.takedown.get("round", 1)) + 1}
                return store.update(photo.id, State.TAKING_DOWN, actor=by, event="takedown-requested-again",
                                    changes={"takedown": again, **_spend(photo, nonce)},
                                    detail={"why": why, "kind": kind, "via": via, "round": again["round"]},
                                    condition=("revision = :seen", {":seen": photo.revision}))
            if photo.state != State.PUBLISHED:
                raise LookupError(f"photo {photo_id} is {photo.state.value}: only a published photo can be "
                                  "taken down")
            asked = {"by": by, "at": clock.iso(), "why": why, "kind": kind, "mode": mode_for(kind, settings),
                     "via": via, "round": 1}
            return store.transition(photo.id, State.PUBLISHED, State.TAKING_DOWN, actor=by,
                                    changes={"takedown": asked, **_spend(photo, nonce)}, detail=asked)
        except StaleTransition:
            continue
    raise StaleTransition(photo_id, State.PUBLISHED, None)


def _spend(photo: Photo, nonce: str) -> dict[str, Any]:
    return {"used_nonces": [*photo.used_nonces, nonce]} if nonce else {}


def takedown_message(photo: Photo) -> str:
    """The amend queue's message that takes ``photo`` down (its current round)."""
    return json.dumps({"kind": "takedown", "photo_id": photo.id, "round": int(photo.takedown.get("round", 1))})


# -- doing it (the amend function) ------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """What one delivery did: ``taken-down``, ``already`` (done before) or ``skipped``."""

    photo_id: str
    status: str
    detail: str = ""


@dataclass(frozen=True)
class TakedownStage:
    settings: Settings
    store: PhotoStore
    publisher: Publisher
    mailer: Mailer
    press_office: Callable[[], list[str]]
    max_attempts: int = 5

    def take_down(self, photo_id: str, *, attempt: int) -> Outcome:
        """Take ``photo_id`` off the site and record it; ``attempt`` is the message's receive count
        (the one reaching ``max_attempts`` tells the press office the photo is still up)."""
        photo = self.store.get(photo_id)
        if photo is None:
            return Outcome(photo_id, "skipped", "no such photo")
        if photo.state == State.TAKEN_DOWN:
            self._tell_uploader(photo)  # a redelivery after the notice failed sends it
            return Outcome(photo_id, "already", photo.takedown.get("how", ""))
        if photo.state != State.TAKING_DOWN:
            return Outcome(photo_id, "skipped", f"photo is {photo.state.value}")
        try:
            how = self._off_the_site(photo)
        except PublisherUnavailable as exc:
            if attempt >= self.max_attempts:
                self._tell_press_office_it_is_still_up(photo, str(exc))
            raise TakedownRetry(f"attempt {attempt} of {self.max_attempts}: {exc}") from exc
        done = {**photo.takedown, "done_at": clock.iso(), "how": how}
        try:
            photo = self.store.transition(photo.id, State.TAKING_DOWN, State.TAKEN_DOWN, actor=ACTOR,
                                          changes={"takedown": done},
                                          detail={"how": how, "flickr_id": photo.flickr.get("id", "")})
        except StaleTransition:
            latest = self.store.get(photo_id)
            if latest is None or latest.state != State.TAKEN_DOWN:
                raise
            photo = latest  # another delivery recorded it first
        self._tell_uploader(photo)
        return Outcome(photo_id, "taken-down", how)

    def _off_the_site(self, photo: Photo) -> str:
        """Out of its photoset, then deleted or made private; how it went, in words."""
        flickr_id = str(photo.flickr.get("id") or "")
        mode = photo.takedown.get("mode") or mode_for(photo.takedown.get("kind", ""), self.settings)
        if not flickr_id:
            return "nothing to remove: no upload is recorded"
        if photo.flickr.get("photoset_id"):
            self.publisher.remove_from_album(flickr_id, str(photo.flickr["photoset_id"]))
        if mode != "delete":
            self.publisher.hide(flickr_id)
            return "made private and taken out of its album"
        try:
            self.publisher.delete(flickr_id)
        except NotPermitted as exc:  # a token granted "write" only: hidden now, deleted by hand later
            self.publisher.hide(flickr_id)
            self._tell_press_office_to_delete(photo, str(exc))
            return "made private (the Flickr token may not delete: delete it on Flickr by hand)"
        return "deleted"

    def _tell_uploader(self, photo: Photo) -> None:
        send_once(self.store, self.mailer, photo, lambda: takedown_notice(photo), event="uploader-told-taken-down",
                  detail={"kind": photo.takedown.get("kind", "")}, field="takedown_notified_at")

    def _tell_press_office_it_is_still_up(self, photo: Photo, reason: str) -> None:
        round_ = int(photo.takedown.get("round", 1))
        if photo.takedown_failure_told >= round_:
            return
        self.mailer.send(still_up_email(self.press_office(), photo, reason, self.max_attempts))
        try:
            self.store.update(photo.id, State.TAKING_DOWN, actor=ACTOR, event="press-office-told-still-up",
                              changes={"takedown_failure_told": round_}, detail={"reason": reason})
        except StaleTransition:
            pass

    def _tell_press_office_to_delete(self, photo: Photo, reason: str) -> None:
        name = display_name(photo)
        self.mailer.send(Email(to=self.press_office(), subject=f"Pressroom: delete \"{name}\" on Flickr by hand",
                               text="\n".join([
            f"The photo \"{name}\" (album {photo.album}) was to be deleted from Flickr, but Flickr refused:",
            f"  {reason}",
            "",
            "It is now private, so nobody else sees it. Delete it on Flickr by hand:",
            f"  {photo.flickr.get('url', '')}",
            "and run `pressroom flickr auth` again, granting \"delete\" access, so that take-downs can delete.",
        ]) + "\n"))


def takedown_notice(photo: Photo) -> Email:
    """The uploader's email: their photo was taken down, and why."""
    name = display_name(photo)
    request = photo.takedown
    how = "deleted from Flickr" if request.get("how") == "deleted" else "taken off public view on Flickr"
    lines = [
        f"Your photo \"{name}\" (album {photo.album}) was {how} at the press office's request "
        f"on {when(str(request.get('done_at') or request.get('at') or ''))}.",
        "",
        f"Reason: {KINDS.get(str(request.get('kind')), 'another reason')}",
        f"  {request.get('why', '')}",
        "",
        f"Photo reference: {photo.id}",
        "If you have questions about it, contact the press office.",
    ]
    return Email(to=uploader_addresses(photo), subject=f"Pressroom: your photo \"{name}\" was taken down",
                 text="\n".join(lines) + "\n")


def still_up_email(recipients: list[str], photo: Photo, reason: str, attempts: int) -> Email:
    name = display_name(photo)
    return Email(to=recipients, subject=f"Pressroom: \"{name}\" is still on Flickr: the take-down failed", text="\n".join([
        f"The photo \"{name}\" (album {photo.album}) was asked to be taken down by "
        f"{photo.takedown.get('by', '?')} at {when(str(photo.takedown.get('at', '')))}, but after {attempts} "
        "attempts it is still on Flickr:",
        f"  {reason}",
        f"  {photo.flickr.get('url', '')}",
        "",
        "If it must come down now, make it private or delete it on Flickr by hand. Once Flickr answers again, "
        "try again with:",
        f"  pressroom takedown {photo.id} --reason \"{photo.takedown.get('why', '')[:60]}\"",
    ]) + "\n")


# -- the link in the press office's copy of the published notice -----------------------------------
def link_key(key: bytes) -> bytes:
    return links.purpose_key(key, LINK_PURPOSE)


def takedown_url(photo_id: str, token: str | None = None) -> str:
    url = f"{get_settings().approval_base_url.rstrip('/')}/takedown/{quote(photo_id, safe='')}"
    return f"{url}?t={token}" if token else url


def issue_link(photo_id: str, address: str, now: datetime, key: bytes) -> tuple[str, datetime]:
    """A personal take-down link for press-office ``address``, and when it stops working."""
    expires = now + timedelta(seconds=get_settings().takedown_link_ttl_seconds)
    token = links.issue(link_key(key), photo_id, address, expires)
    return takedown_url(photo_id, token), expires


@dataclass(frozen=True)
class TakedownPages:
    """The page behind a take-down link (GET: shows; POST: asks, once)."""

    settings: Settings
    store: PhotoStore
    key: Callable[[], bytes]
    older_keys: Callable[[], Iterable[bytes]]
    press_office: Callable[[], list[str]]

    def page(self, photo_id: str, token: str, *, now: datetime | None = None) -> HtmlPage:
        """GET: the page that asks to confirm the take-down. Reads only; never changes anything."""
        now = now or clock.now()
        opened = self._open(photo_id, token, now)
        if isinstance(opened, HtmlPage):
            return opened
        claims, photo, actor = opened
        return self._form(photo, claims, token, actor)

    def confirm(self, photo_id: str, body: str | None, headers: Mapping[str, str], *,
                now: datetime | None = None) -> HtmlPage:
        """POST: take the photo down, once, as the press-office member the link names."""
        now = now or clock.now()
        if not same_origin_request(headers, origin_of(self.settings.approval_base_url)):
            return self._notice(403, "Request refused", "This was not sent from the Pressroom take-down page.")
        try:
            form = parse_form(body, headers)
        except LinkError as err:
            return self._notice(err.status, err.title, err.message)
        token = first(form, "t")
        opened = self._open(photo_id, token, now)
        if isinstance(opened, HtmlPage):
            return opened
        claims, photo, actor = opened
        if not csrf_ok(claims.key, token, first(form, "csrf")):
            return self._notice(403, "Request refused", "The form was missing its security code. Open the link "
                                                        "from the email again and confirm from that page.")
        kind, why = first(form, "kind"), typed_text(first(form, "reason"))
        problem = ("Choose the kind of reason." if kind not in KINDS else
                   "Give the details: they are recorded and the uploader is told." if not why else
                   f"Keep the details under {MAX_REASON} characters." if len(why) > MAX_REASON else "")
        if problem:
            return self._form(photo, claims, token, actor, status=400, error=problem, kind=kind, reason=why)
        try:
            photo = request_takedown(self.store, photo.id, by=actor, why=why, kind=kind, via="link",
                                     settings=self.settings, nonce=claims.nonce)
        except (StaleTransition, LookupError):
            latest = self.store.get(photo.id)
            return (self._closed(latest) if latest else None) or self._notice(
                409, "Not taken down", "The photo changed while you were confirming.")
        mode = photo.takedown.get("mode", "delete")
        effect = "deleted from Flickr" if mode == "delete" else "made private on Flickr"
        return self._notice(200, "Taking it down", f"Recorded. The photo is being {effect} and taken out of its "
                                                   "album now; the uploader is told when it is done.",
                            kind="ok", photo=photo)

    def _open(self, photo_id: str, token: str, now: datetime) -> tuple[links.Claims, Photo, str] | HtmlPage:
        """What the link may still do (claims, photo, press-office member), or the page saying why not."""
        try:
            claims = links.verify(link_key(self.key()), token, now,
                                  older=(link_key(k) for k in self.older_keys()))
        except LinkError as err:
            return self._notice(err.status, *self._link_words(err))
        if claims.photo_id != photo_id:
            return self._notice(403, "This link is not valid", "This link is for a different photo.")
        photo = self.store.get(photo_id)
        if photo is None:
            return self._notice(404, "Photo not found", "There is no photo with this reference.")
        actor = links.find_approver(claims, self.press_office())
        if actor is None:
            return self._notice(403, "Not in the press office",
                                "This link's address is no longer on the press office's list.")
        if photo.state != State.PUBLISHED:
            return self._closed(photo) or self._notice(409, "Not published", "Only a published photo can be taken down.")
        if claims.nonce in photo.used_nonces:
            return self._notice(410, "This link has been used", "A take-down was already asked for with this link.")
        return claims, photo, actor

    @staticmethod
    def _link_words(err: LinkError) -> tuple[str, str]:
        """The refusal of a take-down link, in its own words (links.py speaks of approval links)."""
        if err.status == 410:
            return err.title, ("Take-down links work for a limited time, and this one has run out. "
                               "Take the photo down with `pressroom takedown`, or ask whoever runs Pressroom.")
        if err.status == 403:
            return err.title, "This link was not issued by Pressroom, or it has been altered."
        return err.title, "The link is incomplete or damaged. Open it again from the email, copying the whole address."

    def _closed(self, photo: Photo) -> HtmlPage | None:
        if photo.state not in (State.TAKING_DOWN, State.TAKEN_DOWN):
            return None
        request = photo.takedown
        done = "has been taken down" if photo.state == State.TAKEN_DOWN else "is being taken down"
        return self._notice(409, "Already taken down" if photo.state == State.TAKEN_DOWN else "Already being taken down",
                            f"This photo {done}: asked by {request.get('by', '?')} at "
                            f"{when(str(request.get('at', '')))} ({KINDS.get(str(request.get('kind')), '')}).",
                            kind="info", photo=photo)

    def _form(self, photo: Photo, claims: links.Claims, token: str, actor: str, *, status: int = 200, error: str = "",
              kind: str = "", reason: str = "") -> HtmlPage:
        mode = mode_for(kind, self.settings) if kind else self.settings.takedown_mode
        effect = ("It will be deleted from Flickr" if mode == "delete" else
                  "It will be made private on Flickr (deleted, if the reason is a withdrawn consent)")
        return HtmlPage(status, render(
            "takedown.html", title=f"Take down: {display_name(photo)}", section="take a photo down", error=error,
            message="", kind="", photo=photo, url=photo.flickr.get("url", ""),
            published_at=str(photo.flickr.get("published_at", "")),
            effect=f"{effect} and taken out of its album {photo.album}. The uploader is told. This cannot be "
                   "undone from here.",
            action_url=takedown_url(photo.id), token=token, csrf=csrf_token(claims.key, token), kinds=KINDS,
            max_reason=MAX_REASON, reason=reason, actor=actor, expires=when(claims.expires_at.isoformat()),
            history=format_audit(self.store.audit(photo.id))))

    def _notice(self, status: int, title: str, message: str, *, kind: str = "error",
                photo: Photo | None = None) -> HtmlPage:
        history = format_audit(self.store.audit(photo.id)) if photo else []
        return HtmlPage(status, render("amend_notice.html", title=title, section="take a photo down", error="",
                                       message=message, kind=kind, photo=photo, history=history))
