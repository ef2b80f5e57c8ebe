"""``pressroom redrive QUEUE``: move a dead-letter queue's messages back once their cause is fixed.

A dead-letter queue that is some queue's redrive target sends its messages back to that queue (the
one source SQS lists for it, or ``--to``). The timer dead-letter queue holds Lambda's failure
records instead (its functions are invoked by EventBridge Scheduler, not by a queue): each record's
request is invoked again, asynchronously, on the function that failed it.

Messages move one at a time, sent before they are deleted: a message may arrive twice, never not at
all, and every consumer in Pressroom is idempotent on the photo id.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_ATTRIBUTE_TYPES = ("StringValue", "BinaryValue", "DataType")


class RedriveError(Exception):
    """The queue cannot be redriven as asked; the message says what to do instead."""


@dataclass
class Redriven:
    moved: int
    destination: str  # a queue URL, or "lambda:<function>" for failure records


def queue_url(sqs: Any, queue: str, cloudformation: Any | None = None, stack: str | None = None) -> str:
    """A queue URL from a URL, a queue name, or the template's logical id with ``stack``."""
    if queue.startswith(("https://", "http://")):
        return queue
    try:
        return str(sqs.get_queue_url(QueueName=queue)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        if cloudformation is None or not stack:
            raise RedriveError(f"there is no queue named {queue} (give its name or URL, or its logical id "
                               "with --stack)") from None
    found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=queue)
    return str(found["StackResourceDetail"]["PhysicalResourceId"])


def _arn(sqs: Any, url: str) -> str:
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _failure_record(body: str) -> dict[str, Any] | None:
    try:
        record = json.loads(body)
    except ValueError:
        return None
    if isinstance(record, dict) and "requestPayload" in record and "functionArn" in record.get("requestContext", {}):
        return record
    return None


def redrive(sqs: Any, source_url: str, *, to: str | None = None, limit: int | None = None,
            lambda_client: Any | None = None) -> Redriven:
    """Move up to ``limit`` messages (all when None) out of the dead-letter queue at ``source_url``."""
    sources = sqs.list_dead_letter_source_queues(QueueUrl=source_url).get("queueUrls", [])
    destination = to
    if destination is None and len(sources) == 1:
        destination = sources[0]
    if destination is None and len(sources) > 1:
        raise RedriveError("this queue is the dead-letter queue of " + ", ".join(sorted(sources))
                           + ": say which one the messages go back to with --to")
    moved = 0
    function = ""
    while limit is None or moved < limit:
        wanted = 10 if limit is None else min(10, limit - moved)
        batch = sqs.receive_message(QueueUrl=source_url, MaxNumberOfMessages=wanted,
                                    MessageAttributeNames=["All"], VisibilityTimeout=60, WaitTimeSeconds=0)
        messages = batch.get("Messages", [])
        if not messages:
            break
        for message in messages:
            if destination is not None:
                attributes = {name: {k: v for k, v in value.items() if k in _ATTRIBUTE_TYPES}
                              for name, value in message.get("MessageAttributes", {}).items()}
                sqs.send_message(QueueUrl=destination, MessageBody=message["Body"],
                                 **({"MessageAttributes": attributes} if attributes else {}))
            else:
                record = _failure_record(message["Body"])
                if record is None or lambda_client is None:
                    # put it back at once for whoever looks next
                    sqs.change_message_visibility(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"],
                                                  VisibilityTimeout=0)
                    raise RedriveError("this queue is no queue's dead-letter queue and holds a message that is not "
                                       "a Lambda failure record: name the queue it goes to with --to")
                # the ARN names the version that failed ("…:function:name:$LATEST"): invoke the function
                arn = record["requestContext"]["functionArn"]
                function = ":".join(arn.split(":")[:7])
                lambda_client.invoke(FunctionName=function, InvocationType="Event",
                                     Payload=json.dumps(record["requestPayload"]).encode())
            sqs.delete_message(QueueUrl=source_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return Redriven(moved, destination or (f"lambda:{function}" if function else ""))
