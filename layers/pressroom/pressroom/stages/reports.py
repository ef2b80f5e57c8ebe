"""The monthly report: a month's figures from the audit trail, for the desk's page, its CSV and
``pressroom report``.

Every figure comes from the audit events of the month, read by name and time (the table's
``by-event`` index: one query per kind of event, whatever the size of the table), and the records
of the photos published or blocked in it (when each was uploaded; the guidance lines that blocked
it). Comments are counted by the class the monitor gave them, once each. Response times come from the
comment inbox: the comments answered in the month (its ``comment-answered`` audit events), each
timed in office hours from its inbox item and measured against the question target
(:func:`responses_of`); without the inbox's records, the report says they are not recorded rather
than show a figure it cannot know.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock
from pressroom.domain.inbox import InboxItem, OfficeHours, response_time
from pressroom.domain.photos import TRANSITIONS, State
from pressroom.domain.reports import CommentSeen, Happening, Line, Month, MonthReport, Response, month_report
from pressroom.settings import Settings
from pressroom.stages.comments import EVENTS, Kind

#: the audit events that mark each outcome: the photo's creation, or a transition into a state
OUTCOME_EVENTS: dict[str, tuple[str, ...]] = {
    "uploaded": ("created",),
    **{what: tuple(f"{source.value}→{state.value}" for source, targets in TRANSITIONS.items() if state in targets)
       for what, state in (("published", State.PUBLISHED), ("blocked", State.BLOCKED), ("rejected", State.REJECTED),
                           ("expired", State.EXPIRED), ("taken_down", State.TAKEN_DOWN))},
}
#: the audit event the comments monitor records for each comment, by the class it read it as:
#: one when it was sure, and one when it asked the press office to look
COMMENT_EVENTS: dict[str, Kind] = {**{event: kind for kind, event in EVENTS.items()},
                                   **{f"comment-{kind.value}-to-check": kind for kind in Kind}}
#: the audit event the inbox records when a reply is posted (stages.inbox)
ANSWERED = "comment-answered"


@dataclass(frozen=True)
class MonthlyReports:
    """Builds a month's report from the store."""

    store: PhotoStore
    settings: Settings
    #: the inbox items of these comments (the store's ``inbox_items``); None: response times not recorded
    inbox_items: Callable[[list[str]], Iterable[InboxItem]] | None = None
    now: Callable[[], datetime] = clock.now

    def report(self, month: Month) -> MonthReport:
        start, end = clock.iso(month.start), clock.iso(month.end)
        happenings = [Happening(e["photo_id"], what, at) for what, events in OUTCOME_EVENTS.items()
                      for event in events for e in self.store.events_between(event, start, end)
                      if (at := clock.parse_time(e["at"])) is not None]
        published = [h.photo_id for h in happenings if h.what == "published"]
        blocked = [h.photo_id for h in happenings if h.what == "blocked"]
        facts = self.store.photo_facts(published + blocked, ("created_at", "findings"))
        uploaded_at = {pid: at for pid in published if (at := clock.parse_time(facts.get(pid, {}).get("created_at")))}
        before = [clock.parse_time(e["at"]) for event in OUTCOME_EVENTS["published"]
                  if (e := self.store.last_event_before(event, start))]
        return month_report(
            month, now=self.now(), happenings=happenings, uploaded_at=uploaded_at,
            blocked_lines={pid: _blocking_lines(facts.get(pid, {})) for pid in blocked},
            published_before=max((b for b in before if b is not None), default=None),
            stale_after=timedelta(days=self.settings.stale_after_days),
            comment_classes=[kind.value for kind in Kind],
            comments=self._comments(start, end),
            responses=self._responses(month, start, end),
        )

    def _responses(self, month: Month, start: str, end: str) -> list[Response] | None:
        if self.inbox_items is None:
            return None
        answered = [str(e["detail"].get("comment_id", "")) for e in self.store.events_between(ANSWERED, start, end)]
        return responses_of(self.inbox_items([cid for cid in answered if cid]), month, self.settings.office_hours(),
                            self.settings.question_target())

    def _comments(self, start: str, end: str) -> list[CommentSeen]:
        seen = []
        for event, kind in COMMENT_EVENTS.items():
            for e in self.store.events_between(event, start, end):
                at = clock.parse_time(e["at"])
                if at is not None:
                    seen.append(CommentSeen(str(e["detail"].get("comment_id") or f"{e['photo_id']}@{e['at']}"),
                                            kind.value, at))
        return seen


def responses_of(items: Iterable[InboxItem], month: Month, hours: OfficeHours, target: timedelta) -> list[Response]:
    """The inbox's comments answered in ``month``, each with its response time in office hours and
    whether that was within ``target``."""
    found = []
    for item in items:
        answered, taken = clock.parse_time(item.answered_at), response_time(item, hours)
        if answered is not None and taken is not None and month.start <= answered < month.end:
            found.append(Response(item.kind, taken, taken <= target))
    return found


def _blocking_lines(photo: dict[str, object]) -> list[Line]:
    """The guidance lines of a blocked photo's blocking findings (none when its checks could not run)."""
    findings = photo.get("findings")
    return [Line(str(f.get("rule", "")), str(f.get("guidance", ""))) for f in findings
            if isinstance(f, dict) and f.get("severity") == "block"] if isinstance(findings, list) else []
