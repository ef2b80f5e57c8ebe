"""The event sources Lambda would provide: SQS pollers, due Scheduler schedules, and the SES outbox."""
from __future__ import annotations

import email
import hashlib
import json
import re
import threading
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
    """Polls one queue and invokes its function with batches, honouring partial batch failures."""

    def __init__(self, name: str, sqs: Any, queue_url: str, handler: Handler, region: str, batch_size: int = 10):
        self.name = name
        self._sqs = sqs
        self._url = queue_url
        self._handler = handler
        self._region = region
        self._batch = batch_size
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def poll(self) -> int:
        """Deliver one batch if there is one; return how many messages were delivered."""
        messages = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=self._batch,
                                             AttributeNames=["All"], WaitTimeSeconds=0).get("Messages", [])
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


class ScheduleSource:
    """Fires the group's schedules when due by :mod:`pressroom.domain.clock` (moto stores but never fires them)."""

    def __init__(self, scheduler: Any, group: str, targets: dict[str, Handler]):
        self._scheduler = scheduler
        self._group = group
        self._targets = targets  # function ARN → handler
        self._last_rate_fire: dict[str, datetime] = {}

    def poll(self) -> int:
        fired = 0
        now = clock.now()
        for summary in self._scheduler.list_schedules(GroupName=self._group).get("Schedules", []):
            try:
                schedule = self._scheduler.get_schedule(Name=summary["Name"], GroupName=self._group)
            except self._scheduler.exceptions.ResourceNotFoundException:
                continue  # disarmed between listing and reading it
            expression = schedule.get("ScheduleExpression", "")
            at = parse_at(expression)
            if at is not None:
                if at > now:
                    continue
                # Scheduler completes (and deletes) a one-time schedule before its target runs, so a
                # target that re-arms the same schedule name keeps its new one.
                if schedule.get("ActionAfterCompletion") == "DELETE":
                    self._scheduler.delete_schedule(Name=schedule["Name"], GroupName=self._group)
                self._invoke(schedule)
                fired += 1
            elif (every := _rate(expression)) is not None:
                last = self._last_rate_fire.setdefault(schedule["Name"], now)
                if now - last >= every:
                    self._last_rate_fire[schedule["Name"]] = now
                    self._invoke(schedule)
                    fired += 1
        return fired

    def _invoke(self, schedule: dict[str, Any]) -> None:
        target = schedule["Target"]
        handler = self._targets.get(target["Arn"])
        if handler is None:
            print(f"schedule {schedule['Name']}: no local function for {target['Arn']}")
            return
        payload = json.loads(_with_context(target.get("Input") or "{}", schedule))
        try:
            handler(payload, LambdaContext(target["Arn"].rsplit(":", 1)[-1]))
        except Exception:  # noqa: BLE001 - Scheduler would retry; the emulator reports and moves on
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
                links = "".join(f"\n      review link: {link}" for _, link in review_client.links_in(parsed))
                self._announce(f"mail  {path.name} to {parsed.get('To', '')}: {subject}{links}")
        return len(new)


def _plain(message: Any) -> str:
    return (f"From: {message.source}\nTo: {', '.join(message.destinations.get('ToAddresses', []))}\n"
            f"Subject: {message.subject}\n\n{message.body}\n")


class Emulator:
    """Runs every source on one thread until stopped."""

    def __init__(self, sources: list[Any], idle_seconds: float = 0.2):
        self._sources = sources
        self._idle = idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="event-sources", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def pump(self) -> int:
        """One round over every source; how much work it did."""
        return sum(source.poll() for source in self._sources)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.pump()
            except Exception:  # noqa: BLE001 - keep the stack alive; the error is shown
                traceback.print_exc()
                worked = 0
            if not worked:
                self._stop.wait(self._idle)
