"""Declared facts travel as S3 object metadata: ASCII only, so other text is RFC 2047-encoded."""
from __future__ import annotations

from email.header import Header, decode_header, make_header


def encode_metadata(value: str) -> str:
    """S3 metadata is ASCII: other text travels RFC 2047-encoded, as S3 itself returns it, its
    encoded words on one line (a header value holds no line break)."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep=" ")


def decode_metadata(value: str) -> str:
    """The text of an S3 metadata value, RFC 2047-encoded or not. Not cleaned here (an encoded
    word may decode to any character): the caller cleans it as its field allows
    (:mod:`pressroom.domain.text`). A value that does not decode (an unknown charset, broken
    base64) is taken as it was sent, rather than failing the upload's scrub on every attempt."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value
