"""An approver in a real browser (Debian's chromium, driven by Playwright) against the local stack.

Set ``REVIEW_SCREENSHOTS`` to a folder (``docs``) to keep the phone screenshots the README shows.
"""
import base64
import io
import os
import shutil
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from PIL import Image

from pressroom import bootstrap
from pressroom.domain.photos import State, photo_id
from pressroom_local.resources import Names
from pressroom_local.review_client import review_links
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = 'Volunteers <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> cleared the park.'
PHONE = {"width": 390, "height": 844}
ONE, TWO = Names().approvers
LEAD = dict(Names().groups)["safeguarding-leads"][0]


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: ``$REVIEW_SCREENSHOTS`` (for the README), else a temporary folder."""
    folder = Path(os.environ.get("REVIEW_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("chromium is not installed (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "home") as running:
        yield running


def _upload(stack, name, description, **declared):
    sample = SAMPLES[0]
    key = f"incoming/{sample.album}/{name}"
    put = stack.session().client("s3").put_object(
        Bucket=stack.info.raw_bucket, Key=key, Body=render(sample),
        Metadata={**sample.metadata, "description": description, **declared})
    return photo_id(stack.info.raw_bucket, key, put["VersionId"])


def _link(stack, pid, to):
    """The newest review link for ``pid`` emailed to ``to``."""
    def found():
        for path in sorted(stack.outbox.glob("*.eml"), reverse=True):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == to and pid in review_links_of(message):
                return review_links_of(message)[pid]
        return None
    return _wait(found, f"the approval email to {to}")


def review_links_of(message):
    from pressroom_local.review_client import links_in

    return dict(links_in(message))


def _answer_safely(page):
    for radio in page.locator("input[type=radio][data-safe]").all():
        radio.check()


def _in_first_screen(page, selector):
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def _wait(check, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return found


def _state(pid):
    photo = bootstrap.store().get(pid)
    return photo.state if photo else None


def test_approve_in_the_browser_publishes_and_scripts_never_run(stack, browser, tmp_path):
    pid = _upload(stack, "hostile.jpg", HOSTILE)
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(link)
    assert page.evaluate("window.pwned") is None and dialogs == []
    assert "<script>window.pwned = 1</script>" in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "review-page.png"), full_page=True)
    assert _state(pid) == State.NEEDS_APPROVAL, "opening the page must not decide"

    _answer_safely(page)
    page.click("#approve")
    page.wait_for_load_state()
    assert "approved" in page.inner_text("body").lower()
    assert _wait(lambda: _state(pid) == State.PUBLISHED, "publication")
    index = (stack.album / "index.html").read_text()
    assert "&lt;script&gt;" in index and "<script>window.pwned" not in index
    page.close()


def test_a_tiff_is_shown_on_the_review_page(stack, browser):
    """Chromium shows no TIFF in an <img>: the page must show the approver something it can."""
    sample = SAMPLES[0]
    picture = io.BytesIO()
    Image.open(io.BytesIO(render(sample))).save(picture, "TIFF", compression="tiff_lzw")
    key = f"incoming/{sample.album}/studio.tif"
    put = stack.session().client("s3").put_object(Bucket=stack.info.raw_bucket, Key=key, Body=picture.getvalue(),
                                                  Metadata=sample.metadata)
    pid = photo_id(stack.info.raw_bucket, key, put["VersionId"])
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    assert bootstrap.store().get(pid).content_type == "image/tiff"
    page = browser.new_page()
    page.goto(link)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.querySelector('figure img').naturalWidth") > 0
    page.close()


def test_approve_needs_every_question_answered(stack, browser):
    pid = _upload(stack, "unanswered.jpg", "Volunteers cleared the park.")
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    page.click("#approve")  # the browser refuses: required questions are unanswered, and focuses the first
    assert page.url == link and _state(pid) == State.NEEDS_APPROVAL
    assert page.evaluate("document.activeElement.name") == "q.purpose"
    assert _in_first_screen(page, "#q-purpose legend")  # scrolled to, not hidden under the buttons
    page.close()


def test_an_approver_answers_edits_approves_and_a_second_approver_is_asked(stack, browser, shots):
    """The whole story on a phone: what will be published first, the questions answered, the caption
    edited, the first approval recorded, the safeguarding lead asked (the photo shows children) and
    approving too, and the edited caption in the local album."""
    pid = _upload(stack, "school-visit.jpg", "PCSOs visited a class at the primary school to talk about road safty.",
                  children="yes", **{"parental-permission": "PP-2041, PP-2042"})
    link = _link(stack, pid, ONE)
    _email_screenshot(stack, pid, ONE, browser, shots / "approval-email.png")
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    page.screenshot(path=str(shots / "review-page.png"))
    assert _in_first_screen(page, "#published") and _in_first_screen(page, "#approve")
    assert _in_first_screen(page, "#reject")
    text = page.inner_text("#published")
    for shown in ("Park clean-up with volunteers", "road safty", "Photo: West Midlands Police", "0345 113 5000",
                  "All Rights Reserved", "neighbourhood-day", "Public"):
        assert shown in text, shown
    assert page.locator("input[name='q.children']").count() == 0  # declared: shown as answered
    assert "declared children=yes" in page.inner_text("#declared")

    _answer_safely(page)
    page.check("input[name='q.evidence'][value='no']")  # a breach of the guidance: refused, answers kept
    page.click("#approve")
    page.wait_for_load_state()
    assert "Add pictures of anything that may be used as evidence in court." in page.inner_text("#q-evidence")
    assert page.evaluate("document.activeElement.closest('fieldset').id") == "q-evidence"
    assert _in_first_screen(page, "#why-evidence")
    page.screenshot(path=str(shots / "review-page-refused.png"))
    assert page.locator("input[type=radio]:checked").count() == page.locator("fieldset.q").count()
    assert _state(pid) == State.NEEDS_APPROVAL

    page.check("input[name='q.evidence'][value='yes']")
    page.click("#edit summary")
    page.fill("#title", "Road safety talk at the primary school")
    page.fill("#description", "PCSOs visited a class at the primary school to talk about road safety.")
    page.click("#check")
    page.wait_for_load_state()
    assert "passes the checks" in page.inner_text("#problem")
    assert "Road safety talk at the primary school" in page.inner_text("#published")
    assert page.locator("input[name='q.evidence'][value='yes']").is_checked()  # answers kept across the check
    assert bootstrap.store().get(pid).title == "Park clean-up with volunteers"  # nothing stored yet
    page.click("#approve")
    page.wait_for_load_state()
    assert "one more approval needed" in page.inner_text("h1").lower()
    assert LEAD in page.inner_text("body") and "safeguarding lead" in page.inner_text("body")
    page.screenshot(path=str(shots / "first-approval.png"))
    assert _state(pid) == State.NEEDS_APPROVAL

    second = browser.new_page(viewport=PHONE)
    second.goto(_link(stack, pid, LEAD))
    assert f"Approved so far by {ONE}" in second.inner_text(".progress")
    assert "Road safety talk at the primary school" in second.inner_text("#published")
    second.screenshot(path=str(shots / "second-approval.png"))
    _answer_safely(second)
    second.click("#approve")
    second.wait_for_load_state()
    assert "approved and queued" in second.inner_text("body")
    assert _wait(lambda: _state(pid) == State.PUBLISHED, "publication")
    index = (stack.album / "index.html").read_text()
    assert "Road safety talk at the primary school" in index and "talk about road safety." in index
    photo = bootstrap.store().get(pid)
    assert [a["by"] for a in photo.approvals] == [ONE, LEAD]
    page.close()
    second.close()


def _email_screenshot(stack, pid, to, browser, path):
    """The approval email's HTML as a phone shows it (its inline preview put in place)."""
    for eml in sorted(stack.outbox.glob("*.eml")):
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        if message["To"] == to and pid in review_links_of(message):
            html = message.get_body(("html",)).get_content()
            for part in message.walk():
                if part.get_content_type() == "image/jpeg":
                    data = base64.b64encode(part.get_content()).decode()
                    html = html.replace("cid:photo-preview", f"data:image/jpeg;base64,{data}")
            page = browser.new_page(viewport=PHONE)
            page.set_content(html)
            assert _in_first_screen(page, "a") and "what will be published" in page.inner_text("body").lower()
            box = page.get_by_text("Visibility").bounding_box()
            assert box is not None and box["y"] + box["height"] <= PHONE["height"]  # the whole block
            page.screenshot(path=str(path))
            page.close()
            return
    raise AssertionError(f"no approval email to {to}")


