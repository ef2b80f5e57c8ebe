"""The desk's monthly report page (press office) and its CSV download.

The charts are inline SVG drawn here, on the server (no script, no library): horizontal bars, one
under another, so that they read on a phone at 390 px; the stale days as a month calendar. Each
chart is an image with a title and a description for screen readers, and its figures follow as a
table (under "The figures"), so nothing is shown only as a picture or only by colour.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pressroom.domain.reports import NO_LINE, OUTCOMES, Month, MonthReport, day_bounds, duration
from pressroom.domain.schedule import london
from pressroom.web.desk import DeskPage, Visitor, desk_html
from pressroom.web.report_csv import filename, report_csv

PATH = "/desk/reports"
CSV_PATH = "/desk/reports.csv"
#: the drawing's width (the SVG scales to the page); bars leave room for their value
WIDTH, BAR_MAX, ROW = 340, 280, 46
CELL, CELL_GAP = 44, 4
#: how many months back the month picker offers (an older one is still shown by its address)
CHOICES = 36
BRAND, BAD, INK, MUTED = "#003d7a", "#a40e26", "#1b1f24", "#57606a"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    #: the bar's drawn width, and the top of its row
    width: int
    y: int
    #: what the table says of it besides its label and value (a guidance line's words)
    note: str = ""


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    description: str
    #: the table's heading over the labels, and over the values
    heading: str
    unit: str
    colour: str
    bars: Sequence[Bar]

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW


@dataclass(frozen=True)
class Cell:
    day: date
    x: int
    y: int
    #: "stale", "fresh" or "later" (after the time the report covers)
    kind: str


def bar_chart(id: str, title: str, heading: str, unit: str, colour: str,
              items: Sequence[tuple[str, int, str]]) -> Chart:
    """Bars for ``items`` (label, value, note), scaled to the largest."""
    top = max((value for _, value, _ in items), default=0)
    bars = [Bar(_short(label), value, round(BAR_MAX * value / top) if top else 0, n * ROW, note)
            for n, (label, value, note) in enumerate(items)]
    words = "; ".join(f"{label}: {value}" for label, value, _ in items) or "none"
    return Chart(id, title, f"{title}. {words}.", heading, unit, colour, bars)


def calendar(report: MonthReport) -> list[Cell]:
    """The month's days in weeks from Monday, each marked stale, fresh or later."""
    stale = set(report.stale_days)
    days = report.days
    offset = days[0].weekday()
    cells = []
    for n, day in enumerate(days):
        row, col = divmod(n + offset, 7)
        later = day_bounds(day)[0] >= report.until
        cells.append(Cell(day, col * (CELL + CELL_GAP), 22 + row * (CELL + CELL_GAP),
                          "later" if later else "stale" if day in stale else "fresh"))
    return cells


def reports_html(report: MonthReport, *, visitor: Visitor | None, csrf: str, now: datetime) -> str:
    """The report page of ``report`` for ``visitor``."""
    counts = [(what.replace("_", " ").capitalize(), report.counts[what], "") for what in OUTCOMES]
    lines = [(b.line.rule or "No guidance line", b.photos,
              b.line.guidance if b.line.rule != NO_LINE else "The automatic checks could not run")
             for b in report.blocked_by]
    comments = [(kind.replace("-", " ").capitalize(), n, "") for kind, n in report.comments.items()]
    cells = calendar(report)
    this_month = Month.of(now)
    return desk_html(
        "reports.html", title=f"Report: {report.month.label}", visitor=visitor, here=PATH, csrf=csrf,
        report=report, duration=duration, london=london, page_path=PATH, csv_path=CSV_PATH,
        photos=bar_chart("photos", "What happened to photos", "Outcome", "Photos", BRAND, counts),
        blocked=bar_chart("blocked", "Photos blocked, by guidance line", "Guidance line", "Photos", BAD, lines),
        comments=bar_chart("comments", "Comments by class", "Class", "Comments", BRAND, comments),
        cells=cells, calendar_height=(cells[-1].y + CELL + 2) if cells else CELL,
        choices=_choices(this_month, report.month),
        previous=_previous(report.month), following=report.month.next if report.month < this_month else None,
        colours={"brand": BRAND, "bad": BAD, "ink": INK, "muted": MUTED}, width=WIDTH, cell=CELL,
    )


def reports_page(report: MonthReport, *, visitor: Visitor | None, csrf: str, now: datetime) -> DeskPage:
    return DeskPage(200, reports_html(report, visitor=visitor, csrf=csrf, now=now))


def reports_csv_page(report: MonthReport) -> DeskPage:
    """The CSV download: UTF-8, saved as ``pressroom-report-YYYY-MM.csv``."""
    return DeskPage(200, report_csv(report), content_type="text/csv; charset=utf-8",
                    extra_headers={"Content-Disposition": f'attachment; filename="{filename(report)}"'})


def month_asked(value: str | None, now: datetime) -> Month:
    """The month of a ``?month=`` query (this month when there is none); ValueError for one that is
    not ``YYYY-MM`` or is still to come."""
    if not value:
        return Month.of(now)
    month = Month.parse(value)
    if month > Month.of(now):
        raise ValueError(f"{month.label} has not begun yet")
    return month


def _choices(this_month: Month, shown: Month) -> list[Month]:
    """The months to pick from, newest first: this one and :data:`CHOICES` before, and ``shown``."""
    months = [this_month]
    for _ in range(CHOICES):
        months.append(_previous(months[-1]))
    return sorted(set(months) | {shown}, reverse=True)


def _previous(month: Month) -> Month:
    return Month(month.year - 1, 12) if month.month == 1 else Month(month.year, month.month - 1)


def _short(label: str, most: int = 38) -> str:
    return label if len(label) <= most else label[:most - 1] + "…"
