"""The decision form as the review page posts it: checked at the door, then read into a typed form.

A POST is refused before its body is read when the browser says it came from another site
(:func:`pressroom.web.csrf.same_origin_request`), when it is not a URL-encoded form, or when it is
too large or unreadable. Values are read as typed: the reason keeps its line breaks (a browser
sends each as CRLF, counted once by ``maxlength``), and a checkbox value that is not a small
decimal index is ignored, never an error.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from pressroom.web.csrf import same_origin_request

MAX_FORM_BYTES = 16 * 1024


class FormRefused(Exception):
    """A POST that is not read at all; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


@dataclass(frozen=True)
class DecisionForm:
    """What an approver submitted from the review page."""

    token: str
    csrf: str
    decision: str
    reason: str
    ticked: frozenset[int]


def read_decision(body: str | None, headers: Mapping[str, str], own_origin: str) -> DecisionForm:
    """The decision form of a POST, or :class:`FormRefused`. ``body`` is the URL-encoded form
    (None: it could not be decoded)."""
    if not same_origin_request(headers, own_origin):
        raise FormRefused(403, "Request refused", "This decision was not sent from the Pressroom review page.")
    form = _parse(body, headers)
    ticked = frozenset(int(v) for v in form.get("check", []) if v.isascii() and v.isdigit() and len(v) <= 4)
    return DecisionForm(token=first(form, "t"), csrf=first(form, "csrf"), decision=first(form, "decision"),
                        reason=first(form, "reason").replace("\r\n", "\n").strip(), ticked=ticked)


def first(form: Mapping[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


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
