"""The request_approval handler against moto, driven by events/request_approval.json."""
import copy
import email
import json
from email import policy

import boto3

from pressroom.local.resources import Names
from pressroom.photos import State, photo_id
from tests.integration.helpers import drain, invoke, sent_emails, with_s3_object

RAW, CLEAN = "pressroom-raw", "pressroom-clean"
META = {"title": "Park clean-up", "description": "Volunteers cleared litter.", "category": "neighbourhood-initiative",
        "people": "none", "children": "no", "credit": "West Midlands Police", "uploader": "pcso@example.org"}


def _waiting(aws, load_event, corpus, key="incoming/neighbourhood-day/park.jpg"):
    """Upload a corpus photo and run it through the scrub and policy handlers to NEEDS_APPROVAL."""
    body = (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()
    version = boto3.client("s3").put_object(Bucket=RAW, Key=key, Body=body, Metadata=META)["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, key, version))
    for message in drain(boto3.client("sqs"), aws.queue_urls["policy"]):
        invoke("policy", {"Records": [{**load_event("policy")["Records"][0], "body": message["Body"]}]})
    drain(boto3.client("sqs"), aws.queue_urls["approval"])
    return photo_id(RAW, key, version)


def _event(load_event, *bodies):
    sample = load_event("request_approval")["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        record = copy.deepcopy(sample)
        record["messageId"] = f"m{i}"
        record["body"] = body if isinstance(body, str) else json.dumps(body)
        records.append(record)
    return {"Records": records}


def test_each_approver_is_emailed_once(aws, store, load_event, corpus):
    pid = _waiting(aws, load_event, corpus)
    assert store.get(pid).state == State.NEEDS_APPROVAL
    event = _event(load_event, {"photo_id": pid})
    assert invoke("request_approval", event) == {"batchItemFailures": []}
    assert invoke("request_approval", event) == {"batchItemFailures": []}  # SQS delivered it twice
    mails = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    asked = [m for m in mails if "Approval needed" in m["Subject"]]
    assert sorted(m["To"] for m in asked) == sorted(Names().approvers)
    for message in asked:
        text = message.get_body(("plain",)).get_content()
        assert f"/review/{pid}?t=" in text and "Park clean-up" in text
        assert any(p.get_content_type() == "image/jpeg" for p in message.walk())
    assert store.get(pid).approvers == list(Names().approvers)
    scheduler = boto3.client("scheduler")
    assert {s["Name"] for s in scheduler.list_schedules(GroupName="pressroom")["Schedules"]} >= {
        f"approval-reminder-{pid}", f"approval-expiry-{pid}"}


def test_a_bad_record_fails_alone(aws, store, load_event, corpus):
    pid = _waiting(aws, load_event, corpus)
    event = _event(load_event, "not json", {"photo_id": pid}, {"photo_id": "0" * 24})
    assert invoke("request_approval", event) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert len(store.get(pid).approvers) == 2
    assert len(sent_emails()) == 2  # the unknown photo is a no-op, not an error
