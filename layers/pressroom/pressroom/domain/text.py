"""Text from outside, made safe to store, mail, print and publish: the one place it is cleaned.

Every text that enters the pipeline (S3 object metadata, an image's IPTC/XMP caption fields, the
album in an object's key, the review form, Flickr comments) goes through :func:`clean` before
it is stored, so what is mailed, printed or published is clean too. Taken out:

* C0 and C1 control characters (``unicodedata`` category ``Cc``: U+0000-U+001F, U+007F-U+009F).
  ESC and CSI start terminal escape sequences (clear the screen, recolour, retitle the window),
  BEL rings, CR overwrites a line, NUL cuts text short in C code; none belongs in a caption.
* Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): they reorder
  the text after them, so a caption or a reason can read differently from what it holds
  ("Trojan Source"). The directional marks (LRM, RLM, ALM) stay: they affect only the neutral
  characters beside them, and right-to-left text needs them.

Line breaks (CR LF, CR, LF, VT, FF, NEL, U+2028, U+2029) become ``\\n`` in a field that allows them
(``lines=True``: a description, a rejection reason, a comment) and a space elsewhere, as does a
tab. Everything else is kept as written: accents, emoji and their joiners, other scripts.

:func:`shown` is for a terminal: it makes anything left (a record stored before this cleaning)
visible as an escape instead of acting on the screen.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

#: embeddings and overrides (LRE RLE PDF LRO RLO) and isolates (LRI RLI FSI PDI)
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_BREAKS = re.compile("\r\n|[\r\n\x0b\x0c\x85\u2028\u2029]")
#: the caption and declaration fields that may hold more than one line
MULTILINE_FIELDS = frozenset({"description", "category-reason"})
_CONTROLS = [c for c in map(chr, range(0x100)) if unicodedata.category(c) == "Cc"]
_REMOVED = {ord(c): None for c in (*_CONTROLS, *BIDI_CONTROLS)}
_REMOVED_BUT_LF = {k: v for k, v in _REMOVED.items() if k != ord("\n")}


def clean(value: Any, *, lines: bool = False) -> str:
    """``value`` as text without control characters or bidirectional overrides; its line breaks
    as ``\\n`` when ``lines``, else as spaces; tabs as spaces."""
    text = value if isinstance(value, str) else str(value if value is not None else "")
    text = _LINE_BREAKS.sub("\n" if lines else " ", text).replace("\t", " ")
    return text.translate(_REMOVED_BUT_LF if lines else _REMOVED)


def clean_fields(fields: Mapping[str, Any], multiline: Iterable[str] = MULTILINE_FIELDS) -> dict[str, Any]:
    """A copy of ``fields`` (caption fields, declarations) with every text in it cleaned, keys too;
    line breaks are kept in the fields named in ``multiline`` and in nothing nested deeper."""
    keep = frozenset(multiline)
    return {clean(key): _clean_value(value, lines=key in keep) for key, value in fields.items()}


def _clean_value(value: Any, *, lines: bool) -> Any:
    if isinstance(value, str):
        return clean(value, lines=lines)
    if isinstance(value, Mapping):
        return {clean(k): _clean_value(v, lines=False) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_value(v, lines=lines) for v in value]
    return value


def shown(value: Any) -> str:
    """``value`` for a terminal: control characters and bidirectional overrides written as visible
    escapes (``\\x1b``, ``\\u202e``), so text stored before it was cleaned cannot act on the screen."""
    text = value if isinstance(value, str) else str(value)
    if not any(ord(c) in _REMOVED for c in text):
        return text
    return "".join((f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") if ord(c) in _REMOVED else c
                   for c in text)
