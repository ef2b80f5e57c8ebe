"""Text from outside loses control characters and bidi overrides before it is stored, mailed,
printed or published: S3 metadata, IPTC/XMP caption fields, the album in a key, the review form,
Flickr comments; and ``pressroom status`` never prints one raw."""
from __future__ import annotations

import base64
import email
import io
import json
import re
import struct
import unicodedata
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

from PIL import Image

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.adapters.local_album import LocalAlbum
from pressroom.domain import clock
from pressroom.domain.metadata import encode_metadata
from pressroom.domain.photos import Photo, State
from pressroom.settings import get_settings
from pressroom.stages.comments import CommentsMonitor
from pressroom_local.cli import main
from tests.integration.helpers import SAFE_METADATA, sent_emails, upload_until_asked
from tests.unit.stages import approvals as approval

BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
HOSTILE = "Fun\x1b[2J\x1b]0;owned\x07 day\r\nat the\x9b31m park\u202egnp.exe\x00"
ORIGIN = "http://127.0.0.1:8787"
FORM = {"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN, "sec-fetch-site": "same-origin"}


def controls(text: str, *, allowed: str = "") -> list[str]:
    """The control characters and bidi overrides in ``text``, other than those ``allowed``."""
    return [c for c in text if (unicodedata.category(c) == "Cc" or c in BIDI) and c not in allowed]


def encoded(text: str) -> str:
    """``text`` as one RFC 2047 encoded word, as any S3 client may send metadata (line breaks too)."""
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def mails() -> list[email.message.EmailMessage]:
    return [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]


def assert_clean_mail(message: email.message.EmailMessage) -> None:
    assert not controls(str(message["Subject"])), message["Subject"]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            assert not controls(part.get_content(), allowed="\n"), part.get_content()


def assert_clean_record(photo: Photo) -> None:
    for text in _texts([photo.captions, photo.declared, photo.album, photo.uploader, photo.decision, photo.reason]):
        assert not controls(text, allowed="\n"), repr(text)


def _texts(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _texts(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _texts(v)


def jpeg_with_captions(corpus: Path, *, xmp: bytes, iptc: bytes) -> bytes:
    """A corpus JPEG with an XMP packet (APP1) and an IPTC block (APP13, Photoshop 0x0404) added."""
    image = Image.open(corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg")
    out = io.BytesIO()
    image.convert("RGB").resize((320, 240)).save(out, "JPEG", quality=85)
    data = out.getvalue()
    app1 = b"http://ns.adobe.com/xap/1.0/\x00" + xmp
    irb = b"Photoshop 3.0\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\x00" * (len(iptc) & 1)
    segments = b"".join(b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
                        for marker, body in ((0xE1, app1), (0xED, irb)))
    return data[:2] + segments + data[2:]


def iim(dataset: int, value: bytes) -> bytes:
    return bytes((0x1C, 2, dataset)) + struct.pack(">H", len(value)) + value


# -- S3 metadata -----------------------------------------------------------------------------------
def test_metadata_text_is_stored_and_mailed_without_controls(aws, store, load_event, corpus):
    metadata = {**SAFE_METADATA, "title": encoded(HOSTILE), "description": encoded("Line one\r\nline\u202e two\x1b[31m"),
                "tags": encoded("park,\x1b[5mfun\u2066"), "credit": encode_metadata("PC\x07 Smith"),
                "uploader": encoded("pcso@example.org\x1b[2J")}
    pid = upload_until_asked(aws, load_event, (corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(),
                             metadata)
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL
    assert photo.title == "Fun[2J]0;owned day at the31m parkgnp.exe"
    assert photo.description == "Line one\nline two[31m"  # the field allows line breaks
    assert photo.tags == ["park", "[5mfun"] and photo.declared["credit"] == "PC Smith"
    assert_clean_record(photo)
    asked = [m for m in mails() if "Approval needed" in str(m["Subject"])]
    assert len(asked) == 2 and "Fun[2J]0;owned day at the31m parkgnp.exe" in str(asked[0]["Subject"])
    for message in asked:
        assert_clean_mail(message)


# -- IPTC and XMP caption fields -------------------------------------------------------------------
def test_caption_fields_in_the_image_are_stored_and_mailed_without_controls(aws, store, load_event, corpus):
    xmp = ("<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>"
           "<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
           "<rdf:Description rdf:about='' xmlns:dc='http://purl.org/dc/elements/1.1/'>"
           "<dc:description><rdf:Alt><rdf:li xml:lang='x-default'>First line&#13;\nsecond\u0085third \u009b2J"
           "\u202eevil\u202c</rdf:li></rdf:Alt></dc:description>"
           "<dc:subject><rdf:Bag><rdf:li>fete\u2067</rdf:li><rdf:li>\u0090park</rdf:li></rdf:Bag></dc:subject>"
           "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>").encode()
    iptc = iim(5, b"Summer \x1b[2Jfete\x07\r\n") + iim(110, b"\x1b]0;x\x07WMP")
    body = jpeg_with_captions(corpus, xmp=xmp, iptc=iptc)
    metadata = {k: v for k, v in SAFE_METADATA.items() if k not in ("title", "description", "credit")}
    pid = upload_until_asked(aws, load_event, body, metadata)
    photo = store.get(pid)
    assert photo.title == "Summer [2Jfete" and photo.captions["credit"] == "]0;xWMP"
    assert photo.description == "First line\nsecond\nthird 2Jevil"
    assert photo.tags == ["fete", "park"]
    assert_clean_record(photo)
    asked = [m for m in mails() if "Approval needed" in str(m["Subject"])]
    assert asked and all(assert_clean_mail(m) is None for m in asked)


def test_the_album_in_a_key_is_clean_text(aws, store, load_event, corpus):
    pid = upload_until_asked(aws, load_event, (corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(),
                             key="incoming/Fun\x1b[2J day\u202e/park.jpg")
    photo = store.get(pid)
    assert photo.album == "Fun[2J day"
    assert all(assert_clean_mail(m) is None for m in mails())


# -- the review form -------------------------------------------------------------------------------
def test_a_rejection_reason_is_stored_and_mailed_without_controls(aws, store, load_event, corpus):
    pid = upload_until_asked(aws, load_event, (corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes())
    token = next(_tokens(pid))
    form = approval.body(token, decision="reject", reason="A face\x1b[2J is\x07 visible\r\nat the\u202eleft\x9b edge")
    page = approval.decide(pid, form, FORM, now=clock.now())
    assert page.status == 200, page.html
    photo = store.get(pid)
    assert photo.decision["why"] == "A face[2J is visible\nat theleft edge"
    assert_clean_record(photo)
    decided = [e for e in store.audit(pid) if e["event"] == "NEEDS_APPROVAL→REJECTED"]
    assert decided[0]["detail"]["why"] == "A face[2J is visible\nat theleft edge"
    notice = [m for m in mails() if "was rejected" in str(m["Subject"])]
    assert len(notice) == 1 and "A face[2J is visible" in notice[0].get_body(("plain",)).get_content()
    assert_clean_mail(notice[0])


def _tokens(pid):
    for message in mails():
        found = re.search(rf"/review/{pid}\?t=([A-Za-z0-9_-]+)", message.get_body(("plain",)).get_content())
        if found:
            yield found.group(1)


# -- Flickr comments -------------------------------------------------------------------------------
def test_a_comment_is_read_mailed_and_recorded_without_controls(aws, store):
    album = LocalAlbum(Path(get_settings().local_album_dir))
    now = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
    site = album.publish(b"\xff\xd8\xff\xd9", "a.jpg", title="Fun day", description="d", tags=[],
                         machine_tag="pressroom:photo=" + "a" * 24)
    photo = Photo(id="a" * 24, state=State.PUBLISHED, album="day", original_bucket="pressroom-raw",
                  original_key="incoming/day/a.jpg", original_version="v1", captions={"title": "Fun day"},
                  flickr={"id": site.photo_id, "url": site.url,
                          "published_at": (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")})
    store.create(photo, actor="test")
    path = album.root / "comments" / f"{site.photo_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"id": "1", "author": "v1\x1b[2J", "author_name": "Sam\u202e\x07 Evil",
                                 "text": "Where\x1b[31m was\x9b this\u2066 taken?\r\nThanks\x00",
                                 "created_at": "2026-11-20T09:00:00Z"}]))
    monitor = CommentsMonitor(bootstrap.store(), album, bootstrap.mailer(), parameters.press_office, now=lambda: now)
    assert monitor.run()["question"] == 1
    [message] = mails()
    assert_clean_mail(message)
    text = message.get_body(("plain",)).get_content()
    assert "Where[31m was this taken?\n  Thanks" in text and "Sam Evil (v1[2J)" in text
    [event] = [e for e in store.audit(photo.id) if e["event"].startswith("comment-")]
    assert event["detail"]["author_name"] == "Sam Evil" and not controls(json.dumps(event, ensure_ascii=False))


# -- pressroom status --------------------------------------------------------------------------------
def test_status_never_prints_a_control_character(store, capsys):
    """A record stored before text was cleaned, and a key (which may hold anything), print visibly."""
    pid = "f" * 24
    store.create(Photo(id=pid, state=State.RECEIVED, album="Fun\x1b[2J", original_bucket="pressroom-raw",
                       original_key="incoming/a/\x1b]0;owned\x07.jpg", original_version=None,
                       uploader="pc\x1b[31m@example.org", captions={"title": "T\x1b[2Jitle\u202e"}),
                 actor="pc\x1b[31m@example.org")
    store.transition(pid, State.RECEIVED, State.QUARANTINED, actor="scrubber",
                     changes={"reason": "bad\r\nfile\x07"}, detail={"reason": "bad\r\nfile\x07"})
    for argv in (["status"], ["status", pid]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert not controls(out, allowed="\n"), repr(out)
        assert "\\x1b[2J" in out
    assert "bad\\x0d\\x0afile\\x07" in main_out(pid, capsys)


def main_out(pid, capsys):
    main(["status", pid])
    return capsys.readouterr().out
