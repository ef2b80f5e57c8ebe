"""The scrub handler against moto, driven by events/scrub.json."""
import json
import shutil
import subprocess
from urllib.parse import unquote_plus

import boto3
import pytest

from pressroom.domain.photos import State, photo_id
from pressroom.guidance.declared import KEYS
from tests.corpus import oversized
from tests.integration.helpers import (
    drain,
    failed_messages,
    invoke,
    sent_emails,
    with_s3_object,
)

RAW = "pressroom-raw"
KEY = "incoming/neighbourhood-day/park.jpg"


def _upload(body: bytes, key: str = KEY, **metadata: str) -> str:
    s3 = boto3.client("s3")
    return s3.put_object(Bucket=RAW, Key=key, Body=body, Metadata=metadata)["VersionId"]


def test_upload_is_scrubbed_into_the_clean_bucket(aws, store, load_event, corpus):
    original = (corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes()
    version = _upload(original, uploader="pcso@example.org", title="Park clean-up", category="campaign")
    reply = invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))

    assert reply == {"batchItemFailures": []}
    photo = store.get(photo_id(RAW, KEY, version))
    assert photo.state == State.SCRUBBED
    assert photo.album == "neighbourhood-day" and photo.uploader == "pcso@example.org"
    assert photo.title == "Park clean-up" and photo.declared["category"] == "campaign"
    assert photo.clean_key == f"clean/{photo.id}.jpg"
    clean = boto3.client("s3").get_object(Bucket="pressroom-clean", Key=photo.clean_key)
    data = clean["Body"].read()
    assert b"GPS" not in data and clean["ContentType"] == "image/jpeg"
    assert [e.get("to") for e in store.audit(photo.id)] == ["RECEIVED", "SCRUBBED"]
    # the clean copy's notification is waiting for the policy stage
    bodies = [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), aws.queue_urls["policy"])]
    assert [unquote_plus(r["s3"]["object"]["key"]) for b in bodies for r in b.get("Records", [])] == [photo.clean_key]


@pytest.mark.skipif(not shutil.which("exiftool"), reason="exiftool is not installed")
def test_clean_copy_has_no_gps_serial_or_thumbnail_by_exiftool(aws, store, load_event, corpus, tmp_path):
    key = "incoming/a/d70s.jpg"
    version = _upload((corpus / "Nikon_D70s_gps_serial_iptc_xmp.jpg").read_bytes(), key=key)
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, key, version))
    photo = store.get(photo_id(RAW, key, version))
    out = tmp_path / "clean.jpg"
    out.write_bytes(boto3.client("s3").get_object(Bucket="pressroom-clean", Key=photo.clean_key)["Body"].read())
    tags = subprocess.run(["exiftool", "-a", "-G1", "-s", "-ee", str(out)], capture_output=True, text=True).stdout
    for forbidden in ("GPS", "Serial", "Thumbnail", "Preview", "MakerNote", "XMP", "IPTC"):
        assert forbidden not in tags


def test_duplicate_delivery_changes_nothing(aws, store, load_event, corpus):
    version = _upload((corpus / "Apple_iPhone_4_gps_makernotes.jpg").read_bytes())
    event = with_s3_object(load_event("scrub"), RAW, KEY, version)
    invoke("scrub", event)
    drain(boto3.client("sqs"), aws.queue_urls["policy"])
    assert invoke("scrub", event) == {"batchItemFailures": []}
    assert len(store.audit(photo_id(RAW, KEY, version))) == 2
    assert drain(boto3.client("sqs"), aws.queue_urls["policy"]) == []


@pytest.mark.parametrize("body", [b"", b"not an image at all", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00truncated"])
def test_bad_upload_is_quarantined_and_the_uploader_told(aws, store, load_event, body):
    version = _upload(body, uploader="pcso@example.org")
    assert invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version)) == {"batchItemFailures": []}
    photo = store.get(photo_id(RAW, KEY, version))
    assert photo.state == State.QUARANTINED and photo.reason
    assert not boto3.client("s3").list_objects_v2(Bucket="pressroom-clean").get("Contents")
    mails = sent_emails()
    assert len(mails) == 1 and "pcso@example.org" in mails[0] and "quarantined" in mails[0]


