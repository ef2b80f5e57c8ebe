"""The comment inbox: each comment the monitor read, its state, who has it, and how fast it was answered.

The guidance: comments "should either be answered, deleted if they are inappropriate, or followed
up if offensive (as per offensive comment reporting process)", and "respond to questions that you
are asked". A comment is ``new`` until a press officer answers, escalates, deletes or resolves it:

    new        -> answered, escalated, deleted, resolved
    answered   -> escalated, deleted, resolved
    escalated  -> answered, deleted, resolved
    deleted    -> escalated, resolved
    resolved   (final)

An offensive comment is resolved only once its follow-up (hidden, deleted or reported) is on record.
Response time counts office hours only (:class:`OfficeHours`): a comment arriving on Friday at
16:55 and answered on Monday at 09:10, with hours of 09:00-17:00, was answered in 15 minutes.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pressroom.domain.clock import parse_time


class InboxState(StrEnum):
    NEW = "new"
    ANSWERED = "answered"
    ESCALATED = "escalated"
    DELETED = "deleted"
    RESOLVED = "resolved"


#: every allowed move; anything else is refused
TRANSITIONS: dict[InboxState, frozenset[InboxState]] = {
    InboxState.NEW: frozenset({InboxState.ANSWERED, InboxState.ESCALATED, InboxState.DELETED, InboxState.RESOLVED}),
    InboxState.ANSWERED: frozenset({InboxState.ESCALATED, InboxState.DELETED, InboxState.RESOLVED}),
    InboxState.ESCALATED: frozenset({InboxState.ANSWERED, InboxState.DELETED, InboxState.RESOLVED}),
    InboxState.DELETED: frozenset({InboxState.ESCALATED, InboxState.RESOLVED}),
    InboxState.RESOLVED: frozenset(),
}
#: states in which a reply may be written
REPLYABLE = frozenset({InboxState.NEW, InboxState.ESCALATED})


class FollowUpAction(StrEnum):
    """What was done about an offensive comment (the offensive comment reporting process)."""

    HIDDEN = "hidden"
    DELETED = "deleted"
    REPORTED = "reported"


class InboxRefused(ValueError):
    """An action the inbox's rules do not allow now; the message says why, for the person who tried."""


@dataclass(frozen=True)
class FollowUp:
    action: FollowUpAction
    by: str
    at: str
    note: str = ""

    def as_json(self) -> dict[str, str]:
        return {"action": self.action.value, "by": self.by, "at": self.at, "note": self.note}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FollowUp:
        return cls(FollowUpAction(data["action"]), str(data.get("by", "")), str(data.get("at", "")),
                   str(data.get("note", "")))


@dataclass(frozen=True)
class PendingReply:
    """A reply written on the desk, not posted yet: waiting for a second press officer, or being posted."""

    text: str
    by: str
    at: str
    needs_approval: bool
    approved_by: str = ""
    #: when the posting to the site began (a claim: nobody else posts it meanwhile)
    posting_at: str = ""

    def as_json(self) -> dict[str, Any]:
        return {"text": self.text, "by": self.by, "at": self.at, "needs_approval": self.needs_approval,
                "approved_by": self.approved_by, "posting_at": self.posting_at}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PendingReply:
        return cls(str(data["text"]), str(data.get("by", "")), str(data.get("at", "")),
                   bool(data.get("needs_approval")), str(data.get("approved_by", "")), str(data.get("posting_at", "")))


