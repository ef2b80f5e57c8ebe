"""The event sources Lambda would provide: SQS pollers, due Scheduler schedules, and the SES outbox."""
from __future__ import annotations

import email
import hashlib
import json
import re
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email import policy
from pathlib import Path
from typing import Any

from pressroom.adapters.timers import parse_at
from pressroom.domain import clock
from pressroom_local import review_client
from pressroom_local.functions import LambdaContext

RETRY_DELAY_SECONDS = 1  # a failed message is visible again this soon (Lambda waits out the visibility timeout)
#: an empty queue is long-polled this long (moto's server lets other requests in meanwhile)
POLL_WAIT_SECONDS = 1
#: a timer's invocation is tried this often in all: Lambda retries a failed asynchronous invocation
#: twice (the approval timer's EventInvokeConfig MaximumRetryAttempts)
TIMER_ATTEMPTS = 3
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")

Handler = Callable[[dict, Any], Any]


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's SQS event source mapping sends for a batch of received messages."""
    return {"Records": [{
        "messageId": m["MessageId"],
        "receiptHandle": m["ReceiptHandle"],
        "body": m["Body"],
        "attributes": m.get("Attributes", {}),
        "messageAttributes": m.get("MessageAttributes", {}),
        "md5OfBody": m.get("MD5OfBody", hashlib.md5(m["Body"].encode()).hexdigest()),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    } for m in messages]}


class QueueSource:
    """Polls one queue and invokes its function with batches, honouring partial batch failures.

    ``concurrency``: how many batches may be in the function at once (the event source mapping's
    MaximumConcurrency): the emulator polls the queue on that many threads."""

    def __init__(self, name: str, sqs: Any, queue_url: str, handler: Handler, region: str, batch_size: int = 10,
                 concurrency: int = 1):
        self.name = name
        self.concurrency = concurrency
        self.wait_seconds = 0
        self._sqs = sqs
        self._url = queue_url
        self._handler = handler
        self._region = region
        self._batch = batch_size
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll(self) -> int:
        """Deliver one batch if there is one; return how many messages were delivered."""
        messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=self._batch,
                                             AttributeNames=["All"], WaitTimeSeconds=self.wait_seconds,
                                             ).get("Messages", [])
        if not messages:
            return 0
        try:
            reply = self._handler(sqs_event(messages, self._arn, self._region), LambdaContext(self.name)) or {}
            failed = {f["itemIdentifier"] for f in reply.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch, as on Lambda
            traceback.print_exc()
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(QueueUrl=self._url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)])
        for m in messages:
            if m["MessageId"] in failed:
                self._sqs.change_message_visibility(QueueUrl=self._url, ReceiptHandle=m["ReceiptHandle"],
                                                    VisibilityTimeout=RETRY_DELAY_SECONDS)
        return len(messages)


def stream_record(record: dict[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """One DynamoDB Streams record as Lambda's event source mapping passes it to a function."""
    images = dict(record["dynamodb"])
    created = images.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        images["ApproximateCreationDateTime"] = created.timestamp()
    return {"eventID": record.get("eventID", uuid.uuid4().hex), "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb", "awsRegion": region,
            "dynamodb": images, "eventSourceARN": stream_arn}


class StreamSource:
    """Reads a table's stream and invokes its function as Lambda's event source mapping does: records
    in order per shard, filtered (``keys``: the sort keys the filter admits), in batches; a reported
    failure is retried from the first failed record, up to ``max_retries`` times, then sent to the
    on-failure queue and skipped."""

    def __init__(self, name: str, streams: Any, stream_arn: str, handler: Handler, region: str, *,
                 batch_size: int = 10, sort_keys: tuple[str, ...] = ("META",), max_retries: int = 5,
                 on_failure: tuple[Any, str] | None = None):
        self.name = name
        self._streams = streams
        self._arn = stream_arn
        self._handler = handler
        self._region = region
        self._batch = batch_size
        self._sort_keys = sort_keys
        self._max_retries = max_retries
        self._on_failure = on_failure
        self._shards: dict[str, dict[str, Any]] = {}

    def poll(self) -> int:
        worked = 0
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"].get("Shards", []):
            state = self._shards.setdefault(shard["ShardId"], {"iterator": self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"],
                "pending": [], "retries": 0, "retry_at": 0.0})
            if not state["pending"]:
                reply = self._streams.get_records(ShardIterator=state["iterator"], Limit=100)
                state["iterator"] = reply.get("NextShardIterator") or state["iterator"]
                state["pending"] = [r for r in reply.get("Records", [])
                                    if r["dynamodb"].get("Keys", {}).get("SK", {}).get("S") in self._sort_keys]
                state["retries"] = 0
            if not state["pending"] or time.monotonic() < state["retry_at"]:
                continue
            batch = state["pending"][:self._batch]
            worked += len(batch)
            failed = self._invoke(batch)
            if not failed:
                state["pending"] = state["pending"][len(batch):]
                state["retries"] = 0
                continue
            first = min(i for i, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            state["retries"] += 1
            state["retry_at"] = time.monotonic() + RETRY_DELAY_SECONDS
            if state["retries"] > self._max_retries:
                self._give_up(batch[first:])
                state["pending"] = state["pending"][len(batch):]
                state["retries"] = 0
            else:
                state["pending"] = state["pending"][first:]
        return worked

    def _invoke(self, batch: list[dict[str, Any]]) -> set[str]:
        event = {"Records": [stream_record(r, self._arn, self._region) for r in batch]}
        try:
            reply = self._handler(event, LambdaContext(self.name)) or {}
            return {f["itemIdentifier"] for f in reply.get("batchItemFailures", [])}
        except Exception:  # noqa: BLE001 - a crashed invocation fails the whole batch, as on Lambda
            traceback.print_exc()
            return {r["dynamodb"]["SequenceNumber"] for r in batch}

    def _give_up(self, records: list[dict[str, Any]]) -> None:
        """What Lambda sends an on-failure destination: where the records were, not the records."""
        print(f"{self.name}: gave up on {len(records)} stream record(s) after {self._max_retries} retries")
        if self._on_failure:
            sqs, url = self._on_failure
            sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"DDBStreamBatchInfo": {
                "streamArn": self._arn, "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"], "batchSize": len(records)}}))


