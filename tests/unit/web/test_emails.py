"""The approval email (text, HTML, one link, inline preview) and the metadata-free thumbnail."""
import email
import io
from datetime import UTC, datetime
from email import policy

import pytest
from PIL import Image

from pressroom.adapters.mail import Email, to_mime
from pressroom.domain.photos import Photo, State
from pressroom.guidance.checklist import checklist
from pressroom.guidance.rules import load_rulebook
from pressroom.settings import Settings
from pressroom.stages.publish import publication_of
from pressroom.web.emails import PREVIEW_CID, approval_email
from pressroom.web.preview import thumbnail

LINK = "https://approve.example/review/3f1c2a9b7d4e5f60718293a4?t=AWsJShvfgEF_Y3YoCqfR7E38"
EXPIRES = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script>'


def _photo():
    return Photo(id="3f1c2a9b7d4e5f60718293a4", state=State.NEEDS_APPROVAL, album="Neighbourhood Day",
                 original_bucket="raw", original_key="incoming/Neighbourhood Day/a.jpg", original_version="v1",
                 uploader="pc.jones@west-midlands.example",
                 captions={"title": f"Ladywood\n{EVIL}", "description": "PCSOs meet residents.", "tags": ["a", "b"]},
                 findings=[{"rule": "dont-breach-copyright", "severity": "warn", "message": "No credit",
                            "evidence": "no Copyright field", "guidance": "Credit the photographer."},
                           {"rule": "other", "severity": "info", "message": EVIL, "evidence": "", "guidance": ""}],
                 declared={"children": "no", "credit": "PC Jones"})


def _email(photo=None, **kwargs):
    photo = photo or _photo()
    items, _ = checklist(load_rulebook().questions, photo.declared, photo.findings)
    return approval_email(photo, publication_of(photo, Settings()), items, "a@press-office.example",
                          LINK, EXPIRES, **kwargs)


def _parsed(message: Email):
    return email.message_from_bytes(to_mime(message, "pressroom@press-office.example").as_bytes(),
                                    policy=policy.default)


def test_email_has_text_html_one_link_and_an_inline_preview(corpus):
    thumb = thumbnail((corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(), 100_000_000)
    message = _email(thumbnail=thumb)
    assert message.to == ["a@press-office.example"] and "\n" not in message.subject
    assert message.subject == f"Approval needed: Ladywood {EVIL} (Neighbourhood Day)"
    parsed = _parsed(message)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    related = next(p for p in parsed.walk() if p.get_content_type() == "multipart/related")
    image = next(p for p in related.walk() if p.get_content_type() == "image/jpeg")
    assert image["Content-ID"] == f"<{PREVIEW_CID}>" and image.get_content() == thumb
    assert f'src="cid:{PREVIEW_CID}"' in html
    for body in (text, html):
        assert body.count(LINK) == 1 and body.count("<a ") <= 1  # one link, the review page
        assert "PCSOs meet residents." in body and "No credit" in body and "Photo: PC Jones" in body
        assert "0345 113 5000" in body and "All Rights Reserved" in body and "Neighbourhood Day" in body
        assert "Does this photo serve a policing purpose?" in body and "pc.jones@west-midlands.example" in body
        assert "free of children" not in body  # declared children=no: not asked
        assert "2026-11-27 10:00 UTC" in body
        low = body.lower()  # the decision first, then what will be published, then the findings
        assert low.index("review and decide") < low.index("what will be published") < low.index("no credit")
    assert f'href="{LINK}"' in html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_email_without_preview_says_so():
    message = _email(thumbnail=None, reminder=True)
    assert message.inline_images == {} and "No preview could be made" in message.html
    assert message.subject.startswith("Reminder: ")
    assert _parsed(message).get_content_type() == "multipart/alternative"


def test_plain_emails_are_unchanged_by_inline_image_support():
    parsed = _parsed(Email(to=["a@x.example"], subject="s", text="t"))
    assert parsed.get_content_type() == "text/plain" and parsed.get_content() == "t\n"


@pytest.mark.parametrize("name, upright", [
    ("Apple_iPhone_5_orientation3_gps.jpg", (640, 480)),
    ("Samsung_Galaxy_S_orientation6_gps.jpg", (480, 640)),
    ("Nikon_P7000_webp_xmp_exif_orient6.webp", (480, 640)),
    ("Nikon_D70s_gps_serial_iptc_xmp.jpg", (425, 640)),
    ("iPhone_11_Pro_Max_gps_xmp.heic", None),
    ("Parrot_drone_tiff_gps_serial_16bit.tif", (640, 482)),
    ("png_16bit_rgba_pngsuite.png", (32, 32)),
    ("CMYK_multiple_ICC_segments_iptc_xmp.jpg", (140, 140)),
])
def test_thumbnail_is_small_upright_and_metadata_free(corpus, name, upright):
    out = thumbnail((corpus / name).read_bytes(), 100_000_000)
    with Image.open(io.BytesIO(out)) as img:
        assert img.format == "JPEG" and img.mode == "RGB"
        assert max(img.size) <= 640
        if upright:
            assert img.size == upright
        assert not img.getexif() and "icc_profile" not in img.info and "xmp" not in img.info
        assert [marker for marker, _ in img.applist] in ([], ["APP0"])  # JFIF header only
    assert b"Exif" not in out[:4096] and b"GPS" not in out


def test_thumbnail_refuses_what_is_not_an_image_or_too_large(corpus):
    with pytest.raises(ValueError):
        thumbnail(b"not an image", 100_000_000)
    with pytest.raises(ValueError):
        thumbnail((corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(), 1000)
