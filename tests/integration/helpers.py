"""Helpers for driving handlers the way Lambda does."""
from __future__ import annotations

import copy
import json
from typing import Any

from pressroom_local.functions import LambdaContext, handler


def invoke(name: str, event: dict[str, Any]) -> Any:
    """Run ``functions/<name>/app.py`` on ``event``."""
    return handler(name)(event, LambdaContext(name))


def failed_messages(name: str, event: dict[str, Any]) -> set[str]:
    """Ids of the messages Lambda would retry: reported failures, or every one when all failed
    (Powertools then raises, so Lambda retries the whole batch)."""
    from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

    try:
        reply = invoke(name, event)
    except BatchProcessingError:
        return {r["messageId"] for r in event["Records"]}
    return {f["itemIdentifier"] for f in reply["batchItemFailures"]}


def with_s3_object(event: dict[str, Any], bucket: str, key: str, version: str | None) -> dict[str, Any]:
    """The sample SQS event, its S3 notification pointed at ``bucket``/``key``/``version``."""
    event = copy.deepcopy(event)
    for record in event["Records"]:
        body = json.loads(record["body"])
        for s3_record in body["Records"]:
            s3_record["s3"]["bucket"]["name"] = bucket
            s3_record["s3"]["object"]["key"] = key
            if version:
                s3_record["s3"]["object"]["versionId"] = version
            else:
                s3_record["s3"]["object"].pop("versionId", None)
        record["body"] = json.dumps(body)
    return event


def sent_emails(region: str = "eu-west-2") -> list[str]:
    """Raw messages moto's SES has accepted."""
    from moto.ses.models import ses_backends

    return [m.raw_data for m in ses_backends["123456789012"][region].sent_messages]


def drain(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message now waiting in a queue (removed from it)."""
    found = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found.extend(batch)
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])
    return found


SAFE_METADATA = {"title": "Park clean-up", "description": "Volunteers cleared litter.",
                 "category": "neighbourhood-initiative", "people": "none", "children": "no",
                 "credit": "West Midlands Police", "uploader": "pcso@example.org"}


def upload_until_asked(aws: Any, load_event: Any, body: bytes, metadata: dict[str, str] = SAFE_METADATA,
                       key: str = "incoming/neighbourhood-day/park.jpg") -> str:
    """Upload ``body`` to the raw bucket and run scrub, policy and request_approval on what each
    queues, as Lambda would; return the photo id (its approvers have been emailed)."""
    import boto3

    from pressroom.domain.photos import photo_id

    raw = "pressroom-raw"
    version = boto3.client("s3").put_object(Bucket=raw, Key=key, Body=body, Metadata=metadata)["VersionId"]
    invoke("scrub", with_s3_object(load_event("scrub"), raw, key, version))
    sqs = boto3.client("sqs")
    for stage, queue in (("policy", "policy"), ("request_approval", "approval")):
        for message in drain(sqs, aws.queue_urls[queue]):
            reply = invoke(stage, {"Records": [{**load_event(stage)["Records"][0], "body": message["Body"]}]})
            assert reply == {"batchItemFailures": []}
    return photo_id(raw, key, version)


class Stream:
    """The photo table's stream, read as Lambda's event source mapping reads it for photo_events:
    each call of :meth:`events` returns the records written since the last, as one-record events,
    filtered to META items (the template's filter)."""

    def __init__(self, arn: str):
        import boto3

        self._streams = boto3.client("dynamodbstreams")
        self._arn = arn
        self._iterators: dict[str, str] = {}

    def events(self) -> list[dict[str, Any]]:
        from pressroom_local.emulator import stream_record

        found = []
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]:
            iterator = self._iterators.get(shard["ShardId"]) or self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
            reply = self._streams.get_records(ShardIterator=iterator)
            self._iterators[shard["ShardId"]] = reply["NextShardIterator"]
            found += [{"Records": [stream_record(r, self._arn, "eu-west-2")]} for r in reply["Records"]
                      if r["dynamodb"]["Keys"]["SK"]["S"] == "META"]
        return found


def follow(aws: Any, stream: Stream, load_event: Any) -> list[str]:
    """Run photo_events on every new stream record and amend on every message it queues, as Lambda
    would, until nothing is left; the amend messages' bodies, in order."""
    import boto3

    sqs, bodies = boto3.client("sqs"), []
    while True:
        events = stream.events()
        for event in events:
            assert invoke("photo_events", event) == {"batchItemFailures": []}
        messages = drain(sqs, aws.queue_urls["amend"])
        for message in messages:
            bodies.append(message["Body"])
            record = {**load_event("amend")["Records"][0], "body": message["Body"]}
            assert invoke("amend", {"Records": [record]}) == {"batchItemFailures": []}
        if not events and not messages:
            return bodies
