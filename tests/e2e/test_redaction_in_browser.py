"""An approver blurs the faces before publishing, on a phone, against the local stack (in-account
image analysis): the blurred copy is shown, approved, and is what reaches the local album.

Set ``REVIEW_SCREENSHOTS`` to a folder (``docs``) to keep the screenshot of the fieldset.
"""
import io
from email import message_from_bytes, policy

import pytest
from PIL import Image, ImageChops, ImageStat

from pressroom import bootstrap
from pressroom.domain.boxes import Box
from pressroom.domain.photos import State, photo_id
from pressroom_local.resources import Names
from pressroom_local.samples import SAMPLES
from tests.corpus import vision_file
from tests.e2e.test_review_in_browser import (  # noqa: F401 - browser, shots and stack are fixtures
    ONE,
    PHONE,
    _answer_safely,
    _in_first_screen,
    _link,
    _state,
    _wait,
    browser,
    shots,
    stack,
)

pytestmark = pytest.mark.e2e
CLEAN_BUCKET = Names().clean_bucket


def _faces_moved(published: bytes, clean: bytes, faces: list[Box]) -> list[float]:
    """How far each face's pixels are from the scrubbed copy's (mean absolute difference, 0-255)."""
    a, b = Image.open(io.BytesIO(published)).convert("RGB"), Image.open(io.BytesIO(clean)).convert("RGB")
    assert a.size == b.size
    w, h = a.size
    areas = [(int(f.left * w), int(f.top * h), int(f.right * w), int(f.bottom * h)) for f in faces]
    return [sum(ImageStat.Stat(ImageChops.difference(a.crop(x), b.crop(x))).mean) / 3 for x in areas]


def test_an_approver_blurs_the_faces_sees_the_copy_and_the_album_gets_it(stack, browser, shots):
    sample = SAMPLES[0]
    key = f"incoming/{sample.album}/couple.jpg"
    s3 = stack.session().client("s3")
    put = s3.put_object(Bucket=stack.info.raw_bucket, Key=key, Body=vision_file("df_couple.jpg").read_bytes(),
                        Metadata={**sample.metadata, "title": "Residents at the neighbourhood day",
                                  "description": "Two residents came to meet the PCSOs at the neighbourhood day."})
    pid = photo_id(stack.info.raw_bucket, key, put["VersionId"])
    link = _link(stack, pid, ONE)
    page = browser.new_page(viewport=PHONE)
    page.goto(link)
    fieldset = page.inner_text("#blur")
    assert "Blur the faces" in fieldset and "no release form declared" in fieldset
    assert "re-encoded as a JPEG" in fieldset
    boxed = page.locator("figure img").get_attribute("src")

    page.check("input[name=blur][value=faces]")
    page.evaluate("document.getElementById('blur').scrollIntoView({block: 'center'})")
    assert _in_first_screen(page, "#blur")  # the whole fieldset fits a phone's screen
    page.screenshot(path=str(shots / "blur-fieldset.png"))
    page.click("#show-blurred")
    page.wait_for_load_state()
    assert "This is the copy that will be published" in page.inner_text("#problem")
    assert "Blurred copy: faces blurred." in page.inner_text("#published")
    assert page.locator("figure img").get_attribute("src") != boxed
    assert _in_first_screen(page, "#blurred-caption") and _in_first_screen(page, "#approve")
    page.screenshot(path=str(shots / "review-page-blurred.png"))
    assert page.locator("input[name=blur][value=faces]").is_checked()
    assert _state(pid) == State.NEEDS_APPROVAL

    _answer_safely(page)
    page.click("#approve")
    page.wait_for_load_state()
    assert "approved and queued" in page.inner_text("body")
    assert "blurred: faces (copy redacted/" in page.inner_text("#history")
    page.close()
    assert _wait(lambda: _state(pid) == State.PUBLISHED, "publication")

    photo = bootstrap.store().get(pid)
    redaction = photo.decision["redaction"]
    clean = s3.get_object(Bucket=CLEAN_BUCKET, Key=photo.clean_key)["Body"].read()
    blurred = s3.get_object(Bucket=CLEAN_BUCKET, Key=redaction["key"])["Body"].read()
    [published] = (stack.album / "photos").glob(f"{photo.flickr['id']}_*.jpg")
    assert published.read_bytes() == blurred
    faces = [Box.from_record(face["box"]) for face in photo.analysis["faces"]]
    assert len(faces) == 2 and all(moved > 8 for moved in _faces_moved(blurred, clean, faces))
    uploader_mail = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in stack.outbox.glob("*.eml")]
    assert any("is published" in (m["Subject"] or "") for m in uploader_mail)
