"""The monthly report as CSV, for freedom-of-information answers and monthly returns.

One row per figure, so that the columns never change as guidance lines or comment classes are
added (documented in ``docs/reports.md``):

``month``        the London month, ``2027-01``
``figure``       what is counted (see :data:`FIGURES`)
``detail``       which one: the guidance line's rule, the comment class, the stale day; else empty
``value``        a whole number, a share between 0 and 1, a UTC time, or empty when there is none
``unit``         ``utc``, ``photos``, ``comments``, ``seconds``, ``share``, ``days`` or ``day``
``description``  the figure in words (for a guidance line, the line it quotes)

The text is UTF-8 with a byte-order mark (so that spreadsheet programs read it as UTF-8), lines
end CRLF, and a cell that a spreadsheet would read as a formula (one starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is prefixed with ``'``, so that it is shown as text.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from pressroom.domain.reports import NO_LINE, OUTCOMES, MonthReport

COLUMNS = ("month", "figure", "detail", "value", "unit", "description")
#: the figures, in the order they appear
FIGURES = {
    "covers_until": "The figures cover the month up to this time (the end of the month once it is over)",
    **{f"photos_{what}": f"Photos {what.replace('_', ' ')} in the month" for what in OUTCOMES},
    "blocked_by_guidance_line": "Photos blocked by this guidance line (a photo may be blocked by several)",
    "median_upload_to_publish": "Median time from upload to publish of the photos published in the month",
    "comments": "Comments read by the monitor in the month, by class",
    "responses_answered": "Comments answered in the month",
    "median_response_time": "Median time to answer a comment, within office hours",
    "share_answered_within_target": "Share of answered comments answered within the target time",
    "stale_days": "Days on which nothing had been published for the stale-account period",
    "stale_day": "A day on which the account was stale",
}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """``value`` as a cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def rows(report: MonthReport) -> Iterator[tuple[str, str, object, str, str]]:
    """The report's rows (figure, detail, value, unit, description), before the month column."""
    yield "covers_until", "", report.until.strftime("%Y-%m-%dT%H:%M:%SZ"), "utc", FIGURES["covers_until"]
    for what in OUTCOMES:
        yield f"photos_{what}", "", report.counts[what], "photos", FIGURES[f"photos_{what}"]
    for blocked in report.blocked_by:
        words = blocked.line.guidance if blocked.line.rule != NO_LINE else "No guidance line: the checks could not run"
        yield "blocked_by_guidance_line", blocked.line.rule, blocked.photos, "photos", words
    waited = report.to_publish
    yield ("median_upload_to_publish", "", "" if waited is None else int(waited.total_seconds()), "seconds",
           f"{FIGURES['median_upload_to_publish']} ({report.to_publish_photos} with an upload time)")
    for kind, count in report.comments.items():
        yield "comments", kind, count, "comments", FIGURES["comments"]
    answered = report.responses
    unrecorded = " (not recorded)" if answered is None else ""
    yield "responses_answered", "", "" if answered is None else answered.answered, "comments", \
        FIGURES["responses_answered"] + unrecorded
    yield ("median_response_time", "", "" if answered is None or answered.median is None
           else int(answered.median.total_seconds()), "seconds", FIGURES["median_response_time"] + unrecorded)
    share = None if answered is None else answered.share_within_target
    yield ("share_answered_within_target", "", "" if share is None else f"{share:.4f}", "share",
           FIGURES["share_answered_within_target"] + unrecorded)
    yield ("stale_days", "", len(report.stale_days), "days",
           f"{FIGURES['stale_days']} ({report.stale_after_days} days)")
    for day in report.stale_days:
        yield "stale_day", day.isoformat(), 1, "day", FIGURES["stale_day"]


def report_csv(report: MonthReport) -> str:
    """The report as CSV text, starting with the byte-order mark (send or save it as UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows(report):
        writer.writerow([safe_cell(cell) for cell in (str(report.month), *row)])
    return "\ufeff" + out.getvalue()


def filename(report: MonthReport) -> str:
    return f"pressroom-report-{report.month}.csv"
