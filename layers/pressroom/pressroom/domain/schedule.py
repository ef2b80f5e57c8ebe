"""When a photo may be published: an uploader's ``publish-at`` (an embargo), in UK time.

A press office writes times as the clock on its wall shows them, so ``publish-at`` is read in
Europe/London: ``2027-01-05T09:00`` is 09:00 GMT, ``2027-07-05T09:00`` is 09:00 BST (08:00 UTC).
A time the clocks skip (01:30 on the last Sunday of March) is read as the same time before the
change would have been, one the clocks repeat as its first occurrence (zoneinfo's ``fold=0``).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
_FORMAT = re.compile(r"^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?$")


def publish_at(value: str) -> datetime:
    """``YYYY-MM-DDTHH:MM[:SS]`` (Europe/London) as a UTC time; ValueError for anything else."""
    match = _FORMAT.match(value.strip())
    if not match:
        raise ValueError(f"publish-at {value!r} is not a time like 2027-01-05T09:00 (UK time)")
    year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
    local = datetime(year, month, day, hour, minute, second, tzinfo=LONDON)
    return local.astimezone(UTC)


def london(when: datetime) -> str:
    """``when`` as the press office reads it: ``5 January 2027 at 09:00 GMT``."""
    local = when.astimezone(LONDON)
    return f"{local.day} {local:%B %Y at %H:%M} {local.tzname()}"
