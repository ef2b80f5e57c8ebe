"""A press-office member takes a published photo down in a real browser (Debian's chromium, driven by
Playwright) through the link in their copy of the published notice, on the local stack."""
import time
from email import message_from_bytes, policy

import pytest

from pressroom import bootstrap
from pressroom.domain.photos import State, photo_id
from pressroom_local import review_client
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack
from tests.e2e.test_review_in_browser import browser  # noqa: F401 - the shared chromium fixture

pytestmark = pytest.mark.e2e


@pytest.fixture
def stack(tmp_path):
    with LocalStack(tmp_path / "home") as running:
        yield running


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


def _published(stack, sample):
    key = f"incoming/{sample.album}/{sample.name}"
    put = stack.session().client("s3").put_object(Bucket=stack.info.raw_bucket, Key=key, Body=render(sample),
                                                  Metadata=sample.metadata)
    pid = photo_id(stack.info.raw_bucket, key, put["VersionId"])
    link = _wait(lambda: review_client.review_links(stack.outbox).get(pid, [None])[0], "the approval email")
    assert review_client.decide(link, "approve").status == 200
    _wait(lambda: _state(pid) == State.PUBLISHED, "publication")
    return pid


def test_a_published_photo_is_taken_down_through_its_link_and_gone_from_the_album(stack, browser, tmp_path):
    sample = SAMPLES[0]
    pid = _published(stack, sample)
    index = stack.album / "index.html"
    assert sample.title in index.read_text()
    link = _wait(lambda: review_client.links_of(stack.outbox, "takedown").get(pid, [None])[0],
                 "the press office's copy of the published notice")

    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    page.goto(link)
    assert "Take down" in page.inner_text("h1") and sample.title in page.inner_text("body")
    page.screenshot(path=str(tmp_path / "takedown-page.png"), full_page=True)
    assert _state(pid) == State.PUBLISHED, "opening the page must not take anything down"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page fits a phone's width"

    page.click("#confirm")  # the browser refuses: no reason chosen, no details typed
    assert page.url == link and _state(pid) == State.PUBLISHED

    page.check('input[name="kind"][value="consent-withdrawn"]')
    page.fill("#reason", "The volunteer in the photo has asked for it to be removed.")
    page.click("#confirm")
    page.wait_for_load_state()
    assert "Taking it down" in page.inner_text("h1")
    page.screenshot(path=str(tmp_path / "takedown-done.png"), full_page=True)

    photo = _wait(lambda: (p := bootstrap.store().get(pid)) and p.state == State.TAKEN_DOWN and p, "the take-down")
    assert photo.takedown["kind"] == "consent-withdrawn" and photo.takedown["how"] == "deleted"
    assert sample.title not in index.read_text()
    assert not list((stack.album / "photos").glob(f"{photo.flickr['id']}*"))

    def uploader_told():
        for path in sorted(stack.outbox.glob("*.eml")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if sample.metadata["uploader"] in message["To"] and "taken down" in message["Subject"]:
                return message.get_body(("plain",)).get_content()
        return None

    assert "asked for it to be removed" in _wait(uploader_told, "the uploader's email")

    page.goto(link)  # the link is spent, and the photo is down
    assert page.inner_text("h1") in ("Already taken down", "This link has been used")
    page.close()
