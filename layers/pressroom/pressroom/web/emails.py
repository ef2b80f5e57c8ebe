"""The approval email: what will be published and the one link to decide, first (a phone shows them
without scrolling); then the photo, the points the checks raised and the questions the review page
asks. Rendered from Jinja2 templates (``approval_email.html`` autoescaped, ``approval_email.txt``)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pressroom.adapters.mail import Email, one_line
from pressroom.domain.photos import Photo
from pressroom.domain.publication import Publication
from pressroom.guidance.checklist import Item
from pressroom.web.audit import when
from pressroom.web.pages import display_name, render, text

PREVIEW_CID = "photo-preview"
_SEVERITY_COLOUR = {"block": "#a40e26", "warn": "#9a6700", "info": "#0969da"}


def approval_email(photo: Photo, public: Publication, items: Sequence[Item], approver: str, link: str,
                   expires: datetime, *, thumbnail: bytes | None, reminder: bool = False, context: str = "") -> Email:
    """The email asking ``approver`` to review ``photo`` at ``link`` (valid until ``expires``);
    ``context`` says why they are asked, when it is not the first approval."""
    name = one_line(display_name(photo))
    subject = f"{'Reminder: ' if reminder else ''}Approval needed: {name} ({one_line(photo.album)})"
    values: dict[str, Any] = {
        "intro": _intro(reminder), "context": context, "link": link, "rows": _rows(photo, public),
        "findings": [f for item in items for f in item.findings] + _unasked_findings(photo, items),
        "asked": [item.question.ask for item in items if not item.declared], "validity": _validity(expires),
        "with_image": thumbnail is not None, "cid": PREVIEW_CID, "text": text,
        "colour": lambda severity: _SEVERITY_COLOUR.get(str(severity).lower(), "#888"),
    }
    return Email(
        to=[approver],
        subject=subject[:150],
        text=render("approval_email.txt", **values),
        html=render("approval_email.html", **values),
        inline_images={PREVIEW_CID: thumbnail} if thumbnail else {},
    )


def _intro(reminder: bool) -> str:
    if reminder:
        return "Reminder: this photo is still waiting for a decision before it can be published on Flickr."
    return "A photo is waiting for your approval before it is published on Flickr."


def _validity(expires: datetime) -> str:
    return (f"This link is personal to you and works until {when(expires.isoformat())}. "
            "A decision made with it is final. Do not forward this email.")


def _rows(photo: Photo, public: Publication) -> list[tuple[str, str, str]]:
    """(label, value, small print) of what will be published, then who sent it."""
    return [
        ("Title", public.title or "(no title)", ""),
        ("Description", public.body, public.footer),
        ("Tags", ", ".join(public.tags) or "none", ""),
        ("Credit", public.credit or "none", ""),
        ("Licence", public.licence, ""),
        ("Album", public.album, ""),
        ("Visibility", public.visibility, ""),
        ("Uploader", photo.uploader or "not named", ""),
        ("Reference", photo.id, ""),
    ]


def _unasked_findings(photo: Photo, items: Sequence[Item]) -> list[dict[str, Any]]:
    shown = [f for item in items for f in item.findings]
    return [f for f in photo.findings if f not in shown]


def nobody_to_ask_email(photo: Photo, to: list[str], why: str, fix: str, retry: datetime | None,
                        expires: datetime) -> Email:
    """The press office's email: ``photo`` waits for approval but nobody can be asked (``why``, and
    what would ``fix`` it); whoever can be at ``retry`` (if any) is asked then."""
    then = f" The photo is sent to them at {when(retry.isoformat())}." if retry else ""
    name = one_line(display_name(photo))
    lines = [
        f"The photo \"{name}\" (album {photo.album}, uploaded by {photo.uploader or 'unknown'}) passed the "
        f"automatic checks and is waiting for approval, but {why}.",
        "",
        f"{fix}{then} If it has not been approved by {when(expires.isoformat())}, it expires and the uploader "
        "is told.",
        "",
        f"Photo reference: {photo.id}",
    ]
    return Email(to=to, subject=f"Pressroom: nobody to ask about \"{name}\""[:150], text="\n".join(lines) + "\n")