class ScheduleSource:
    """Fires the group's schedules when due by :mod:`pressroom.domain.clock` (moto stores but never fires them).

    A schedule is read (GetSchedule) when it is new or changed since it was last read (its
    LastModificationDate in the listing), not on every round: a thousand waiting photos have three
    thousand timers. ``listing``, if given, lists (name, LastModificationDate) without the API
    (the local stack reads moto's backend in this process: ListSchedules wrote every schedule out
    on every round). A failed invocation is tried again, ``TIMER_ATTEMPTS`` times in all, as
    Lambda retries an asynchronous invocation."""

    def __init__(self, scheduler: Any, group: str, targets: dict[str, Handler], sqs: Any = None,
                 listing: Callable[[], list[tuple[str, Any]]] | None = None):
        self._scheduler = scheduler
        self._group = group
        self._targets = targets  # function ARN → handler
        self._sqs = sqs  # for schedules whose target is a queue (Scheduler's SQS target sends its Input)
        self._listing = listing or self._listed
        self._last_rate_fire: dict[str, datetime] = {}
        #: name → (LastModificationDate, schedule, its one-time "at" if it has one)
        self._read: dict[str, tuple[Any, dict[str, Any], datetime | None]] = {}

    def _listed(self) -> list[tuple[str, Any]]:
        return [(summary["Name"], summary.get("LastModificationDate"))
                for page in self._scheduler.get_paginator("list_schedules").paginate(GroupName=self._group)
                for summary in page.get("Schedules", [])]

    def _schedules(self) -> list[tuple[dict[str, Any], datetime | None]]:
        current: dict[str, tuple[Any, dict[str, Any], datetime | None]] = {}
        for name, stamp in self._listing():
            known = self._read.get(name)
            if known is None or known[0] != stamp or stamp is None:
                try:
                    schedule = self._scheduler.get_schedule(Name=name, GroupName=self._group)
                except self._scheduler.exceptions.ResourceNotFoundException:
                    continue  # disarmed between listing and reading it
                known = (stamp, schedule, parse_at(schedule.get("ScheduleExpression", "")))
            current[name] = known
        self._read = current
        return [(schedule, at) for _, schedule, at in current.values()]

    def poll(self) -> int:
        fired = 0
        now = clock.now()
        for schedule, at in self._schedules():
            if at is not None:
                if at > now:
                    continue
                # Scheduler completes (and deletes) a one-time schedule before its target runs, so a
                # target that re-arms the same schedule name keeps its new one.
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    try:
                        self._scheduler.delete_schedule(Name=schedule["Name"], GroupName=self._group)
                    except self._scheduler.exceptions.ResourceNotFoundException:
                        continue  # disarmed since it was read
                    self._read.pop(schedule["Name"], None)
                self._invoke(schedule)
                fired += 1
            elif (every := _rate(schedule.get("ScheduleExpression", ""))) is not None:
                last = self._last_rate_fire.setdefault(schedule["Name"], now)
                if now - last >= every:
                    self._last_rate_fire[schedule["Name"]] = now
                    self._invoke(schedule)
                    fired += 1
        return fired

    def _invoke(self, schedule: dict[str, Any]) -> None:
        target = schedule["Target"]
        if target["Arn"].startswith("arn:aws:sqs:") and self._sqs is not None:
            url = self._sqs.get_queue_url(QueueName=target["Arn"].rsplit(":", 1)[-1])["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=_with_context(target.get("Input") or "{}", schedule))
            return
        handler = self._targets.get(target["Arn"])
        if handler is None:
            print(f"schedule {schedule['Name']}: no local function for {target['Arn']}")
            return
        payload = json.loads(_with_context(target.get("Input") or "{}", schedule))
        function = target["Arn"].rsplit(":", 1)[-1].removeprefix("pressroom-").replace("-", "_")
        for attempt in range(1, TIMER_ATTEMPTS + 1):
            try:
                handler(payload, LambdaContext(function))
                return
            except Exception:  # noqa: BLE001 - Lambda retries; after the last attempt, to the dead-letter queue
                if attempt == TIMER_ATTEMPTS:
                    print(f"schedule {schedule['Name']}: failed {attempt} times (deployed, the event would go to "
                          "the timer dead-letter queue)")
                    traceback.print_exc()


def _with_context(text: str, schedule: dict[str, Any]) -> str:
    """Fill in the context attributes Scheduler substitutes in a target's input."""
    values = {
        "<aws.scheduler.scheduled-time>": clock.iso().replace(".000Z", "Z"),
        "<aws.scheduler.schedule-arn>": schedule.get("Arn", ""),
        "<aws.scheduler.execution-id>": uuid.uuid4().hex,
        "<aws.scheduler.attempt-number>": "1",
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def _rate(expression: str) -> timedelta | None:
    match = _RATE.match(expression or "")
    if not match:
        return None
    unit = match.group(2).rstrip("s") + "s"
    return timedelta(**{unit: int(match.group(1))})


class Outbox:
    """Writes every message moto's SES has accepted to ``<dir>/NNNN-<subject>.eml``, and tells
    ``announce`` (if given) who it is for, its subject and its review links, whole."""

    def __init__(self, directory: Path, account: str, region: str,
                 announce: Callable[[str], None] | None = None):
        self.directory = directory
        self._account = account
        self._region = region
        self._announce = announce
        self._written = 0
        directory.mkdir(parents=True, exist_ok=True)

    def poll(self) -> int:
        from moto.ses.models import ses_backends

        sent = ses_backends[self._account][self._region].sent_messages
        new = sent[self._written:]
        for message in new:
            self._written += 1
            raw = getattr(message, "raw_data", None) or _plain(message)
            parsed = email.message_from_string(raw, policy=policy.default)
            subject = str(parsed.get("Subject") or "").strip() or "message"
            slug = re.sub(r"[^a-z0-9]+", "-", subject.lower()).strip("-")[:60].strip("-") or "message"
            path = self.directory / f"{self._written:04d}-{slug}.eml"
            path.write_text(raw)
            if self._announce:
                links = "".join(f"\n      {kind} link: {link}" for kind, _, link in review_client.all_links_in(parsed))
                self._announce(f"mail  {path.name} to {parsed.get('To', '')}: {subject}{links}")
        return len(new)


def _plain(message: Any) -> str:
    return (f"From: {message.source}\nTo: {', '.join(message.destinations.get('ToAddresses', []))}\n"
            f"Subject: {message.subject}\n\n{message.body}\n")


class Emulator:
    """Runs every source on threads of its own until stopped: a queue on as many as its function may
    run batches at once (``concurrency``, as Lambda's event source mapping scales its pollers), each
    long-polling an empty queue; the schedules and the outbox on one each, every ``idle_seconds``."""

    def __init__(self, sources: list[Any], idle_seconds: float = 0.2):
        self._sources = sources
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, args=(source,), daemon=True,
                                          name=f"{getattr(source, 'name', type(source).__name__)}-{n}")
                         for source in sources for n in range(getattr(source, "concurrency", 1))]

    def start(self) -> None:
        for source in self._sources:
            if isinstance(source, QueueSource):
                source.wait_seconds = POLL_WAIT_SECONDS
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def pump(self) -> int:
        """One round over every source on this thread; how much work it did."""
        return sum(source.poll() for source in self._sources)

    def _run(self, source: Any) -> None:
        while not self._stop.is_set():
            waited = isinstance(source, QueueSource)  # an empty queue's poll waited already
            try:
                worked = source.poll()
            except Exception:  # noqa: BLE001 - keep the stack alive; the error is shown
                if self._stop.is_set():
                    return
                traceback.print_exc()
                worked, waited = 0, False
            if not worked and not waited:
                self._stop.wait(self._idle)
