"""pressroom redrive: a dead-letter queue's messages go back where they came from, once each."""
from __future__ import annotations

import json

import boto3
import pytest

from pressroom_local import cli
from pressroom_local.redrive import RedriveError, redrive
from tests.integration.helpers import drain


def _url(sqs, name):
    return sqs.get_queue_url(QueueName=name)["QueueUrl"]


def test_a_dead_letter_queue_goes_back_to_its_source_queue(aws, capsys):
    sqs = boto3.client("sqs")
    drain(sqs, _url(sqs, "pressroom-scrub"))  # S3's test event for the new notification
    for n in range(12):
        sqs.send_message(QueueUrl=_url(sqs, "pressroom-scrub-dlq"), MessageBody=json.dumps({"n": n}),
                         MessageAttributes={"kind": {"DataType": "String", "StringValue": "s3"}})
    assert cli.main(["redrive", "pressroom-scrub-dlq"]) == 0
    assert "12 message(s) moved" in capsys.readouterr().out
    back = drain(sqs, _url(sqs, "pressroom-scrub"))
    assert sorted(json.loads(m["Body"])["n"] for m in back) == list(range(12))
    assert drain(sqs, _url(sqs, "pressroom-scrub-dlq")) == []


def test_limit_moves_only_that_many(aws):
    sqs = boto3.client("sqs")
    dlq = _url(sqs, "pressroom-policy-dlq")
    drain(sqs, _url(sqs, "pressroom-policy"))  # S3's test event for the new notification
    for n in range(5):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    assert redrive(sqs, dlq, limit=2).moved == 2
    assert len(drain(sqs, _url(sqs, "pressroom-policy"))) == 2
    assert len(drain(sqs, dlq)) == 3


def test_a_queue_with_several_sources_needs_to(aws, capsys):
    sqs = boto3.client("sqs")
    unhandled = _url(sqs, "pressroom-unhandled-dlq")
    sqs.send_message(QueueUrl=unhandled, MessageBody="x")
    with pytest.raises(RedriveError, match="--to"):
        redrive(sqs, unhandled)
    assert cli.main(["redrive", "pressroom-unhandled-dlq", "--to", "pressroom-publish-dlq"]) == 0
    assert [m["Body"] for m in drain(sqs, _url(sqs, "pressroom-publish-dlq"))] == ["x"]


class RecordingLambda:
    def __init__(self):
        self.calls = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def test_timer_failure_records_invoke_the_function_again(aws):
    sqs = boto3.client("sqs")
    timers = sqs.create_queue(QueueName="pressroom-timer-dlq")["QueueUrl"]
    payload = {"kind": "approval-expiry", "photo_id": "p1"}
    sqs.send_message(QueueUrl=timers, MessageBody=json.dumps({
        "version": "1.0", "requestContext": {"functionArn": "arn:aws:lambda:eu-west-2:123456789012:function:pressroom-approval-timer:$LATEST",
                                             "condition": "RetriesExhausted"},
        "requestPayload": payload}))
    fake = RecordingLambda()
    done = redrive(sqs, timers, lambda_client=fake)
    assert done.moved == 1 and done.destination == "lambda:arn:aws:lambda:eu-west-2:123456789012:function:pressroom-approval-timer"
    assert fake.calls == [{"FunctionName": "arn:aws:lambda:eu-west-2:123456789012:function:pressroom-approval-timer",
                           "InvocationType": "Event", "Payload": json.dumps(payload).encode()}]
    assert drain(sqs, timers) == []


def test_a_message_that_is_not_a_failure_record_stays(aws):
    sqs = boto3.client("sqs")
    timers = sqs.create_queue(QueueName="pressroom-timer-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=timers, MessageBody="not json")
    with pytest.raises(RedriveError, match="--to"):
        redrive(sqs, timers, lambda_client=RecordingLambda())
    assert [m["Body"] for m in drain(sqs, timers)] == ["not json"]
