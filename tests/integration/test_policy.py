"""The policy handler against moto, driven by events/policy.json."""
import json

import boto3
import pytest

from pressroom.domain.photos import State, photo_id
from tests.integration.helpers import (
    drain,
    failed_messages,
    invoke,
    sent_emails,
    with_s3_object,
)

RAW, CLEAN = "pressroom-raw", "pressroom-clean"
SAFE = {"category": "neighbourhood-initiative", "people": "none", "children": "no",
        "credit": "West Midlands Police", "uploader": "pcso@example.org"}


def _scrubbed(aws, load_event, corpus, key="incoming/neighbourhood-day/park.jpg", **metadata):
    body = (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()
    version = boto3.client("s3").put_object(Bucket=RAW, Key=key, Body=body, Metadata=metadata)["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, key, version))
    drain(boto3.client("sqs"), aws.queue_urls["policy"])
    return photo_id(RAW, key, version)


def _check(load_event, store, pid):
    photo = store.get(pid)
    return invoke("policy", with_s3_object(load_event("policy"), CLEAN, photo.clean_key, None))


def test_plain_photo_goes_for_approval(aws, store, load_event, corpus):
    pid = _scrubbed(aws, load_event, corpus, title="Park clean-up", description="Volunteers cleared litter.",
                    **SAFE)
    assert _check(load_event, store, pid) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL
    assert photo.checklist, "the approver always gets a checklist"
    assert all({"rule", "severity", "message", "evidence"} <= set(f) for f in photo.findings)
    queued = [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), aws.queue_urls["approval"])]
    assert queued == [{"photo_id": pid}]
    assert store.audit(pid)[-1]["detail"]["verdict"] == "needs_approval"


def test_protective_marking_blocks_and_tells_the_uploader(aws, store, load_event, corpus):
    pid = _scrubbed(aws, load_event, corpus, title="OFFICIAL-SENSITIVE briefing", **SAFE)
    _check(load_event, store, pid)
    photo = store.get(pid)
    assert photo.state == State.BLOCKED and photo.reason
    assert any(f["severity"] == "block" for f in photo.findings)
    assert drain(boto3.client("sqs"), aws.queue_urls["approval"]) == []
    assert any("pcso@example.org" in m and "blocked" in m for m in sent_emails())


def test_duplicate_delivery_sends_no_second_email(aws, store, load_event, corpus):
    pid = _scrubbed(aws, load_event, corpus, title="Call 07700 900123 for details", **SAFE)
    _check(load_event, store, pid)
    _check(load_event, store, pid)
    assert store.get(pid).state == State.BLOCKED
    assert len(sent_emails()) == 1


def test_redelivery_after_approval_queueing_requeues_harmlessly(aws, store, load_event, corpus):
    pid = _scrubbed(aws, load_event, corpus, title="Park clean-up", **SAFE)
    _check(load_event, store, pid)
    _check(load_event, store, pid)
    bodies = [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), aws.queue_urls["approval"])]
    assert bodies == [{"photo_id": pid}, {"photo_id": pid}]  # request_approval emails once per photo
    assert len(store.audit(pid)) == 3


def test_clean_copy_before_its_record_is_retried(aws, store, load_event):
    event = with_s3_object(load_event("policy"), CLEAN, "clean/0123456789abcdef01234567.jpg", None)
    assert failed_messages("policy", event) == {event["Records"][0]["messageId"]}


@pytest.mark.parametrize("key", ["elsewhere/x.jpg", "clean/"])
def test_keys_outside_clean_prefix_fail_loudly(aws, load_event, key):
    event = with_s3_object(load_event("policy"), CLEAN, key, None)
    assert failed_messages("policy", event) == {event["Records"][0]["messageId"]}


def _failing_once(monkeypatch):
    """SES refuses the next message only."""
    from pressroom.adapters.mail import SesMailer

    real, calls = SesMailer.send, []

    def send(self, email):
        calls.append(email.subject)
        if len(calls) == 1:
            raise RuntimeError("SES throttled")
        return real(self, email)

    monkeypatch.setattr(SesMailer, "send", send)
    return calls


def test_a_blocked_notice_that_failed_is_sent_by_the_retry_once(aws, store, load_event, corpus, monkeypatch):
    pid = _scrubbed(aws, load_event, corpus, title="OFFICIAL-SENSITIVE briefing", **SAFE)
    calls = _failing_once(monkeypatch)
    event = with_s3_object(load_event("policy"), CLEAN, store.get(pid).clean_key, None)
    assert failed_messages("policy", event)  # the email failed: SQS will deliver again
    assert store.get(pid).state == State.BLOCKED and not store.get(pid).notified_at
    assert invoke("policy", event) == {"batchItemFailures": []}
    assert invoke("policy", event) == {"batchItemFailures": []}
    assert len(calls) == 2 and len(sent_emails()) == 1 and store.get(pid).notified_at


