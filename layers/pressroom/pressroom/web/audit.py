"""The audit trail as lines a person reads (review page, ``pressroom status``)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_DETAIL_CHARS = 160


def when(iso: str) -> str:
    """``2024-05-01T10:00:00.123Z`` → ``2024-05-01 10:00 UTC``."""
    if len(iso) >= 16 and iso[10] == "T":
        return f"{iso[:10]} {iso[11:16]} UTC"
    return iso


def format_event(event: dict[str, Any]) -> str:
    """One audit event: when, who, what (a state change or a named event) and a short detail."""
    what = f"{event['from']} → {event['to']}" if event.get("from") and event.get("to") else str(event.get("event", ""))
    if event.get("to") and not event.get("from"):
        what = f"{event.get('event', '')}: {event['to']}"
    line = f"{when(str(event.get('at', '')))} · {event.get('actor', '?')} · {what}"
    detail = _summary(event.get("detail") or {})
    return f"{line} ({detail})" if detail else line


def format_audit(events: Iterable[dict[str, Any]]) -> list[str]:
    """The trail (as ``PhotoStore.audit`` returns it, oldest first), one line per event."""
    return [format_event(e) for e in events]


def _summary(detail: dict[str, Any]) -> str:
    parts = []
    for key, value in detail.items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value if not isinstance(v, (dict, list)))
        elif isinstance(value, dict):
            continue
        if value in ("", None):
            continue
        parts.append(f"{key}: {value}")
    text = "; ".join(parts)
    return text if len(text) <= _DETAIL_CHARS else text[: _DETAIL_CHARS - 1] + "…"
