"""The time, as the pipeline sees it.

Deployed, this is the real UTC time. The local stack's emulator can move it forward
(:func:`advance`) so that a demo can show a reminder that is days away, with every
in-process handler agreeing on what "now" is.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _offset


def iso(when: datetime | None = None) -> str:
    """``when`` (default now) as ISO 8601 UTC with milliseconds and a ``Z``."""
    return (when or now()).astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time from the table or a payload, or None (no zone: UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def advance(delta: timedelta) -> None:
    """Move the clock forward (local stack only)."""
    global _offset
    if delta < timedelta(0):
        raise ValueError("the clock only moves forward")
    _offset += delta


def reset() -> None:
    """Back to the real time (the local stack, when it stops)."""
    global _offset
    _offset = timedelta(0)
