"""The local stack builds what template.yaml deploys: same queues, table, notifications, consumers."""
from __future__ import annotations

import json

import boto3
import pytest
import yaml
from moto import mock_aws

from pressroom_local import resources
from pressroom_local.stack import CONSUMERS, DLQ_CONSUMERS
from tests.unit.test_template import TEMPLATE, CfnLoader

QUEUE_RESOURCE = {"scrub": "ScrubQueue", "policy": "PolicyQueue", "approval": "ApprovalQueue",
                  "publish": "PublishQueue", "amend": "AmendQueue"}
DLQ_RESOURCE = {"scrub": "ScrubDeadLetterQueue", "policy": "PolicyDeadLetterQueue",
                "approval": "ApprovalDeadLetterQueue", "publish": "PublishDeadLetterQueue",
                "unhandled": "UnhandledDeadLetterQueue", "amend": "AmendDeadLetterQueue",
                "photo_events": "PhotoEventsDeadLetterQueue"}
FUNCTION_RESOURCE = {"scrub": "ScrubFunction", "policy": "PolicyFunction",
                     "request_approval": "RequestApprovalFunction", "publish": "PublishFunction",
                     "dead_letters": "DeadLettersFunction", "amend": "AmendFunction"}


@pytest.fixture(scope="module")
def template():
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)["Resources"]


@pytest.fixture
def built():
    with mock_aws():
        session = boto3.Session(region_name="eu-west-2")
        created = resources.create_all(session)
        yield session, created


def test_every_approver_group_of_the_template_is_made_with_its_members(template, built):
    session, created = built
    ssm = session.client("ssm")
    groups = {name: r for name, r in template.items() if r["Type"] == "AWS::SSM::Parameter"
              and "/groups/" in r["Properties"]["Name"]["Fn::Sub"]}
    assert len(groups) == len(resources.Names().groups)
    for group, members in resources.Names().groups:
        [logical] = [n for n, r in groups.items() if r["Properties"]["Name"]["Fn::Sub"].endswith(f"/groups/{group}")]
        value = ssm.get_parameter(Name=created.env["PRESSROOM_GROUPS_PARAMETER_PREFIX"] + group)["Parameter"]["Value"]
        assert value.split(",") == list(members), logical


def test_every_queue_has_the_templates_redrive(template, built):
    session, created = built
    sqs = session.client("sqs")
    assert set(created.queue_urls) == set(QUEUE_RESOURCE)
    for name, logical in QUEUE_RESOURCE.items():
        deployed = template[logical]["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        attrs = sqs.get_queue_attributes(QueueUrl=created.queue_urls[name], AttributeNames=["RedrivePolicy"])
        assert int(json.loads(attrs["Attributes"]["RedrivePolicy"])["maxReceiveCount"]) == deployed


def test_dead_letter_queues_redrive_as_in_the_template(template, built):
    session, created = built
    sqs = session.client("sqs")
    assert set(created.dlq_urls) == set(DLQ_RESOURCE)
    for name, logical in DLQ_RESOURCE.items():
        deployed = template[logical]["Properties"].get("RedrivePolicy")
        attrs = sqs.get_queue_attributes(QueueUrl=created.dlq_urls[name], AttributeNames=["All"])["Attributes"]
        if deployed is None:
            assert "RedrivePolicy" not in attrs, name
            continue
        local = json.loads(attrs["RedrivePolicy"])
        assert int(local["maxReceiveCount"]) == deployed["maxReceiveCount"], name
        target = {v: k for k, v in DLQ_RESOURCE.items()}[deployed["deadLetterTargetArn"]["Fn::GetAtt"][0]]
        assert local["deadLetterTargetArn"].endswith(f"-{target}-dlq"), name


def test_the_table_has_the_templates_keys_index_and_ttl(template, built):
    session, _ = built
    ddb = session.client("dynamodb")
    table = ddb.describe_table(TableName="pressroom")["Table"]
    props = template["PhotoTable"]["Properties"]
    assert table["KeySchema"] == props["KeySchema"]
    local = {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table["GlobalSecondaryIndexes"]}
    assert local == {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in props["GlobalSecondaryIndexes"]}
    assert sorted(table["AttributeDefinitions"], key=str) == sorted(props["AttributeDefinitions"], key=str)
    ttl = ddb.describe_time_to_live(TableName="pressroom")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == props["TimeToLiveSpecification"]["AttributeName"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, **props["StreamSpecification"]}


def test_the_stream_consumer_matches(template, built):
    from pressroom_local.stack import STREAM_CONSUMER

    _, created = built
    function, batch = STREAM_CONSUMER
    (event,) = template["PhotoEventsFunction"]["Properties"]["Events"].values()
    assert (function, batch) == ("photo_events", event["Properties"]["BatchSize"])
    assert created.stream_arn.startswith("arn:aws:dynamodb:eu-west-2:123456789012:table/pressroom/stream/")


def test_bucket_notifications_match(template, built):
    session, _ = built
    s3 = session.client("s3")
    for bucket, logical in (("pressroom-raw", "RawBucket"), ("pressroom-clean", "CleanBucket")):
        [local] = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
        [deployed] = template[logical]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        local_prefix = local["Filter"]["Key"]["FilterRules"][0]["Value"]
        assert local_prefix == deployed["Filter"]["S3Key"]["Rules"][0]["Value"]
        queue = deployed["Queue"]["Fn::GetAtt"][0]
        assert local["QueueArn"].endswith("-" + {v: k for k, v in QUEUE_RESOURCE.items()}[queue])


def _concurrency(scaling: dict) -> int:
    """An event source's MaximumConcurrency, a mapping's entry resolved at the parameters' defaults."""
    value = scaling["MaximumConcurrency"]
    if isinstance(value, int):
        return value
    whole = yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)
    mapping, key, entry = value["Fn::FindInMap"]
    return whole["Mappings"][mapping][whole["Parameters"][key["Ref"]]["Default"]][entry]


