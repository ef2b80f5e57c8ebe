"""The dead-letter handler against moto, driven by events/dead_letters.json.

A scrub or policy function killed on every attempt (out of memory, out of time) runs none of its
own last-attempt code: SQS moves the message to the dead-letter queue, and this handler ends the
photo there.
"""
import email
import json
from email import policy

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from pressroom.domain.photos import State, photo_id
from pressroom_local.emulator import sqs_event
from pressroom_local.resources import Names
from tests.integration.helpers import (
    drain,
    failed_messages,
    invoke,
    sent_emails,
    with_s3_object,
)

RAW, CLEAN = "pressroom-raw", "pressroom-clean"
KEY = "incoming/neighbourhood-day/park.jpg"
UPLOADER = "pcso@example.org"
SAFE = {"title": "Park clean-up", "category": "neighbourhood-initiative", "people": "none", "children": "no",
        "credit": "West Midlands Police", "uploader": UPLOADER}


class Killed(BaseException):
    """Lambda stopping the runtime: no ``except Exception`` of the function (nor Powertools) runs."""


def _kill_the_scrubber(monkeypatch):
    def out_of_memory(data, **_):
        raise Killed("Runtime exited with error: signal: killed")

    monkeypatch.setattr("pressroom.stages.scrub.scrub_bytes", out_of_memory)


def _mails():
    parsed = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    return [(m["To"], m["Subject"], m.get_body(("plain",)).get_content()) for m in parsed]


def _queue_arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _deliver(sqs, url, function):
    """One receive from ``url`` handed to ``function`` the way Lambda's event source mapping does;
    a killed invocation leaves the whole batch to come back. How many messages were delivered."""
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    if not messages:
        return 0
    try:
        reply = invoke(function, sqs_event(messages, _queue_arn(sqs, url), "eu-west-2"))
    except (Killed, BatchProcessingError):  # killed, or every record failed: the whole batch again
        failed = {m["MessageId"] for m in messages}
    else:
        failed = {f["itemIdentifier"] for f in reply["batchItemFailures"]}
    for m in messages:
        if m["MessageId"] in failed:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0)
        else:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return len(messages)


