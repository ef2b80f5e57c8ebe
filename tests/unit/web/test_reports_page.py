"""The monthly report's page and CSV (pressroom.web.reports, pressroom.web.report_csv)."""
import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest

from pressroom.domain.reports import (
    NO_LINE,
    Blocked,
    Line,
    Month,
    MonthReport,
    Responses,
)
from pressroom.web.desk import Visitor
from pressroom.web.report_csv import COLUMNS, FIGURES, report_csv, safe_cell
from pressroom.web.reports import calendar, month_asked, reports_csv_page, reports_html, reports_page

OFFICER = Visitor("sub-9", "pat@force.example", "Pat Press", frozenset({"press-office"}))
NOW = datetime(2027, 3, 1, tzinfo=UTC)


def sample_report(*, until: datetime | None = None, responses: Responses | None = None, **changes) -> MonthReport:
    """January 2027 with a little of everything (the screenshot in docs/ shows it)."""
    month = Month(2027, 1)
    values = dict(
        month=month, until=until or month.end,
        counts={"uploaded": 23, "published": 17, "blocked": 3, "rejected": 2, "expired": 1, "taken_down": 1},
        blocked_by=[Blocked(Line("dont-children-without-permission", "Don't post images of children without "
                                 "parental permission"), 2),
                    Blocked(Line("do-credit", "Credit the photographer"), 1), Blocked(Line(NO_LINE, ""), 1)],
        to_publish=timedelta(hours=5, minutes=40), to_publish_photos=17,
        comments={"threat": 0, "disclosure": 1, "crime-report": 2, "offensive": 1, "personal-details": 0,
                  "removal-request": 1, "question": 9, "other": 14},
        responses=responses, stale_days=[date(2027, 1, d) for d in (1, 2, 3, 27, 28)], stale_after_days=14)
    values.update(changes)
    return MonthReport(**values)


