"""A month's figures for the press office: what happened to photos and comments, and when the
account was stale.

Months are Europe/London months: January 2027 runs from 00:00 GMT on 1 January to 00:00 GMT on
1 February; July 2027 from 00:00 BST on 1 July (23:00 UTC on 30 June) to 00:00 BST on 1 August,
and a day is a London day (23 or 25 hours on the days the clocks change).

A moment is *stale* when nothing was published in the ``stale_after`` before it (the rule of the
stale-account reminder, ``stages/staleness.py``; before the first publish ever, every moment is).
A day counts as stale when any part of it up to ``until`` was.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from statistics import median

from pressroom.domain.schedule import LONDON

#: what can happen to a photo in a month, in the order the report shows it
OUTCOMES = ("uploaded", "published", "blocked", "rejected", "expired", "taken_down")
#: the key of photos blocked with no guidance line (the automatic checks could not run)
NO_LINE = ""
_MONTH = re.compile(r"^(\d{4})-(\d\d)$")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Europe/London."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str) -> Month:
        """``YYYY-MM`` (``2027-01``); ValueError for anything else."""
        match = _MONTH.match(value.strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise ValueError(f"month {value!r} is not a month like 2027-01")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, when: datetime) -> Month:
        """The London month ``when`` falls in."""
        local = when.astimezone(LONDON)
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{date(self.year, self.month, 1):%B %Y}"

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def start(self) -> datetime:
        """Midnight in London on the first day, in UTC."""
        return datetime(self.year, self.month, 1, tzinfo=LONDON).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Midnight in London on the first day of the next month, in UTC (not in the month)."""
        return self.next.start

    def days(self) -> list[date]:
        first = date(self.year, self.month, 1)
        return [first + timedelta(days=n) for n in range((self.next.start.astimezone(LONDON).date() - first).days)]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The London day ``day`` as a UTC interval [start, end)."""
    start = datetime(day.year, day.month, day.day, tzinfo=LONDON)
    after = day + timedelta(days=1)
    return start.astimezone(UTC), datetime(after.year, after.month, after.day, tzinfo=LONDON).astimezone(UTC)


@dataclass(frozen=True)
class Happening:
    """Something that happened to a photo: ``what`` is one of :data:`OUTCOMES`."""

    photo_id: str
    what: str
    at: datetime


@dataclass(frozen=True)
class Line:
    """A guidance line a photo was blocked by: the rule's id and the line it quotes."""

    rule: str
    guidance: str


@dataclass(frozen=True)
class CommentSeen:
    """A comment the monitor read: its id, class and when it read it."""

    comment_id: str
    kind: str
    at: datetime


@dataclass(frozen=True)
class Response:
    """A comment answered: how long the answer took (within office hours) and whether that was
    within the target."""

    kind: str
    taken: timedelta
    within_target: bool


@dataclass(frozen=True)
class Responses:
    answered: int
    median: timedelta | None
    within_target: int

    @property
    def share_within_target(self) -> float | None:
        return self.within_target / self.answered if self.answered else None


@dataclass(frozen=True)
class Blocked:
    line: Line
    photos: int


@dataclass(frozen=True)
class MonthReport:
    """The figures of one month (up to ``until`` when the month is not over)."""

    month: Month
    until: datetime
    counts: dict[str, int]
    blocked_by: list[Blocked]
    #: median time from upload to publish of the photos published in the month, and of how many
    to_publish: timedelta | None
    to_publish_photos: int
    comments: dict[str, int]
    #: None when no response times are recorded
    responses: Responses | None
    stale_days: list[date]
    stale_after_days: int

    @property
    def complete(self) -> bool:
        return self.until >= self.month.end

    @property
    def days(self) -> list[date]:
        return self.month.days()


def month_report(
    month: Month,
    *,
    now: datetime,
    happenings: Iterable[Happening],
    uploaded_at: dict[str, datetime],
    blocked_lines: dict[str, Sequence[Line]],
    published_before: datetime | None,
    stale_after: timedelta,
    comment_classes: Sequence[str],
    comments: Iterable[CommentSeen],
    responses: Iterable[Response] | None = None,
) -> MonthReport:
    """The month's figures from what happened in it.

    ``happenings`` may hold more than the month (they are cut to it); ``uploaded_at`` gives the
    upload time of photos published in the month (those missing are left out of the median);
    ``blocked_lines`` the blocking guidance lines of photos blocked in it; ``published_before`` the
    last publish before the month began, if any; ``comment_classes`` every class, in order."""
    until = min(now, month.end)
    inside = [h for h in happenings if month.start <= h.at < until]
    counts = {what: len({h.photo_id for h in inside if h.what == what}) for what in OUTCOMES}
    published = {h.photo_id: h.at for h in sorted(inside, key=lambda h: h.at) if h.what == "published"}
    waits = [at - uploaded_at[pid] for pid, at in published.items() if pid in uploaded_at]
    blocked = {h.photo_id for h in inside if h.what == "blocked"}
    seen = {c.comment_id: c for c in comments if month.start <= c.at < until}
    by_kind = Counter(c.kind for c in seen.values())
    publishes = sorted(published.values())
    return MonthReport(
        month=month, until=until, counts=counts,
        blocked_by=_blocked_by(blocked_lines.get(pid, ()) for pid in blocked),
        to_publish=_median(waits), to_publish_photos=len(waits),
        comments={kind: by_kind.get(kind, 0) for kind in [*comment_classes, *sorted(set(by_kind) - set(comment_classes))]},
        responses=None if responses is None else _responses(list(responses)),
        stale_days=stale_days(month, until, published_before, publishes, stale_after),
        stale_after_days=stale_after.days,
    )


def stale_days(month: Month, until: datetime, published_before: datetime | None, publishes: Sequence[datetime],
               stale_after: timedelta) -> list[date]:
    """The days of ``month`` (before ``until``) with a stale moment, given the last publish before
    the month and the publishes in it (in order)."""
    intervals: list[tuple[datetime, datetime]] = []
    last = published_before
    for at in [*publishes, until]:
        stale_from = month.start if last is None else last + stale_after
        if stale_from < at:
            intervals.append((stale_from, at))
        last = at
    found = []
    for day in month.days():
        start, end = day_bounds(day)
        end = min(end, until)
        if any(a < end and start < b for a, b in intervals):
            found.append(day)
    return found


def _blocked_by(lines_of_photos: Iterable[Sequence[Line]]) -> list[Blocked]:
    counts: Counter[Line] = Counter()
    for lines in lines_of_photos:
        counts.update(set(lines) or {Line(NO_LINE, "")})
    return [Blocked(line, n) for line, n in sorted(counts.items(), key=lambda item: (-item[1], item[0].rule))]


def _responses(answered: list[Response]) -> Responses:
    return Responses(answered=len(answered), median=_median([r.taken for r in answered]),
                     within_target=sum(r.within_target for r in answered))


def _median(spans: Sequence[timedelta]) -> timedelta | None:
    if not spans:
        return None
    return timedelta(seconds=round(median(s.total_seconds() for s in spans)))


def duration(span: timedelta | None) -> str:
    """A span as a person reads it: ``2 d 3 h``, ``3 h 20 min``, ``12 min``; ``none`` for None."""
    if span is None:
        return "none"
    minutes = round(span.total_seconds() / 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"
