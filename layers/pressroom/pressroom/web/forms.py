"""The decision form as the review page posts it: checked at the door, then read into a typed form.

A POST is refused before its body is read when the browser says it came from another site
(:func:`pressroom.web.csrf.same_origin_request`), when it is not a URL-encoded form, or when it is
too large or unreadable. Values are read as typed: the reason, notes and description keep their
line breaks (a browser sends each as CRLF, counted once by ``maxlength``); an answer that is not
Yes, No or Not applicable is no answer.

Form contract (the review page, the scripted approver in ``pressroom_local.review_client`` and the
browser tests rely on it): ``t`` (the link token), ``csrf``, ``shown`` (:func:`caption_digest` of
the caption the page showed) and ``checked`` (that of an edit whose findings were shown); one radio
group ``q.<question id>`` per question asked (values ``yes``, ``no``, ``na``; the safe one marked
``data-safe``); a textarea ``note.<question id>`` per question whose other answer needs a note;
``title``, ``description`` and ``tags`` (comma-separated), the caption as it will be published;
``reason``; checkboxes ``blur`` (values ``faces``, ``plates``, ``text``: what to blur before
publishing) and ``blurred`` (``Redaction.seen`` of the blurred copy the page showed, else empty);
and buttons ``decision``: ``approve`` (``id="approve"``), ``reject`` (``id="reject"``), ``check``
(``id="check"``, shows what an edit would publish, changing nothing) and ``blur``
(``id="show-blurred"``, shows the blurred copy the ticked boxes make, changing nothing).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from pressroom.domain.links import LinkError
from pressroom.domain.redaction import CHOICES, ordered
from pressroom.domain.text import clean
from pressroom.web.csrf import same_origin_request

MAX_FORM_BYTES = 32 * 1024
#: the longest rejection reason kept (the review page's textarea allows as much)
MAX_REASON = 2000
MAX_TITLE = 200
MAX_DESCRIPTION = 4000
MAX_TAGS = 30
MAX_TAG = 60
_ANSWERS = ("yes", "no", "na")


class FormRefused(Exception):
    """A POST that is not read at all; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class Caption:
    """The caption an approver may edit: what the public will read."""

    title: str
    description: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class DecisionForm:
    """What an approver submitted from the review page."""

    token: str
    csrf: str
    decision: str
    reason: str = ""
    answers: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    #: the caption as posted (None: the form carried none, so nothing is edited)
    caption: Caption | None = None
    shown: str = ""
    checked: str = ""
    #: the approver ticked "Publish it again" for a picture uploaded before (stages.duplicates)
    publish_again: bool = False
    #: what the approver ticked to blur before publishing (in the order of ``redaction.CHOICES``)
    blur: tuple[str, ...] = ()
    #: the blurred copy the page showed (``Redaction.seen``), "" when it showed none
    blurred: str = ""


def read_decision(body: str | None, headers: Mapping[str, str], own_origin: str) -> DecisionForm:
    """The decision form of a POST, or :class:`FormRefused`. ``body`` is the URL-encoded form
    (None: it could not be decoded)."""
    if not same_origin_request(headers, own_origin):
        raise FormRefused(403, "Request refused", "This decision was not sent from the Pressroom review page.")
    form = _parse(body, headers)
    answers = {name[2:]: value for name, values in form.items() if name.startswith("q.")
               for value in values[:1] if value in _ANSWERS}
    notes = {name[5:]: typed_text(values[0]) for name, values in form.items() if name.startswith("note.") and values}
    caption = None
    if any(name in form for name in ("title", "description", "tags")):
        caption = Caption(" ".join(clean(first(form, "title")).split()), typed_text(first(form, "description")),
                          split_tags(first(form, "tags")))
    return DecisionForm(token=first(form, "t"), csrf=first(form, "csrf"), decision=first(form, "decision"),
                        publish_again=first(form, "publish_again") == "yes",
                        reason=typed_text(first(form, "reason")), answers=answers, notes=notes, caption=caption,
                        shown=first(form, "shown"), checked=first(form, "checked"),
                        blur=ordered(v for v in form.get("blur", []) if v in CHOICES), blurred=first(form, "blurred"))


def caption_problem(caption: Caption) -> tuple[str, str]:
    """(the field, why) when an edited caption is too long to take, else ("", "")."""
    if len(caption.title) > MAX_TITLE:
        return "title", f"Keep the title under {MAX_TITLE} characters."
    if len(caption.description) > MAX_DESCRIPTION:
        return "description", f"Keep the description under {MAX_DESCRIPTION} characters."
    if len(caption.tags) > MAX_TAGS or any(len(tag) > MAX_TAG for tag in caption.tags):
        return "tags", f"Give at most {MAX_TAGS} tags of at most {MAX_TAG} characters each."
    return "", ""


def split_tags(text: str) -> tuple[str, ...]:
    """Comma-separated tags, each trimmed, empty ones left out."""
    return tuple(tag for tag in (" ".join(part.split()) for part in text.split(",")) if tag)


def caption_digest(title: str, description: str, tags: Sequence[str]) -> str:
    """A short fingerprint of a caption: the form carries the one it showed, so a decision on a
    caption someone else changed meanwhile is caught."""
    data = json.dumps([title, description, list(tags)], ensure_ascii=False).encode()
    return hashlib.sha256(data).hexdigest()[:24]


def first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def typed_text(value: str) -> str:
    """A field as typed, with its line breaks and without control characters or bidi overrides."""
    return clean(value, lines=True).strip()


def _parse(body: str | None, headers: Mapping[str, str]) -> dict[str, list[str]]:
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise FormRefused(415, "Request refused", "Decisions are sent from the review page's form.")
    if body is None:
        raise FormRefused(400, "Request refused", "The form could not be read.")
    if len(body.encode()) > MAX_FORM_BYTES:
        raise FormRefused(413, "Request refused", "The form is too large.")
    try:
        return parse_qs(body, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        raise FormRefused(400, "Request refused", "The form could not be read.") from None


# -- the forms of the take-down and correction pages ----------------------------------------------
def parse_form(body: str | None, headers: Mapping[str, str]) -> dict[str, list[str]]:
    """The fields of a ``application/x-www-form-urlencoded`` body; :class:`LinkError` (415, 400,
    413) for any other kind of body, one that could not be read, or one too large."""
    content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise LinkError(415, "Request refused", "This is sent from the page's own form.")
    if body is None:
        raise LinkError(400, "Request refused", "The form could not be read.")
    if len(body.encode()) > MAX_FORM_BYTES:
        raise LinkError(413, "Request refused", "The form is too large.")
    try:
        return parse_qs(body, keep_blank_values=True, max_num_fields=50)
    except ValueError:
        raise LinkError(400, "Request refused", "The form could not be read.") from None