def test_checks_that_keep_failing_block_the_photo_on_the_last_attempt(aws, store, load_event, corpus, monkeypatch):
    pid = _scrubbed(aws, load_event, corpus, title="Park clean-up", **SAFE)

    def broken(self, image):
        raise RuntimeError("Rekognition is down")

    monkeypatch.setattr("pressroom.guidance.detector.OfflineDetector.detect", broken)
    event = with_s3_object(load_event("policy"), CLEAN, store.get(pid).clean_key, None)
    assert failed_messages("policy", event)
    assert store.get(pid).state == State.SCRUBBED
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = "5"
    assert invoke("policy", event) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.BLOCKED and "could not run after 5 attempts (RuntimeError)" in photo.reason
    assert any("pcso@example.org" in m for m in sent_emails())


def test_a_paraphrased_breach_is_blocked_by_the_judge_of_meaning(aws, store, load_event, corpus):
    """No word list has these words: the caption judge reads a missing-person appeal in them."""
    pid = _scrubbed(aws, load_event, corpus, title="Please share",
                    description="Doreen hasn't been back to her flat in Wednesbury since Monday and her son is frantic.",
                    **SAFE)
    assert _check(load_event, store, pid) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.BLOCKED
    meaning = [f for f in photo.findings if f["rule"] == "meaning:dont-sentenced-or-missing-people"]
    assert meaning and meaning[0]["severity"] == "block"
    assert meaning[0]["guidance"].startswith("Add images of people sentenced, missing people")
    assert "resembles labelled captions" in meaning[0]["evidence"] and "% sure" in meaning[0]["evidence"]
    assert "missing" in photo.reason
    assert any("meaning:dont-sentenced-or-missing-people" in (event.get("detail") or {}).get("rules", [])
               for event in store.audit(pid))
    assert any("pcso@example.org" in m and "blocked" in m for m in sent_emails())


def test_an_unsure_reading_asks_the_approver_its_question(aws, store, load_event, corpus):
    pid = _scrubbed(aws, load_event, corpus, title="Market day",
                    description="Our officers will be around Bilston market next week.", **SAFE)
    _check(load_event, store, pid)
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL
    warned = [f for f in photo.findings if f["rule"].startswith("meaning:")]
    assert warned and all(f["severity"] == "warn" for f in warned)
    assert photo.checklist[0].endswith("?") and photo.checklist[0] in warned[0]["message"]


@pytest.mark.parametrize("description", [
    "Volunteers wanted for Community Speedwatch in Aldridge: training next Tuesday.",
    "Juvenile swans on the pool at Sandwell Valley, spotted by our rural team.",
])
def test_ordinary_uses_of_crime_words_go_for_approval(aws, store, load_event, corpus, description):
    pid = _scrubbed(aws, load_event, corpus, title="Out and about", description=description, **SAFE)
    _check(load_event, store, pid)
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL
    assert not [f for f in photo.findings if f["severity"] == "block"]


def test_the_local_stack_analyses_the_picture_in_account(aws, store, load_event, monkeypatch):
    """The in-account detector, as the local stack runs it: faces and a plate found in the scrubbed
    copy, findings pointing into the picture, and the analysis kept on the photo's record."""
    from pressroom import bootstrap
    from tests.corpus import vision_file

    monkeypatch.setenv("PRESSROOM_DETECTOR", "local")
    bootstrap.reset()
    key = "incoming/neighbourhood-day/plate.jpg"
    body = vision_file("syn_plate_on_0.jpg").read_bytes()  # two people, and a plate pasted in
    version = boto3.client("s3").put_object(Bucket=RAW, Key=key, Body=body, Metadata={"title": "Street day", **SAFE})["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, key, version))
    drain(boto3.client("sqs"), aws.queue_urls["policy"])
    pid = photo_id(RAW, key, version)
    assert _check(load_event, store, pid) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL  # the approver may blur the plate
    plate = next(f for f in photo.findings if f["rule"] == "dont-personal-details-plate-in-picture")
    assert "LV19 PZT" in plate["evidence"] and plate["severity"] == "warn"
    faces = next(f for f in photo.findings if f["rule"] == "do-release-forms")
    assert len(plate["where"]) == 1 and len(faces["where"]) == 2
    analysis = photo.analysis
    assert analysis["available"] and len(analysis["faces"]) == 2
    assert any(line["text"] == "LV19 PZT" and line["box"] == plate["where"][0] for line in analysis["lines"])
    assert analysis["unchecked"] == ["ages", "graphic content"]
    assert any("under 18" in question for question in photo.checklist)
