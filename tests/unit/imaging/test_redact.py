"""Boxes drawn on the review preview, and the redacted copy (pure imaging, no detector needed)."""
from __future__ import annotations

import io

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageStat

from pressroom.domain.boxes import Box
from pressroom.imaging.redact import annotated_preview, blurrable, redacted, redaction_boxes
from tests.scenes import font

MAX_PIXELS = 100_000_000
FACE = Box(0.1, 0.1, 0.3, 0.5)
PLATE = Box(0.5, 0.7, 0.9, 0.8)
SIGN = Box(0.5, 0.1, 0.9, 0.2)
ANALYSIS = {
    "available": True,
    "faces": [{"box": FACE.as_record(), "confidence": 90.0}],
    "lines": [{"text": "AB12 CDE", "box": PLATE.as_record()}, {"text": "PARK CAFE", "box": SIGN.as_record()}],
    "unchecked": ["ages", "graphic content"],
}
FINDINGS = [
    {"rule": "dont-personal-details-plate-in-picture", "severity": "warn", "message": "...", "guidance": "...",
     "evidence": 'image text: vehicle registration (current format) "AB12 CDE" (bottom right of the picture)',
     "where": [PLATE.as_record()]},
    {"rule": "do-release-forms", "severity": "warn", "message": "...", "guidance": "...",
     "evidence": "image analysis: 1 face(s)", "where": [FACE.as_record()]},
]


def _photo(size=(1200, 800), orientation: int | None = None, fmt="JPEG") -> bytes:
    """A picture with words where the plate and the sign boxes are, and a patterned face area."""
    picture = Image.new("RGB", size, (90, 120, 90))
    draw = ImageDraw.Draw(picture)
    w, h = size
    for box, text in ((PLATE, "AB12 CDE"), (SIGN, "PARK CAFE")):
        draw.rectangle((box.left * w, box.top * h, box.right * w, box.bottom * h), fill=(250, 250, 250))
        draw.text(((box.left + box.right) / 2 * w, (box.top + box.bottom) / 2 * h), text,
                  font=font(int(box.height * h * 0.6)), fill=(0, 0, 0), anchor="mm")
    for stripe in range(int(FACE.left * w), int(FACE.right * w), 6):
        draw.line((stripe, FACE.top * h, stripe, FACE.bottom * h), fill=(0, 0, 0), width=3)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    picture.save(out, fmt, exif=exif.tobytes()) if fmt == "JPEG" else picture.save(out, fmt)
    return out.getvalue()


def _region(image: Image.Image, box: Box) -> Image.Image:
    w, h = image.size
    return image.crop((int(box.left * w) + 2, int(box.top * h) + 2, int(box.right * w) - 2, int(box.bottom * h) - 2))


def _edges(image: Image.Image) -> float:
    return ImageStat.Stat(image.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]


def test_the_preview_boxes_faces_finding_text_and_other_text_in_their_colours():
    preview = Image.open(io.BytesIO(annotated_preview(_photo(), ANALYSIS, FINDINGS, MAX_PIXELS, edge=800)))
    assert preview.format == "JPEG" and max(preview.size) == 800 and not preview.info.get("exif")
    w, h = preview.size

    def outlined(colour, box, pad):
        """The box's left edge, grown by ``pad`` of its width, is drawn in ``colour`` (within 2 pixels)."""
        x, y = int((box.left - pad * (box.right - box.left)) * w), int((box.top + box.bottom) / 2 * h)
        return any(all(abs(a - b) < 60 for a, b in zip(preview.getpixel((x + dx, y)), colour)) for dx in range(-1, 3))

    # faces amber, grown by a tenth; text that is a finding red, other text blue, grown by a twentieth
    assert outlined((255, 176, 0), FACE, 0.1)
    assert outlined((220, 20, 60), PLATE, 0.05)
    assert outlined((30, 144, 255), SIGN, 0.05)
    assert not outlined((220, 20, 60), SIGN, 0.05)


def test_the_preview_is_upright_like_the_review_page_shows_it():
    turned = _photo(size=(800, 1200), orientation=6)  # stored sideways, shown upright
    preview = Image.open(io.BytesIO(annotated_preview(turned, ANALYSIS, FINDINGS, MAX_PIXELS, edge=600)))
    assert preview.size == (600, 400)


def test_choices_pick_the_boxes_to_blur():
    assert redaction_boxes(ANALYSIS, FINDINGS, ["faces"]) == [FACE]
    assert redaction_boxes(ANALYSIS, FINDINGS, ["plates"]) == [PLATE]
    assert redaction_boxes(ANALYSIS, FINDINGS, ["text"]) == [PLATE, SIGN]
    assert redaction_boxes(ANALYSIS, FINDINGS, ["faces", "plates", "text"]) == [FACE, PLATE, SIGN]
    with pytest.raises(ValueError, match="unknown"):
        redaction_boxes(ANALYSIS, FINDINGS, ["everything"])


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_the_redacted_copy_blurs_only_the_chosen_places_at_full_size(fmt):
    original = Image.open(io.BytesIO(_photo(fmt=fmt))).convert("RGB")
    out = redacted(_photo(fmt=fmt), [FACE, PLATE], MAX_PIXELS)
    copy = Image.open(io.BytesIO(out))
    assert copy.format == "JPEG" and copy.size == original.size and not copy.info.get("exif")
    # the face's stripes are gone; of the plate only its soft outline is left (OCR: the next test)
    assert _edges(_region(copy, FACE)) < 0.1 * _edges(_region(original, FACE))
    assert _edges(_region(copy, PLATE)) < 0.4 * _edges(_region(original, PLATE))
    assert _edges(_region(copy, SIGN)) > 0.7 * _edges(_region(original, SIGN))  # not chosen: still sharp


def test_a_redacted_plate_can_no_longer_be_read():
    from pressroom.adapters.local_vision import LocalVisionDetector

    photo = _photo()
    detector = LocalVisionDetector()
    assert "AB12 CDE" in detector.detect(photo).text
    assert not any("AB12" in line for line in detector.detect(redacted(photo, [PLATE], MAX_PIXELS)).text)


def test_an_unreadable_image_is_a_value_error():
    with pytest.raises(ValueError):
        redacted(b"nope", [FACE], MAX_PIXELS)
    with pytest.raises(ValueError):
        annotated_preview(b"nope", ANALYSIS, FINDINGS, MAX_PIXELS)


def test_what_may_be_blurred_is_what_analysis_found_faces_only_without_release_forms():
    without_forms = [*FINDINGS[:1], {**FINDINGS[1], "outcome": "faces-without-forms"}]
    assert blurrable(ANALYSIS, without_forms) == {"faces": 1, "plates": 1, "text": 2}
    assert blurrable(ANALYSIS, FINDINGS) == {"plates": 1, "text": 2}  # no finding says the faces lack forms
    assert blurrable({"available": True, "faces": [], "lines": []}, []) == {}
    assert blurrable({"available": False, "note": "not run"}, without_forms[1:]) == {}
