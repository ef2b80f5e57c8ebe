"""The desk in a real browser (Debian's chromium, driven by Playwright) on the local stack, at 390x844:
a staff member signs in with the development sign-in, uploads three photos with the form and sees
them reach NEEDS_APPROVAL; an approver decides on one from the queue; the press office answers a
question about it from the comment inbox and exports the month's CSV. Every desk page is checked
with axe-core (WCAG 2.2 AA; ``make axe`` installs it).

Set ``REVIEW_SCREENSHOTS`` to a folder (``docs``) to keep the phone screenshots the README shows.
"""
import json
import time
from pathlib import Path

import pytest

from pressroom import bootstrap
from pressroom.domain import clock
from pressroom.domain.inbox import InboxItem, InboxState
from pressroom.domain.photos import State
from pressroom_local.resources import Names
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack
from tests.conftest import ROOT
from tests.e2e.test_review_in_browser import PHONE, browser, shots  # noqa: F401 - the shared chromium and screenshot fixtures

pytestmark = pytest.mark.e2e
AXE = ROOT / ".pressroom" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
ONE, _ = Names().approvers
STAFF = "pcso@example.org"
OFFICE = "press.office@press-office.example"


@pytest.fixture
def axe() -> str:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make axe)")
    return AXE.read_text()


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "home") as running:
        yield running


def _wait(check, what, timeout=90):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)
    return found


def _accessible(page, axe: str) -> None:
    """axe-core finds no WCAG 2.2 A/AA violation on the page. It is evaluated through the browser's
    debugging protocol: the page's CSP rightly refuses an injected <script>."""
    page.evaluate(f"() => {{ {axe}\n }}")
    found = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    problems = [f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
                for v in found["violations"]]
    assert not problems, f"{page.url}: " + "; ".join(problems)