def _svgs(html: str) -> list[ElementTree.Element]:
    return [ElementTree.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", html, re.S)]


def test_each_chart_is_an_image_with_a_title_a_description_and_its_table():
    html = reports_html(sample_report(), visitor=OFFICER, csrf="tok", now=NOW)
    svgs = _svgs(html)
    assert len(svgs) == 4  # photos, blocked, comments, the stale-day calendar
    for svg in svgs:
        assert svg.get("role") == "img" and svg.get("aria-labelledby")
        assert svg.find("{http://www.w3.org/2000/svg}title") is not None or svg.find("title") is not None
    assert "What happened to photos. Uploaded: 23; Published: 17; Blocked: 3" in html
    assert '<th scope="row">Question</th><td>9</td>' in html and '<th scope="col">Guidance line</th>' in html
    assert "Stale on 5 days: 1, 2, 3, 27, 28 January 2027." in html
    assert "<script" not in html and "style=" not in html  # nothing the page's CSP would refuse


def test_bars_are_scaled_to_the_largest_and_a_zero_draws_no_bar():
    html = reports_html(sample_report(), visitor=OFFICER, csrf="tok", now=NOW)
    photos = _svgs(html)[0]
    widths = [int(r.get("width")) for r in photos.iter() if r.tag.endswith("rect")]
    assert widths[0] == 280 and widths[1] == round(280 * 17 / 23)
    comments = _svgs(html)[2]
    assert [int(r.get("width")) for r in comments.iter() if r.tag.endswith("rect")][0] == 0  # no threat


def test_text_from_the_records_is_escaped():
    hostile = Line("dont-x", '<img src=x onerror="alert(1)"> & </svg><script>alert(2)</script>')
    html = reports_html(sample_report(blocked_by=[Blocked(hostile, 1)]), visitor=OFFICER, csrf="tok", now=NOW)
    assert "<img src=x" not in html and "<script>" not in html and "&lt;/svg&gt;" in html
    assert len(_svgs(html)) == 4  # still well-formed


def test_the_page_links_the_csv_and_neighbouring_months_and_says_when_the_month_is_not_over():
    html = reports_html(sample_report(), visitor=OFFICER, csrf="tok", now=NOW)
    assert '<a class="button" href="/desk/reports.csv?month=2027-01" download>Download CSV</a>' in html
    assert 'href="/desk/reports?month=2026-12"' in html and 'href="/desk/reports?month=2027-02"' in html
    assert "not over" not in html and 'aria-current="page">Reports' in html
    assert '<option value="2027-01" selected>January 2027</option>' in html and '<option value="2027-03">' in html
    assert '<option value="2024-02">' not in html and '<option value="2024-03">' in html  # three years back
    current = reports_html(sample_report(until=datetime(2027, 1, 15, 12, tzinfo=UTC)), visitor=OFFICER, csrf="t",
                           now=datetime(2027, 1, 15, 12, tzinfo=UTC))
    assert "figures cover it up to 15 January 2027 at 12:00 GMT" in current and "2027-02" not in current
    assert "Response times" not in current and "not recorded yet" in current


def test_response_times_and_share_within_target_when_the_inbox_records_them():
    html = reports_html(sample_report(responses=Responses(8, timedelta(minutes=95), 6)), visitor=OFFICER, csrf="t",
                        now=NOW)
    assert "1 h 35 min median in office hours, 8 answered" in html and "75% (6 of 8)" in html


def test_the_calendar_starts_on_the_right_weekday_and_marks_days_to_come():
    report = sample_report(until=datetime(2027, 1, 15, 12, tzinfo=UTC), stale_days=[date(2027, 1, 14)])
    cells = calendar(report)
    assert cells[0].day == date(2027, 1, 1) and cells[0].x == 4 * 48  # a Friday
    kinds = {c.day.day: c.kind for c in cells}
    assert kinds[14] == "stale" and kinds[15] == "fresh" and kinds[16] == "later"


def test_the_pages_headers_and_the_csv_download():
    page = reports_page(sample_report(), visitor=OFFICER, csrf="t", now=NOW)
    assert page.status == 200 and "default-src 'none'" in page.headers["Content-Security-Policy"]
    download = reports_csv_page(sample_report())
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.headers["Content-Disposition"] == 'attachment; filename="pressroom-report-2027-01.csv"'
    assert download.body.startswith("\ufeffmonth,figure,")


def test_the_month_asked_for():
    assert month_asked(None, NOW) == Month(2027, 3) and month_asked("2026-11", NOW) == Month(2026, 11)
    with pytest.raises(ValueError, match="April 2027 has not begun yet"):
        month_asked("2027-04", NOW)
    with pytest.raises(ValueError, match="not a month like"):
        month_asked("2027-4", NOW)


# -- the CSV --------------------------------------------------------------------------------------
def _rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_the_csv_has_stable_columns_and_one_row_per_figure():
    text = report_csv(sample_report(responses=Responses(8, timedelta(minutes=95), 6)))
    rows = _rows(text)
    assert tuple(rows[0]) == COLUMNS == ("month", "figure", "detail", "value", "unit", "description")
    assert {r["month"] for r in rows} == {"2027-01"} and {r["figure"] for r in rows} <= set(FIGURES)
    single = {r["figure"]: r["value"] for r in rows if not r["detail"]}
    assert single["covers_until"] == "2027-02-01T00:00:00Z"
    assert single["photos_uploaded"] == "23" and single["photos_taken_down"] == "1"
    assert single["median_upload_to_publish"] == str(5 * 3600 + 40 * 60)
    assert single["median_response_time"] == "5700" and single["share_answered_within_target"] == "0.7500"
    assert single["stale_days"] == "5"
    assert [r["detail"] for r in rows if r["figure"] == "stale_day"] == ["2027-01-01", "2027-01-02", "2027-01-03",
                                                                          "2027-01-27", "2027-01-28"]
    assert {r["detail"]: r["value"] for r in rows if r["figure"] == "comments"}["question"] == "9"
    assert "\r\n" in text


def test_figures_not_recorded_are_empty_not_zero():
    rows = _rows(report_csv(sample_report(to_publish=None, to_publish_photos=0)))
    single = {r["figure"]: r for r in rows if not r["detail"]}
    assert single["median_upload_to_publish"]["value"] == "" and single["median_response_time"]["value"] == ""
    assert single["responses_answered"]["description"].endswith("(not recorded)")


@pytest.mark.parametrize("cell", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x","y")'])
def test_a_cell_a_spreadsheet_would_run_is_text(cell):
    assert safe_cell(cell) == "'" + cell
    line = Line(cell, cell)
    rows = _rows(report_csv(sample_report(blocked_by=[Blocked(line, 1)])))
    (row,) = [r for r in rows if r["figure"] == "blocked_by_guidance_line"]
    assert row["detail"] == "'" + cell and row["description"] == "'" + cell


def test_ordinary_cells_and_accents_are_kept_as_they_are():
    assert safe_cell("do-credit") == "do-credit" and safe_cell(17) == "17" and safe_cell(None) == ""
    line = Line("do-credit", "Crédit « photographer » – £0")
    text = report_csv(sample_report(blocked_by=[Blocked(line, 1)]))
    assert "Crédit « photographer » – £0" in text and text.encode("utf-8").startswith(b"\xef\xbb\xbf")


def test_the_csv_download_needs_the_reports_group_as_the_page_does():
    from pressroom.web.desk import allowed, groups_of
    from pressroom.web.reports import CSV_PATH, PATH

    assert groups_of(CSV_PATH) == groups_of(PATH) == ("press-office",)
    assert not allowed(Visitor("s", "s@force.example", "S", frozenset({"staff"})), CSV_PATH)
    assert allowed(OFFICER, CSV_PATH)


def test_a_month_with_nothing_blocked_says_so_instead_of_an_empty_chart():
    html = reports_html(sample_report(blocked_by=[], to_publish=None, to_publish_photos=0, stale_days=[]),
                        visitor=OFFICER, csrf="t", now=NOW)
    assert len(_svgs(html)) == 3 and "None this month." in html
    assert "no photo published" in html and "No stale day this month." in html