def test_reject_with_a_reason_tells_the_uploader(stack, browser):
    pid = _upload(stack, "reject.jpg", "Volunteers cleared the park.")
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page()
    page.goto(link)
    page.fill("#reason", "The faces of two volunteers are recognisable and no release forms are on file.")
    page.click("#reject")
    page.wait_for_load_state()
    assert "rejected" in page.inner_text("body").lower()
    assert _state(pid) == State.REJECTED

    def uploader_email():
        for path in sorted(stack.outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if SAMPLES[0].metadata["uploader"] in message["To"] and "rejected" in message["Subject"]:
                return message.get_body(("plain",)).get_content()
        return None

    assert "no release forms are on file" in _wait(uploader_email, "the uploader's email")
    page.close()


def test_a_rejection_without_a_reason_focuses_the_reason_with_the_message_beside_it(stack, browser):
    pid = _upload(stack, "no-reason.jpg", "Volunteers cleared the park.")
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    page.check("input[name='q.purpose'][value='yes']")
    page.click("#reject")
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "reason"
    assert _in_first_screen(page, "#why-reason") and "Give a reason" in page.inner_text("#why-reason")
    assert page.locator("input[name='q.purpose'][value='yes']").is_checked()
    assert _state(pid) == State.NEEDS_APPROVAL
    page.close()


def test_a_reason_filling_the_textarea_with_line_breaks_rejects(stack, browser):
    """The browser counts each line break once against maxlength but sends it as CRLF."""
    pid = _upload(stack, "long-reason.jpg", "Volunteers cleared the park.")
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page()
    page.goto(link)
    page.fill("#reason", ("A face is recognisable.\n" * 100)[:2000])
    assert page.evaluate("document.querySelector('#reason').value.length") == 2000
    page.click("#reject")
    page.wait_for_load_state()
    assert "rejected" in page.inner_text("body").lower()
    assert _state(pid) == State.REJECTED
    page.close()