def _sign_in(browser, stack, who: str, axe: str = ""):
    """A phone's browser, signed in through the development sign-in as one of its people."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(stack.info.api + "/desk")
    assert "Local only" in page.inner_text(".local")
    if axe:
        _accessible(page, axe)
    page.click(f"button[value^='{who}|']")
    page.wait_for_url("**/desk")
    return page


def _answer_safely(page):
    for radio in page.locator("input[type=radio][data-safe]").all():
        radio.check()


def test_staff_upload_an_approver_decides_and_the_press_office_answers_and_exports(stack, browser, axe, shots, tmp_path):
    files = []
    for sample in SAMPLES:
        path = tmp_path / sample.name
        path.write_bytes(render(sample))
        files.append(path)

    page = _sign_in(browser, stack, STAFF, axe)
    assert [a.inner_text() for a in page.locator("nav a").all()] == ["Upload", "My photos"]
    _accessible(page, axe)
    page.goto(stack.info.api + "/desk/approvals")
    assert "Not for your groups" in page.inner_text("h1")  # staff are not approvers, whatever the URL

    page.goto(stack.info.api + "/desk/upload")
    _accessible(page, axe)
    page.set_input_files("#files", [str(f) for f in files])
    assert page.locator("fieldset.file").count() == 3
    for n, sample in enumerate(SAMPLES):
        page.fill(f"#title-{n}", sample.title)
        page.fill(f"#description-{n}", sample.description)
    page.click("#send")  # nothing declared yet: the form says what to answer, and sends nothing
    assert "Answer: Category" in page.inner_text("#form-error")
    page.select_option("#d-category", "neighbourhood-initiative")
    page.select_option("#d-people", "none")
    page.select_option("#d-children", "no")
    page.fill("#d-credit", "West Midlands Police")
    page.screenshot(path=str(shots / "desk-upload.png"), full_page=True)
    page.click("#send")

    def uploaded_states():
        photos = bootstrap.desk_uploads().mine(STAFF)
        return len(photos) == 3 and all(p.state == State.NEEDS_APPROVAL for p in photos) and photos
    photos = _wait(uploaded_states, "three photos waiting for approval")
    assert {p.title for p in photos} == {s.title for s in SAMPLES}
    assert all(p.declared["category"] == "neighbourhood-initiative" and p.uploader == STAFF for p in photos)
    for n in range(3):
        _wait(lambda n=n: "Waiting for approval" in page.inner_text(f"#status-{n}"), "the form to follow the states")
        assert page.locator(f"#progress-{n}").get_attribute("value") == "100"
    page.screenshot(path=str(shots / "desk-upload-states.png"), full_page=True)
    _accessible(page, axe)

    page.goto(stack.info.api + "/desk/photos")
    assert page.locator("#photos li").count() == 3 and "Waiting for approval" in page.inner_text("#photos")
    page.screenshot(path=str(shots / "desk-my-photos.png"), full_page=True)
    _accessible(page, axe)

    approver = _sign_in(browser, stack, ONE)
    assert [a.inner_text() for a in approver.locator("nav a").all()] == ["Approvals"]
    approver.goto(stack.info.api + "/desk/approvals")
    assert approver.locator("#queue li").count() == 3
    approver.screenshot(path=str(shots / "desk-approvals.png"), full_page=True)
    _accessible(approver, axe)
    approver.goto(stack.info.api + "/desk/upload")
    assert "Not for your groups" in approver.inner_text("h1")

    approver.goto(stack.info.api + "/desk/approvals")
    approver.click("#queue li:first-child a")
    approver.wait_for_load_state()
    assert "Approve this photo for Flickr?" in approver.inner_text("h1")
    photo_id = approver.url.rsplit("/", 1)[-1]
    approver.screenshot(path=str(shots / "desk-review.png"))
    _answer_safely(approver)
    approver.click("#approve")
    approver.wait_for_load_state()
    assert "Approved" in approver.inner_text("h1")
    assert _wait(lambda: bootstrap.store().get(photo_id).state in (State.APPROVED, State.PUBLISHED), "the decision")
    decision = bootstrap.store().get(photo_id).decision
    assert decision["by"] == ONE and decision["action"] == "approve"

    approver.goto(stack.info.api + "/desk/approvals")
    assert approver.locator("#queue li").count() == 2  # decided: no longer in the queue
    events = bootstrap.store().desk_events(bootstrap.store().get(photo_id).updated_at[:7])
    assert {(e["actor"], e["event"]) for e in events} >= {
        (STAFF, "desk-signed-in"), (STAFF, "desk-upload-issued"), (STAFF, "desk-refused"),
        (ONE, "desk-signed-in"), (ONE, "desk-review-opened")}

    # the press office: a visitor's question on the published photo, answered from the inbox; the
    # month's figures exported as CSV
    published = _wait(lambda: (p := bootstrap.store().get(photo_id)) and p.state == State.PUBLISHED and p,
                      "publication")
    bootstrap.store().add_to_inbox(InboxItem(
        comment_id=f"{published.flickr['id']}:q1", photo_id=photo_id, site_photo_id=published.flickr["id"],
        kind="question", text="What time does the bike marking start?", author="visitor@N00", author_name="Pat",
        arrived_at=clock.iso(), confidence=0.92, photo_title=published.title, photo_url=published.flickr["url"]))
    office = _sign_in(browser, stack, OFFICE)
    office.goto(stack.info.api + "/desk/comments")
    assert "What time does the bike marking start?" in office.inner_text("main")
    _accessible(office, axe)
    office.click("text=Act on this comment")
    office.fill("textarea[name=text]", "It starts at 10am at the community centre.")
    office.screenshot(path=str(shots / "desk-comments.png"), full_page=True)
    office.click("text=Post the reply")
    office.wait_for_load_state()
    item = bootstrap.store().inbox_item(f"{published.flickr['id']}:q1")
    assert item.state == InboxState.ANSWERED and item.answered_by == OFFICE
    replies = json.loads((stack.album / "comments" / f"{published.flickr['id']}.json").read_text())
    assert [r["text"] for r in replies if r.get("own")] == ["It starts at 10am at the community centre."]
    office.goto(stack.info.api + "/desk/reports")
    _accessible(office, axe)
    with office.expect_download() as download:
        office.click("text=Download CSV")
    csv = Path(download.value.path()).read_text()
    assert csv.splitlines()[0] and "published" in csv.lower()
    assert ("desk-report-exported" in {e["event"] for e in bootstrap.store().desk_events(clock.iso()[:7])
                                       if e["actor"] == OFFICE})

    page.click("button.link")  # sign out: the session is gone
    page.wait_for_load_state()
    assert page.request.get(stack.info.api + "/desk/photos/states").status in (401, 403)  # the API's authorizer
    page.goto(stack.info.api + "/desk")
    assert "Local only" in page.inner_text("body")  # the desk's home sends the visitor to sign in