def test_consumers_batch_sizes_and_concurrency_match(template):
    consumed = [(QUEUE_RESOURCE[queue], function, batch, concurrency)
                for queue, (function, batch, concurrency) in CONSUMERS.items()]
    consumed += [(DLQ_RESOURCE[queue], function, batch, concurrency)
                 for queue, (function, batch, concurrency) in DLQ_CONSUMERS.items()]
    deployed = [(event["Properties"]["Queue"]["Fn::GetAtt"][0], function, event["Properties"]["BatchSize"],
                 _concurrency(event["Properties"]["ScalingConfig"]))
                for function in FUNCTION_RESOURCE
                for event in template[FUNCTION_RESOURCE[function]]["Properties"]["Events"].values()
                if event["Type"] == "SQS"]
    assert sorted(consumed) == sorted(deployed)


def test_the_comments_schedule_matches(template, built):
    session, _ = built
    name, rate = resources.COMMENTS_SCHEDULE
    local = session.client("scheduler").get_schedule(Name=name, GroupName="pressroom")
    [event] = template["CommentsFunction"]["Properties"]["Events"].values()
    assert local["ScheduleExpression"] == event["Properties"]["ScheduleExpression"] == rate
    assert json.loads(local["Target"]["Input"]) == json.loads(event["Properties"]["Input"])


def _send(session, subject, text):
    from pressroom.adapters.mail import Email, SesMailer

    SesMailer(session.client("ses"), resources.Names().sender).send(
        Email(to=["approver.one@press-office.example"], subject=subject, text=text))


def test_the_outbox_names_each_mail_by_its_whole_subject(built, tmp_path):
    from pressroom_local.emulator import Outbox

    session, _ = built
    _send(session, 'Pressroom: your photo "Samsung galaxy s7 edge gps trailer" was rejected', "why")
    _send(session, "Approval needed: Fête de la Musique", "review")
    said: list[str] = []
    Outbox(tmp_path, resources.ACCOUNT, "eu-west-2", announce=said.append).poll()
    assert said[0].endswith('to approver.one@press-office.example: '
                            'Pressroom: your photo "Samsung galaxy s7 edge gps trailer" was rejected')
    assert sorted(p.name for p in tmp_path.glob("*.eml")) == [
        "0001-pressroom-your-photo-samsung-galaxy-s7-edge-gps-trailer-was.eml",
        "0002-approval-needed-f-te-de-la-musique.eml"]


def test_the_outbox_announces_each_mail_with_its_review_link_whole(built, tmp_path):
    from pressroom_local.emulator import Outbox

    session, _ = built
    link = "http://127.0.0.1:8787/review/0c90d39c8764d9d40517860c?t=" + "AWsRQczozBqrdY4HjGQtazov0X3BIwySmtM4mGk" * 3
    _send(session, "Approval needed: Park day", f"Review the photo and decide:\n{link}\n")
    said: list[str] = []
    Outbox(tmp_path, resources.ACCOUNT, "eu-west-2", announce=said.append).poll()
    assert "=\n" in next(tmp_path.glob("*.eml")).read_text()  # quoted-printable: the raw file breaks the link
    assert len(said) == 1
    assert "approver.one@press-office.example" in said[0] and "Approval needed: Park day" in said[0]
    assert link in said[0].split()


@pytest.mark.parametrize("length", ["abc", "-5"])
def test_the_local_api_answers_a_bad_content_length_with_400(length):
    import socket

    from pressroom_local.api import ApiServer

    server = ApiServer(lambda event, context: {"statusCode": 200, "body": "handled"})
    server.start()
    try:
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as conn:
            conn.sendall(f"POST /review/x HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())
            reply = conn.recv(200).decode()
    finally:
        server.stop()
    assert reply.startswith("HTTP/1.0 400") or reply.startswith("HTTP/1.1 400"), reply


def test_the_local_api_answers_500_when_the_handler_fails_as_api_gateway_does():
    import urllib.error
    import urllib.request

    from pressroom_local.api import ApiServer

    def broken(event, context):
        raise RuntimeError("the function crashed")

    server = ApiServer(broken)
    server.start()
    try:
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(f"{server.url}/review/x", timeout=5)
    finally:
        server.stop()
    assert failed.value.code == 500
