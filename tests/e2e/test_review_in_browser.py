"""An approver in a real browser (Debian's chromium, driven by Playwright) against the local stack."""
import io
import shutil
import time
from email import message_from_bytes, policy

import pytest
from PIL import Image

from pressroom import bootstrap
from pressroom.domain.photos import State, photo_id
from pressroom_local.review_client import review_links
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack

pytestmark = pytest.mark.e2e
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
HOSTILE = 'Volunteers <script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> cleared the park.'


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


def _upload(stack, name, description):
    sample = SAMPLES[0]
    key = f"incoming/{sample.album}/{name}"
    put = stack.session().client("s3").put_object(
        Bucket=stack.info.raw_bucket, Key=key, Body=render(sample),
        Metadata={**sample.metadata, "description": description})
    return photo_id(stack.info.raw_bucket, key, put["VersionId"])


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

    for box in page.locator('input[name="check"]').all():
        box.check()
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


def test_approve_needs_every_checklist_box(stack, browser):
    pid = _upload(stack, "unticked.jpg", "Volunteers cleared the park.")
    link = _wait(lambda: review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    page = browser.new_page()
    page.goto(link)
    page.click("#approve")  # the browser refuses: required boxes are not ticked
    assert page.url == link and _state(pid) == State.NEEDS_APPROVAL
    page.close()


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