@dataclass(frozen=True)
class InboxItem:
    """One comment in the inbox (its text is the only copy once the comment is deleted from the site)."""

    comment_id: str
    photo_id: str
    site_photo_id: str
    kind: str
    text: str
    author: str
    author_name: str
    #: when it arrived: posted on the site, or when the monitor read it if the site gave no time (ISO, UTC)
    arrived_at: str
    state: InboxState = InboxState.NEW
    photo_title: str = ""
    photo_url: str = ""
    permalink: str = ""
    confidence: float = 1.0
    sure: bool = True
    #: what the monitor did in public before anyone looked ("replied", "deleted")
    monitor_did: tuple[str, ...] = ()
    assignee: str = ""
    answered_at: str = ""
    answered_by: str = ""
    reply_text: str = ""
    reply_id: str = ""
    pending: PendingReply | None = None
    follow_ups: tuple[FollowUp, ...] = ()
    reminded_at: str = ""
    revision: int = 1
    updated_at: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in (
            "comment_id", "photo_id", "site_photo_id", "kind", "text", "author", "author_name", "arrived_at",
            "photo_title", "photo_url", "permalink", "confidence", "sure", "assignee", "answered_at", "answered_by",
            "reply_text", "reply_id", "reminded_at", "revision", "updated_at")}
        out["state"] = self.state.value
        out["monitor_did"] = list(self.monitor_did)
        out["pending"] = self.pending.as_json() if self.pending else None
        out["follow_ups"] = [f.as_json() for f in self.follow_ups]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InboxItem:
        names = {f for f in cls.__dataclass_fields__} - {"state", "monitor_did", "pending", "follow_ups"}
        plain = {k: v for k, v in data.items() if k in names and v is not None}
        return cls(**plain, state=InboxState(data.get("state", "new")),
                   monitor_did=tuple(data.get("monitor_did") or ()),
                   pending=PendingReply.from_json(data["pending"]) if data.get("pending") else None,
                   follow_ups=tuple(FollowUp.from_json(f) for f in data.get("follow_ups") or ()))


def check_move(item: InboxItem, to: InboxState) -> None:
    """Refuse a move the inbox does not allow, saying why in words a press officer reads."""
    if to not in TRANSITIONS[item.state]:
        raise InboxRefused(f"This comment is {item.state.value}; it cannot be marked {to.value} now.")
    if item.pending is not None and to != InboxState.ANSWERED:
        raise InboxRefused(f"A reply by {item.pending.by} is waiting to be posted: approve or withdraw it first.")
    if to == InboxState.RESOLVED and item.kind == "offensive" and not item.follow_ups:
        raise InboxRefused("An offensive comment is resolved once its follow-up (hidden, deleted or reported) "
                           "is recorded.")


def check_reply(item: InboxItem, text: str) -> None:
    if item.state not in REPLYABLE:
        raise InboxRefused(f"This comment is {item.state.value}; only a new or escalated comment is answered.")
    if item.pending is not None:
        raise InboxRefused(f"A reply by {item.pending.by} is already waiting: approve or withdraw it first.")
    if not text.strip():
        raise InboxRefused("Write the reply first.")
    if len(text) > MAX_REPLY:
        raise InboxRefused(f"A reply has at most {MAX_REPLY} characters; this one has {len(text)}.")


def check_approval(item: InboxItem, by: str) -> PendingReply:
    """The pending reply ``by`` may approve (and so post): never their own."""
    if item.pending is None or not item.pending.needs_approval or item.pending.approved_by:
        raise InboxRefused("There is no reply waiting for approval.")
    if item.pending.by == by:
        raise InboxRefused("A second press officer approves this reply: you wrote it.")
    return item.pending


#: a reply's longest text (Flickr takes far more; a reply longer than this is not a reply)
MAX_REPLY = 2000
#: a posting claim older than this was abandoned (its run died) and may be taken over
POSTING_LEASE = timedelta(minutes=10)


def may_post(pending: PendingReply, now: datetime) -> bool:
    """Whether nobody is posting ``pending`` (or whoever began did so more than :data:`POSTING_LEASE` ago)."""
    started = parse_time(pending.posting_at)
    return started is None or now - started > POSTING_LEASE


