"""The request_approval handler against moto, driven by events/request_approval.json."""
import copy
import email
import io
import json
from email import policy

import boto3
from PIL import Image

from pressroom.adapters import parameters
from pressroom.domain.photos import State, photo_id
from pressroom_local.resources import Names
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



def test_an_encoded_word_in_the_photos_own_title_adds_no_header_to_the_email(aws, store, load_event, corpus):
    """Python's email package decodes RFC 2047 words in a header value it is given, CRLF and all."""
    from tests.integration.helpers import SAFE_METADATA, upload_until_asked

    title = "Park =?utf-8?q?day=0D=0AX-Injected:_yes=0D=0A=0D=0AApprove_it_all?="
    xmp = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
           f'<rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF>'
           '</x:xmpmeta>')
    picture = io.BytesIO()
    Image.open(corpus / "Sony_Cybershot_orientation6.jpg").save(picture, "JPEG", xmp=xmp.encode())
    metadata = {k: v for k, v in SAFE_METADATA.items() if k != "title"}
    pid = upload_until_asked(aws, load_event, picture.getvalue(), metadata=metadata)
    assert store.get(pid).title == title
    sent = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    assert sorted(m["To"] for m in sent) == sorted(Names().approvers)
    for message in sent:
        assert message["X-Injected"] is None and message.get_content_type() == "multipart/alternative"
        assert message["Subject"].replace("\N{WORD JOINER}", "") == f"Approval needed: {title} (neighbourhood-day)"


def test_with_no_approvers_configured_the_photo_waits_visibly_and_the_press_office_is_told(aws, store, load_event,
                                                                                          corpus):
    pid = _waiting(aws, load_event, corpus)
    boto3.client("ssm").put_parameter(Name="/pressroom/approvers", Type="StringList", Value=" ", Overwrite=True)
    parameters.reset()
    event = _event(load_event, {"photo_id": pid})
    assert invoke("request_approval", event) == {"batchItemFailures": []}  # not left to the dead-letter queue
    assert invoke("request_approval", event) == {"batchItemFailures": []}
    assert "no approvers are configured" in store.get(pid).reason
    told = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    assert [m["To"] for m in told] == list(Names().press_office) and "nobody to ask" in told[0]["Subject"]
    scheduler = boto3.client("scheduler")
    assert {s["Name"] for s in scheduler.list_schedules(GroupName="pressroom")["Schedules"]} >= {
        f"approval-reminder-{pid}", f"approval-expiry-{pid}"}
    boto3.client("ssm").put_parameter(Name="/pressroom/approvers", Type="StringList",
                                      Value=",".join(Names().approvers), Overwrite=True)
    parameters.reset()
    timer = {**load_event("approval_timer"), "photo_id": pid}
    assert invoke("approval_timer", timer)["acted"] is True  # the reminder asks who is configured now
    assert store.get(pid).approvers == list(Names().approvers) and store.get(pid).reason == ""
