"""The same picture uploaded again is recorded as a duplicate of the first photo that had it: shown
by ``pressroom status`` and on the review page, and approved to publish only with the approver's
say-so while the first may be published too."""
from __future__ import annotations

import email
import re
from email import policy

import boto3
import pytest

from pressroom.domain import clock
from pressroom.domain.photos import State, photo_id
from pressroom_local.cli import main
from tests.integration.helpers import (
    SAFE_METADATA,
    invoke,
    sent_emails,
    upload_until_asked,
    with_s3_object,
)
from tests.unit.stages import approvals as approval

FORM = {"content-type": "application/x-www-form-urlencoded", "origin": "http://127.0.0.1:8787",
        "sec-fetch-site": "same-origin"}
PICTURE = "DSCN0010_gps_nikon_coolpix_p6000.jpg"


def token(pid: str) -> str:
    for raw in sent_emails():
        text = email.message_from_string(raw, policy=policy.default).get_body(("plain",)).get_content()
        found = re.search(rf"/review/{pid}\?t=([A-Za-z0-9_-]+)", text)
        if found:
            return found.group(1)
    raise AssertionError(f"no link for {pid}")


def decide(pid: str, decision: str = "approve", *, again: bool = False, reason: str = ""):
    form = approval.body(token(pid), decision=decision, reason=reason)
    return approval.decide(pid, form + ("&publish_again=yes" if again else ""), FORM, now=clock.now())


@pytest.fixture
def twice(aws, store, load_event, corpus):
    """The same picture uploaded twice, under other names and with other captions: (first, second)."""
    body = (corpus / PICTURE).read_bytes()
    first = upload_until_asked(aws, load_event, body, key="incoming/fete/IMG_0001.jpg")
    second = upload_until_asked(aws, load_event, body, {**SAFE_METADATA, "title": "Fete, again"},
                                key="incoming/summer/copy of IMG_0001.jpg")
    return first, second


def test_the_second_upload_of_a_picture_is_recorded_as_a_duplicate_of_the_first(store, twice):
    first, second = twice
    assert store.get(first).duplicate_of == ""
    assert store.get(second).duplicate_of == first
    assert store.get(second).sha256 == store.get(first).sha256
    scrubbed = [e for e in store.audit(second) if e.get("to") == "SCRUBBED"]
    assert scrubbed[0]["detail"]["duplicate_of"] == first


def test_a_redelivered_scrub_event_changes_neither(aws, store, load_event, twice):
    first, second = twice
    for pid in (first, second):
        photo = store.get(pid)
        event = with_s3_object(load_event("scrub"), "pressroom-raw", photo.original_key, photo.original_version)
        assert invoke("scrub", event) == {"batchItemFailures": []}
    assert store.get(first).duplicate_of == "" and store.get(second).duplicate_of == first


def test_another_picture_is_no_duplicate(aws, store, load_event, corpus, twice):
    other = upload_until_asked(aws, load_event, (corpus / "Apple_iPhone_4_gps_makernotes.jpg").read_bytes(),
                               key="incoming/fete/IMG_0002.jpg")
    assert store.get(other).duplicate_of == ""


def test_status_names_the_earlier_photo(store, twice, capsys):
    first, second = twice
    assert main(["status"]) == 0
    lines = {line.split()[1]: line for line in capsys.readouterr().out.splitlines() if line.startswith("  ")}
    assert lines[second].endswith(f"[duplicate of {first}]") and "duplicate" not in lines[first]
    assert main(["status", second]) == 0
    assert f"duplicate of {first} (the same scrubbed image, NEEDS_APPROVAL)" in capsys.readouterr().out


def test_the_review_page_says_so_and_approving_needs_the_approvers_say_so(aws, store, twice):
    first, second = twice
    page = approval.review(second, token(second), now=clock.now())
    assert page.status == 200 and 'id="duplicate"' in page.html and f"photo {first}" in page.html
    assert 'name="publish_again"' in page.html
    plain = approval.review(first, token(first), now=clock.now())
    assert 'id="duplicate"' not in plain.html and "publish_again" not in plain.html

    refused = decide(second)
    assert refused.status == 400 and "Publish it again" in refused.html
    assert store.get(second).state == State.NEEDS_APPROVAL

    assert decide(first).status == 200  # the first is approved as any photo
    approved = decide(second, again=True)
    assert approved.status == 200, approved.html
    photo = store.get(second)
    assert photo.state == State.APPROVED and photo.decision["publish_again"] is True
    assert main(["status", second]) == 0


def test_a_duplicate_may_be_rejected_without_saying_anything_more(store, twice):
    _, second = twice
    assert decide(second, "reject", reason="the same photo twice").status == 200
    assert store.get(second).state == State.REJECTED


def test_after_the_first_was_rejected_the_second_is_a_new_attempt(store, twice):
    first, second = twice
    assert decide(first, "reject", reason="no release form").status == 200
    page = approval.review(second, token(second), now=clock.now())
    assert 'id="duplicate"' in page.html and "will not be published" in page.html
    assert "publish_again" not in page.html
    assert decide(second).status == 200
    assert store.get(second).state == State.APPROVED and "publish_again" not in store.get(second).decision


def test_the_scrub_role_may_record_the_first_photo_of_an_image(aws, store, load_event, corpus):
    """The integration harness checks each call against template.yaml's roles (tests/permissions.py)."""
    key = "incoming/fete/one.jpg"
    version = boto3.client("s3").put_object(Bucket="pressroom-raw", Key=key,
                                            Body=(corpus / PICTURE).read_bytes())["VersionId"]
    assert invoke("scrub", with_s3_object(load_event("scrub"), "pressroom-raw", key, version)) == {
        "batchItemFailures": []}
    assert store.get(photo_id("pressroom-raw", key, version)).state == State.SCRUBBED
