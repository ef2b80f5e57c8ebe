"""Blurring before publishing, through the handlers against moto with the in-account detector: the
approver ticks what to blur, sees the blurred copy, approves it; the blurred copy is stored, recorded
and published, and the scrubbed copy kept as it was. A blurred copy that is not the one approved is
never published, nor the unblurred one in its place."""
from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path

import boto3
import pytest
from PIL import Image, ImageChops, ImageStat

from pressroom import bootstrap
from pressroom.domain.boxes import Box
from pressroom.domain.photos import State
from pressroom.settings import get_settings
from tests.corpus import vision_file
from tests.integration.helpers import SAFE_METADATA, upload_until_asked
from tests.integration.test_approval_flows import (  # noqa: F401 - site is a fixture
    CHILDREN,
    LEAD,
    ONE,
    _get,
    _links,
    _post,
    _publish,
    _sidecar,
    site,
)

CLEAN = "pressroom-clean"


@pytest.fixture
def couple(site, store, load_event, monkeypatch):
    """Two faces and no release form declared (people=none), and a few words read: waiting for approval."""
    monkeypatch.setenv("PRESSROOM_DETECTOR", "local")
    bootstrap.reset()
    return upload_until_asked(site, load_event, vision_file("df_couple.jpg").read_bytes(),
                              key="incoming/neighbourhood-day/couple.jpg")


def _seen(page: dict) -> str:
    return re.search(r'name="blurred" value="([^"]*)"', page["body"]).group(1)


def _object(key: str) -> bytes:
    return boto3.client("s3").get_object(Bucket=CLEAN, Key=key)["Body"].read()


def _keys(prefix: str) -> list[str]:
    return [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=CLEAN, Prefix=prefix).get("Contents", [])]


def _faces_differ(blurred: bytes, clean: bytes, faces: list[Box]) -> list[float]:
    """How far each face's pixels moved from the scrubbed copy's (mean absolute difference, 0-255)."""
    a, b = Image.open(io.BytesIO(blurred)).convert("RGB"), Image.open(io.BytesIO(clean)).convert("RGB")
    assert a.size == b.size
    w, h = a.size
    moved = []
    for box in faces:
        area = (int(box.left * w), int(box.top * h), int(box.right * w), int(box.bottom * h))
        moved.append(sum(ImageStat.Stat(ImageChops.difference(a.crop(area), b.crop(area))).mean) / 3)
    return moved


def test_the_page_offers_what_analysis_found_and_showing_the_blurred_copy_changes_nothing(store, load_event, couple):
    pid = couple
    token = _links(pid)[ONE]
    page = _get(load_event, pid, token)
    assert page["statusCode"] == 200
    fieldset = page["body"][page["body"].index('id="blur"'):page["body"].index("</fieldset>", page["body"].index('id="blur"'))]
    assert "Blur the faces" in fieldset and "(2 found; no release form declared)" in fieldset
    assert "Blur all readable text" in fieldset and "Blur the number plates" not in fieldset  # none read
    assert "re-encoded as a JPEG" in fieldset and "kept unchanged" in fieldset
    assert _seen(page) == ""
    before = store.get(pid), store.audit(pid)

    shown = _post(load_event, pid, token, "blur", blur=["faces"])
    assert shown["statusCode"] == 200 and "This is the copy that will be published" in shown["body"]
    assert 'value="faces" checked' in shown["body"] and "Blurred copy: faces blurred." in shown["body"]
    assert re.search(r'<img src="data:image/jpeg;base64,', shown["body"])
    assert _seen(shown).startswith("faces:") and len(_seen(shown)) == len("faces:") + 64
    assert (store.get(pid), store.audit(pid)) == before and _keys("redacted/") == []  # nothing stored


def test_an_approval_counts_only_for_the_blurred_copy_the_page_showed(store, load_event, couple):
    pid = couple
    token = _links(pid)[ONE]
    unseen = _post(load_event, pid, token, blur=["faces"])  # ticked, but never shown
    assert unseen["statusCode"] == 400 and "with faces blurred. Look at it, then approve again" in unseen["body"]
    assert store.get(pid).state == State.NEEDS_APPROVAL
    changed = _post(load_event, pid, token, blur=["faces", "text"], blurred=_seen(unseen))  # ticked more since
    assert changed["statusCode"] == 400 and "with faces and all readable text blurred" in changed["body"]
    unticked = _post(load_event, pid, token, blurred=_seen(changed))  # unticked everything since
    assert unticked["statusCode"] == 400 and "Nothing will be blurred now" in unticked["body"]
    assert _seen(unticked) == "" and store.get(pid).state == State.NEEDS_APPROVAL and _keys("redacted/") == []


