"""Paths the other handler tests do not take, run so that their AWS calls are checked against the
deployed roles too (the ``permissions`` fixture in conftest.py checks every test's calls)."""
import email
import json
from datetime import datetime, timedelta
from email import policy

import boto3

from pressroom.domain.photos import State, photo_id
from pressroom_local.resources import Names
from tests.integration.helpers import (
    drain,
    invoke,
    sent_emails,
    upload_until_asked,
    with_s3_object,
)

RAW, CLEAN = "pressroom-raw", "pressroom-clean"
KEY = "incoming/neighbourhood-day/park.jpg"
SAFE = {"title": "Park clean-up", "category": "neighbourhood-initiative", "people": "none", "children": "no",
        "credit": "West Midlands Police", "uploader": "pcso@example.org"}


def _mails():
    parsed = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    return [(m["To"], m["Subject"]) for m in parsed]


def _one(load_event, name, body):
    return {"Records": [{**load_event(name)["Records"][0], "body": json.dumps(body)}]}


def test_the_calls_a_handler_makes_are_recorded_and_checked(aws, load_event, corpus, permissions):
    version = boto3.client("s3").put_object(Bucket=RAW, Key=KEY, Metadata=SAFE,
                                            Body=(corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    made = {(service, operation) for service, operation, _ in permissions.calls["scrub"]}
    assert {("s3", "HeadObject"), ("s3", "GetObject"), ("s3", "PutObject"), ("dynamodb", "TransactWriteItems")} <= made
    assert set(permissions.calls) == {"scrub"}  # the test's own calls are not the function's
    assert permissions.problems() == []


def test_an_unversioned_notice_of_an_unreadable_upload_with_no_uploader_tells_the_press_office(aws, store, load_event):
    """The scrubber reads the current version, quarantines it and mails the press office."""
    boto3.client("s3").put_object(Bucket=RAW, Key=KEY, Body=b"not an image", Metadata={"title": "Broken"})
    assert invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, None)) == {"batchItemFailures": []}
    version = boto3.client("s3").head_object(Bucket=RAW, Key=KEY)["VersionId"]
    assert store.get(photo_id(RAW, KEY, version)).state == State.QUARANTINED
    [(to, subject)] = _mails()
    assert to == ", ".join(Names().press_office) and "quarantined" in subject


def test_an_approver_added_later_gets_a_link_that_ends_no_later_than_the_first_ones(aws, store, load_event, corpus):
    """Its expiry is read from the expiry schedule (whole seconds), not restarted."""
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())
    later = "approver.three@press-office.example"
    boto3.client("ssm").put_parameter(Name="/pressroom/approvers", Type="StringList", Overwrite=True,
                                      Value=",".join([*Names().approvers, later]))
    assert invoke("request_approval", _one(load_event, "request_approval", {"photo_id": pid})) == {
        "batchItemFailures": []}
    asked = [e["detail"] for e in store.audit(pid) if e["event"] == "approval-requested"]
    assert [d["approver"] for d in asked] == [*Names().approvers, later]
    first, *_, last = (datetime.fromisoformat(d["link_expires"].replace("Z", "+00:00")) for d in asked)
    assert first - timedelta(seconds=1) < last <= first