def test_missing_object_is_retried_not_lost(aws, store, load_event):
    event = with_s3_object(load_event("scrub"), RAW, "incoming/a/gone.jpg", "nope")
    assert failed_messages("scrub", event) == {event["Records"][0]["messageId"]}


def test_s3_test_event_is_ignored(aws, load_event):
    event = load_event("scrub")
    event["Records"][0]["body"] = json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})
    assert invoke("scrub", event) == {"batchItemFailures": []}


def _crashing_scrubber(monkeypatch):
    def crash(data, **_):
        raise RuntimeError("scrubber bug")

    monkeypatch.setattr("pressroom.stages.scrub.scrub_bytes", crash)


def test_an_unexpected_failure_is_retried_then_quarantined_on_the_last_attempt(aws, store, load_event, corpus,
                                                                               monkeypatch):
    _crashing_scrubber(monkeypatch)
    version = _upload((corpus / "Sony_Cybershot_orientation6.jpg").read_bytes(), uploader="pcso@example.org")
    event = with_s3_object(load_event("scrub"), RAW, KEY, version)
    assert failed_messages("scrub", event) == {event["Records"][0]["messageId"]}
    pid = photo_id(RAW, KEY, version)
    assert store.get(pid).state == State.RECEIVED and sent_emails() == []

    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
    assert invoke("scrub", event) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.QUARANTINED and "RuntimeError" in photo.reason and "5 attempts" in photo.reason
    assert len(sent_emails()) == 1


def test_a_quarantine_notice_that_failed_is_sent_by_the_retry(aws, store, load_event, monkeypatch):
    from tests.integration.test_policy import _failing_once

    calls = _failing_once(monkeypatch)
    version = _upload(b"", uploader="pcso@example.org")
    event = with_s3_object(load_event("scrub"), RAW, KEY, version)
    assert failed_messages("scrub", event)
    assert store.get(photo_id(RAW, KEY, version)).state == State.QUARANTINED
    assert invoke("scrub", event) == {"batchItemFailures": []}
    assert invoke("scrub", event) == {"batchItemFailures": []}
    assert len(calls) == 2 and len(sent_emails()) == 1


def test_a_photo_over_the_pixel_limit_is_told_to_resize_below_it(aws, store, load_event, corpus):
    body = oversized((corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(), 12000, 9000)
    version = _upload(body, uploader="pcso@example.org")
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    photo = store.get(photo_id(RAW, KEY, version))
    assert photo.state == State.QUARANTINED and "over the limit of 100000000" in photo.reason
    [notice] = sent_emails()
    text = " ".join(notice.replace("=\n", "").split())
    assert "108 megapixels" in text and "at most 100 megapixels" in text
    assert "Resize it to 11,547 x 8,660 pixels or smaller" in text and "export it again as a JPEG" not in text


def test_declarations_the_pipeline_does_not_know_are_findings_not_dropped(aws, store, load_event, corpus):
    version = _upload((corpus / "DSCN0010_gps_nikon_coolpix_p6000.jpg").read_bytes(), uploader="pcso@example.org",
                      colour="blue", category="campaign")
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    photo = store.get(photo_id(RAW, KEY, version))
    assert photo.state == State.SCRUBBED and photo.declared["category"] == "campaign"
    assert photo.declaration_problems == [f'unknown declaration "colour" (the keys are {", ".join(KEYS)})']
    for message in drain(boto3.client("sqs"), aws.queue_urls["policy"]):
        invoke("policy", {"Records": [{**load_event("policy")["Records"][0], "body": message["Body"]}]})
    refused = [f for f in store.get(photo.id).findings if f.get("outcome") == "declaration-refused"]
    assert len(refused) == 1 and '"colour"' in refused[0]["message"] and refused[0]["severity"] == "warn"