def test_the_blurred_copy_is_stored_recorded_and_published_and_the_scrubbed_copy_kept(site, store, load_event,
                                                                                        couple):
    pid = couple
    token = _links(pid)[ONE]
    scrubbed = store.get(pid)
    clean_before = _object(scrubbed.clean_key)
    seen = _seen(_post(load_event, pid, token, "blur", blur=["faces"]))
    reply = _post(load_event, pid, token, blur=["faces"], blurred=seen)
    assert reply["statusCode"] == 200, reply["body"]
    assert "blurred: faces (copy redacted/" in reply["body"]  # the audit trail on the confirmation page

    photo = store.get(pid)
    sha = seen.partition(":")[2]
    key = f"redacted/{pid}/{sha}.jpg"
    blurred = _object(key)
    assert hashlib.sha256(blurred).hexdigest() == sha
    record = {"choices": ["faces"], "key": key, "sha256": sha}
    assert seen == f"faces:{sha}"
    assert photo.state == State.APPROVED and photo.decision["redaction"] == record
    [approved] = [e for e in store.audit(pid) if e.get("to") == "APPROVED"]
    assert approved["detail"]["redaction"] == record and approved["detail"]["blurred"].startswith("faces (copy ")
    assert _object(scrubbed.clean_key) == clean_before and hashlib.sha256(clean_before).hexdigest() == photo.sha256
    assert _keys("clean/") == [scrubbed.clean_key]  # nothing new under clean/: the policy stage is not started

    _publish(site, load_event)
    published = store.get(pid)
    assert published.state == State.PUBLISHED
    album = Path(get_settings().local_album_dir) / "photos"
    [sent] = [p for p in album.iterdir() if p.name.startswith(published.flickr["id"]) and p.suffix == ".jpg"]
    assert sent.read_bytes() == blurred and _sidecar(published)["title"] == scrubbed.title
    faces = [Box.from_record(face["box"]) for face in photo.analysis["faces"]]
    assert all(moved > 8 for moved in _faces_differ(blurred, clean_before, faces))
    [uploaded] = [e for e in store.audit(pid) if e.get("event") == "uploaded"]
    assert uploaded["detail"]["blurred_copy"] == key and uploaded["detail"]["sha256"] == sha


def test_a_blurred_copy_that_is_not_the_approved_one_fails_the_photo_and_nothing_is_published(site, store, load_event,
                                                                                             couple):
    pid = couple
    token = _links(pid)[ONE]
    seen = _seen(_post(load_event, pid, token, "blur", blur=["text"]))
    assert _post(load_event, pid, token, blur=["text"], blurred=seen)["statusCode"] == 200
    boto3.client("s3").put_object(Bucket=CLEAN, Key=store.get(pid).decision["redaction"]["key"],
                                  Body=_object(store.get(pid).clean_key))
    _publish(site, load_event)
    photo = store.get(pid)
    assert photo.state == State.PUBLISH_FAILED
    assert "is not the one the approver saw" in photo.reason and "nor the unblurred copy was published" in photo.reason
    assert not list((Path(get_settings().local_album_dir) / "photos").glob("*.jpg"))


def test_a_second_approver_sees_the_blurred_copy_and_may_blur_more_never_less(site, store, load_event, monkeypatch):
    monkeypatch.setenv("PRESSROOM_DETECTOR", "local")
    bootstrap.reset()
    pid = upload_until_asked(site, load_event, vision_file("df_couple.jpg").read_bytes(), metadata=CHILDREN,
                             key="incoming/neighbourhood-day/family.jpg")
    token = _links(pid)[ONE]
    seen = _seen(_post(load_event, pid, token, "blur", blur=["faces"]))
    first = _post(load_event, pid, token, blur=["faces"], blurred=seen)
    assert first["statusCode"] == 200 and "one more approval needed" in first["body"].lower()
    assert store.get(pid).approvals[0]["redaction"]["choices"] == ["faces"]

    lead = _links(pid)[LEAD]
    page = _get(load_event, pid, lead)
    assert _seen(page) == seen and "Blurred copy: faces blurred." in page["body"]
    assert re.search(r'value="faces" checked disabled>', page["body"]) and f"asked by {ONE}" in page["body"]
    # the disabled box is not posted: the faces stay blurred all the same
    reply = _post(load_event, pid, lead, blurred=_seen(page))
    assert reply["statusCode"] == 200, reply["body"]
    photo = store.get(pid)
    assert photo.state == State.APPROVED and photo.decision["redaction"]["choices"] == ["faces"]
    assert photo.decision["redaction"]["sha256"] == seen.split(":")[1]


def test_nothing_to_blur_no_fieldset(site, store, load_event, corpus):
    pid = upload_until_asked(site, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(),
                             metadata=SAFE_METADATA)
    page = _get(load_event, pid, _links(pid)[ONE])
    assert page["statusCode"] == 200 and 'id="blur"' not in page["body"] and 'name="blur"' not in page["body"]