def test_a_dead_lettered_photo_whose_approvers_were_never_asked_is_queued_for_approval(aws, store, load_event,
                                                                                      corpus):
    version = boto3.client("s3").put_object(Bucket=RAW, Key=KEY, Metadata=SAFE,
                                            Body=(corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    sqs = boto3.client("sqs")
    for message in drain(sqs, aws.queue_urls["policy"]):
        invoke("policy", {"Records": [{**load_event("policy")["Records"][0], "body": message["Body"]}]})
    pid = photo_id(RAW, KEY, version)
    assert drain(sqs, aws.queue_urls["approval"])  # lost: the policy function died before it went
    photo = store.get(pid)
    assert photo.state == State.NEEDS_APPROVAL and not photo.approvers
    event = with_s3_object(load_event("dead_letters"), CLEAN, photo.clean_key, None)
    assert invoke("dead_letters", event) == {"batchItemFailures": []}
    assert [json.loads(m["Body"]) for m in drain(sqs, aws.queue_urls["approval"])] == [{"photo_id": pid}]


def test_the_policy_function_may_ask_rekognition(aws, store, load_event, corpus, monkeypatch):
    """Deployed, the policy function analyses the image with Rekognition (moto has no detect_faces:
    Rekognition's answers are stubbed, the calls are still made through botocore and checked)."""
    from botocore.stub import Stubber

    from pressroom import bootstrap
    from pressroom.adapters import aws as clients

    monkeypatch.setenv("PRESSROOM_DETECTOR", "rekognition")
    bootstrap.reset()
    rekognition = Stubber(clients.client("rekognition"))  # the cached client the handler will use
    face = {"AgeRange": {"Low": 30, "High": 40}, "Confidence": 99.0}
    rekognition.add_response("detect_faces", {"FaceDetails": [face]})
    rekognition.add_response("detect_moderation_labels", {"ModerationLabels": []})
    rekognition.add_response("detect_text", {"TextDetections": []})
    version = boto3.client("s3").put_object(Bucket=RAW, Key=KEY, Metadata=SAFE,
                                            Body=(corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    with rekognition:
        for message in drain(boto3.client("sqs"), aws.queue_urls["policy"]):
            invoke("policy", {"Records": [{**load_event("policy")["Records"][0], "body": message["Body"]}]})
        rekognition.assert_no_pending_responses()
    findings = store.get(photo_id(RAW, KEY, version)).findings
    assert any(f["evidence"] == "image analysis: 1 face(s)" for f in findings)


def test_the_policy_function_may_ask_the_analysis_function(aws, store, load_event, monkeypatch):
    """Deployed in-account, the policy function sends a bounded copy to AnalysisFunction (moto runs
    no function image: the invocation is stubbed with the answer the analysis function's own code
    gives for that copy, and the call is still made through botocore and checked against the role)."""
    import base64
    import io

    from botocore.response import StreamingBody
    from botocore.stub import ANY, Stubber

    from pressroom import bootstrap
    from pressroom.adapters import aws as clients
    from pressroom.adapters.local_vision import LocalVisionDetector, analyse_request
    from tests.corpus import vision_file

    monkeypatch.setenv("PRESSROOM_DETECTOR", "analysis-function")
    monkeypatch.setenv("PRESSROOM_ANALYSIS_FUNCTION", "pressroom-analysis")
    bootstrap.reset()
    body = vision_file("syn_plate_on_0.jpg").read_bytes()  # two faces and a plate
    answer = json.dumps(analyse_request({"image": base64.b64encode(body).decode()}, LocalVisionDetector())).encode()
    stub = Stubber(clients.client("lambda"))
    stub.add_response("invoke", {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))},
                      {"FunctionName": "pressroom-analysis", "InvocationType": "RequestResponse", "Payload": ANY})
    version = boto3.client("s3").put_object(Bucket=RAW, Key=KEY, Metadata=SAFE, Body=body)["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), RAW, KEY, version))
    with stub:
        for message in drain(boto3.client("sqs"), aws.queue_urls["policy"]):
            invoke("policy", {"Records": [{**load_event("policy")["Records"][0], "body": message["Body"]}]})
        stub.assert_no_pending_responses()
    photo = store.get(photo_id(RAW, KEY, version))
    assert photo.state == State.NEEDS_APPROVAL  # the plate goes to the approver, who may blur it
    assert any(f["rule"] == "dont-personal-details-plate-in-picture" and "LV19 PZT" in f["evidence"] and f["where"] for f in photo.findings)
    assert any(f["rule"] == "do-release-forms" and len(f["where"]) == 2 for f in photo.findings)
