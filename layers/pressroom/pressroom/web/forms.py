"""Reading the form a page posts back: URL-encoded, bounded in size and in fields."""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import parse_qs

from pressroom.domain.links import LinkError

MAX_FORM_BYTES = 16 * 1024


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


def first(form: Mapping[str, list[str]], name: str) -> str:
    """The first value of field ``name`` ("" when absent)."""
    values = form.get(name) or [""]
    return values[0]


def typed_text(value: str) -> str:
    """Text as the person typed it: browsers send each line break of a textarea as CRLF."""
    return value.replace("\r\n", "\n").strip()