# -- office hours ---------------------------------------------------------------------------------
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class OfficeHours:
    """When the press office works: these weekdays (0 = Monday), from ``opens`` to ``closes`` local
    time in ``timezone``, except on ``holidays`` (local dates)."""

    days: frozenset[int] = frozenset(range(5))
    opens: time = time(9)
    closes: time = time(17)
    timezone: str = "Europe/London"
    holidays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError(f"office hours: opening ({self.opens:%H:%M}) must come before closing ({self.closes:%H:%M})")
        if not self.days or not self.days <= set(range(7)):
            raise ValueError("office hours: name at least one weekday")
        ZoneInfo(self.timezone)  # an unknown zone fails here, not at the first comment

    @classmethod
    def parse(cls, days: str, opens: str, closes: str, timezone: str, holidays: str = "") -> OfficeHours:
        """From settings text: ``days`` as ``mon-fri`` or ``mon,tue,sat``; times as ``HH:MM``;
        ``holidays`` as ISO dates separated by commas or spaces."""
        try:
            return cls(_parse_days(days), time.fromisoformat(opens), time.fromisoformat(closes), timezone,
                       frozenset(date.fromisoformat(d) for d in re.split(r"[,\s]+", holidays.strip()) if d))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"office hours: {exc}") from exc

    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _open_spans(self, start: datetime, end: datetime | None = None) -> Iterator[tuple[datetime, datetime]]:
        """The office's opening spans (UTC) on each local day from ``start``'s to ``end``'s (or for
        ten years, without ``end``)."""
        zone = self._zone()
        day = start.astimezone(zone).date()
        last = end.astimezone(zone).date() if end is not None else day + timedelta(days=3653)
        while day <= last:
            if day.weekday() in self.days and day not in self.holidays:
                yield (datetime.combine(day, self.opens, zone).astimezone(UTC),
                       datetime.combine(day, self.closes, zone).astimezone(UTC))
            day += timedelta(days=1)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """Office time between ``start`` and ``end`` (zero if ``end`` is not later)."""
        total = timedelta(0)
        if end <= start:
            return total
        for opens, closes in self._open_spans(start, end):
            total += max(timedelta(0), min(end, closes) - max(start, opens))
        return total

    def deadline(self, start: datetime, within: timedelta) -> datetime:
        """The moment ``within`` of office time after ``start`` has passed."""
        left = within
        for opens, closes in self._open_spans(start):
            begin = max(start, opens)
            if begin >= closes:
                continue
            if begin + left <= closes:
                return begin + left
            left -= closes - begin
        raise ValueError("office hours: the office does not open within ten years")


def _parse_days(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in re.split(r"[,\s]+", text.strip().lower()):
        if not part:
            continue
        first, _, last = part.partition("-")
        a = _DAYS.index(first[:3]) if first[:3] in _DAYS else -1
        b = _DAYS.index(last[:3]) if last and last[:3] in _DAYS else a
        if a < 0 or b < 0:
            raise ValueError(f"unknown weekday in {part!r} (use mon, tue, wed, thu, fri, sat, sun)")
        days |= set(range(a, b + 1)) if a <= b else set(range(a, 7)) | set(range(0, b + 1))
    return frozenset(days)


def response_time(item: InboxItem, hours: OfficeHours) -> timedelta | None:
    """How long ``item`` took to answer, in office time; None while it is not answered."""
    arrived, answered = parse_time(item.arrived_at), parse_time(item.answered_at)
    if arrived is None or answered is None:
        return None
    return hours.working_time(arrived, answered)


def awaits_answer(item: InboxItem) -> bool:
    """A question nobody has answered, escalated, deleted or resolved yet."""
    return item.kind == "question" and item.state == InboxState.NEW and not item.answered_at


def past_target(item: InboxItem, hours: OfficeHours, target: timedelta, now: datetime) -> bool:
    """An unanswered question that has waited longer than ``target`` of office time."""
    arrived = parse_time(item.arrived_at)
    return awaits_answer(item) and arrived is not None and hours.working_time(arrived, now) > target


def due_by(item: InboxItem, hours: OfficeHours, target: timedelta) -> datetime | None:
    """When an unanswered question passes ``target``; None for anything else."""
    arrived = parse_time(item.arrived_at)
    return hours.deadline(arrived, target) if awaits_answer(item) and arrived is not None else None
