"""The monthly report page in a real browser (Debian's chromium, driven by Playwright) on a phone,
served with its own headers (so that the Content-Security-Policy is enforced).

Set ``REVIEW_SCREENSHOTS`` to a folder (``docs``) to keep the screenshot the README shows.
"""
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.e2e.test_review_in_browser import PHONE, browser  # noqa: F401 - the shared chromium fixture
from tests.unit.web.test_reports_page import OFFICER, sample_report

pytestmark = pytest.mark.e2e
URL = "https://desk.example/desk/reports?month=2027-01"


def test_the_report_page_fits_a_phone_and_its_policy_refuses_nothing(browser, tmp_path):
    from pressroom.web.reports import reports_page

    page_reply = reports_page(sample_report(), visitor=OFFICER, csrf="tok", now=datetime(2027, 3, 1, tzinfo=UTC))
    page = browser.new_page(viewport=PHONE)
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.route("https://desk.example/**", lambda route: route.fulfill(
        status=page_reply.status, headers=page_reply.headers, body=page_reply.body))
    page.goto(URL)
    assert page.inner_text("h1") == "Report: January 2027"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the page fits a phone's width"
    assert page.locator("svg[role=img]").count() == 4 and page.get_by_role("link", name="Download CSV").is_visible()
    page.get_by_text("The figures").first.click()
    assert page.get_by_role("table").first.is_visible()
    folder = Path(os.environ.get("REVIEW_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(folder / "desk-reports.png"), full_page=True)
    assert not refused, refused