def _upload(corpus, key=KEY, **metadata):
    body = (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()
    return boto3.client("s3").put_object(Bucket=RAW, Key=key, Body=body, Metadata=metadata)["VersionId"]


def _dead_letter(load_event, bucket, key, version):
    """events/dead_letters.json pointed at one object; from the policy dead-letter queue for a clean copy."""
    event = with_s3_object(load_event("dead_letters"), bucket, key, version)
    if bucket == CLEAN:
        event["Records"][0]["eventSourceARN"] = event["Records"][0]["eventSourceARN"].replace("-scrub-", "-policy-")
    return event


def test_an_upload_that_killed_the_scrubber_every_time_ends_quarantined(aws, store, load_event, corpus,
                                                                         monkeypatch):
    """Through the real queues: five killed scrubs, SQS's redrive, then the dead-letter function."""
    _kill_the_scrubber(monkeypatch)
    sqs = boto3.client("sqs")
    drain(sqs, aws.queue_urls["scrub"])  # S3's test event from setting up the notification
    version = _upload(corpus, **SAFE)  # the bucket notification puts its event on the scrub queue
    pid = photo_id(RAW, KEY, version)
    for _ in range(5):
        assert _deliver(sqs, aws.queue_urls["scrub"], "scrub") == 1
        assert store.get(pid).state == State.RECEIVED  # recorded, then killed mid-scrub
    assert _deliver(sqs, aws.queue_urls["scrub"], "scrub") == 0  # the sixth receive moved it
    assert sent_emails() == []

    assert _deliver(sqs, aws.dlq_urls["scrub"], "dead_letters") == 1
    photo = store.get(pid)
    assert photo.state == State.QUARANTINED
    assert "stopped on every one of its 5 attempts" in photo.reason and "kept for an administrator" in photo.reason
    trail = store.audit(pid)
    assert [(e["event"], e["actor"]) for e in trail] == [
        ("created", UPLOADER), ("RECEIVED→QUARANTINED", "dead-letters"), ("uploader-notified", "notices")]
    assert trail[1]["detail"]["reason"] == photo.reason
    [(to, subject, text)] = _mails()
    assert to == UPLOADER and "quarantined" in subject and photo.reason in text
    assert drain(sqs, aws.dlq_urls["scrub"]) == [] and drain(sqs, aws.dlq_urls["unhandled"]) == []
    assert not boto3.client("s3").list_objects_v2(Bucket=CLEAN).get("Contents")


def test_an_upload_already_scrubbed_is_left_alone(aws, store, load_event, corpus):
    version = _upload(corpus, **SAFE)
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    pid = photo_id(RAW, KEY, version)
    trail = store.audit(pid)
    assert invoke("dead_letters", _dead_letter(load_event, RAW, KEY, version)) == {"batchItemFailures": []}
    assert store.get(pid).state == State.SCRUBBED and store.audit(pid) == trail and sent_emails() == []


def test_a_photo_the_policy_function_was_killed_on_ends_blocked(aws, store, load_event, corpus):
    version = _upload(corpus, **SAFE)
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    pid = photo_id(RAW, KEY, version)
    event = _dead_letter(load_event, CLEAN, store.get(pid).clean_key, None)
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.BLOCKED and "automatic checks were stopped" in photo.reason
    assert store.audit(pid)[-2]["event"] == "SCRUBBED→BLOCKED" and store.audit(pid)[-2]["actor"] == "dead-letters"
    [(to, subject, text)] = _mails()
    assert to == UPLOADER and "blocked" in subject and photo.reason in text
    assert drain(boto3.client("sqs"), aws.queue_urls["approval"]) == []


def test_a_dead_letter_delivered_again_changes_nothing(aws, store, load_event, corpus, monkeypatch):
    version = _upload(corpus, **SAFE)
    _kill_the_scrubber(monkeypatch)
    with pytest.raises(Killed):
        invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    pid = photo_id(RAW, KEY, version)
    event = _dead_letter(load_event, RAW, KEY, version)
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    trail = store.audit(pid)
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    assert store.get(pid).state == State.QUARANTINED and store.audit(pid) == trail and len(sent_emails()) == 1


def test_the_sample_event_for_an_upload_never_recorded_creates_its_record_and_quarantines_it(aws, store,
                                                                                          load_event):
    """Killed before the scrubber reached it (on another file of its batch): no record, no metadata."""
    event = load_event("dead_letters")
    s3_record = json.loads(event["Records"][0]["body"])["Records"][0]
    pid = photo_id(RAW, s3_record["s3"]["object"]["key"], s3_record["s3"]["object"]["versionId"])
    assert store.get(pid) is None
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    photo = store.get(pid)
    assert photo.state == State.QUARANTINED and "did not get to this file" in photo.reason
    assert photo.album == "neighbourhood-day" and photo.uploader == ""
    assert [e["event"] for e in store.audit(pid)] == ["created", "RECEIVED→QUARANTINED", "uploader-notified"]
    [(to, subject, _)] = _mails()
    assert to == ", ".join(Names().press_office) and "park-cleanup.jpg" in subject


def test_the_count_the_alarms_watch_is_emitted_per_dead_letter(aws, load_event, capsys):
    capsys.readouterr()
    invoke("dead_letters", load_event("dead_letters"))
    [blob] = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    [directive] = blob["_aws"]["CloudWatchMetrics"]
    assert [m["Name"] for m in directive["Metrics"]] == ["ScrubDeadLetters"]
    assert blob["ScrubDeadLetters"] in (1, [1])


def test_a_message_it_cannot_read_fails_alone(aws, store, load_event):
    """Retried, then moved to the unhandled dead-letter queue (whose alarm fires)."""
    good = load_event("dead_letters")
    unreadable = {**good["Records"][0], "messageId": "unreadable", "body": "{not json"}
    stray = {**with_s3_object(good, RAW, "elsewhere/x.jpg", "v1")["Records"][0], "messageId": "stray"}
    event = {"Records": [unreadable, good["Records"][0], stray]}
    assert failed_messages("dead_letters", event) == {"unreadable", "stray"}
    assert len(sent_emails()) == 1


def test_a_dead_letter_it_keeps_failing_on_moves_to_the_unhandled_queue_and_stops(aws):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=aws.dlq_urls["scrub"], MessageBody="{not json")
    deliveries = 0
    while _deliver(sqs, aws.dlq_urls["scrub"], "dead_letters"):
        deliveries += 1
        assert deliveries <= 10, "the dead-letter queue's redrive never moved it on"
    [unhandled] = drain(sqs, aws.dlq_urls["unhandled"])
    assert unhandled["Body"] == "{not json" and deliveries == 10
