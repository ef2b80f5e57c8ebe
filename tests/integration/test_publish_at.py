"""Scheduled publishing: a photo declared ``publish-at`` (UK time) is held by the publish handler
until then through an EventBridge Scheduler schedule that sends its publish message, against moto;
the schedule's role and target are checked against template.yaml like every other call."""
from __future__ import annotations

import json
from datetime import UTC, timedelta

import boto3
import pytest

from pressroom.domain import clock
from pressroom.domain.photos import State
from pressroom.domain.schedule import LONDON
from pressroom.settings import get_settings
from tests.integration.helpers import invoke
from tests.unit.stages.test_publish import PID, approved_photo


@pytest.fixture
def jpeg(corpus) -> bytes:
    return (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()


@pytest.fixture
def later():
    """The pipeline's clock, moved on by a test and put back after it."""
    yield clock.advance
    clock.reset()


def embargoed(store, jpeg, value: str) -> None:
    approved_photo(store, jpeg)
    store.update(PID, State.APPROVED, actor="test", event="declared", changes={"declared": {"publish-at": value}})


def test_an_embargoed_photo_is_held_until_its_time_then_published(aws, store, load_event, jpeg, later):
    when = (clock.now() + timedelta(days=2)).astimezone(LONDON).replace(second=0, microsecond=0)
    embargoed(store, jpeg, when.strftime("%Y-%m-%dT%H:%M"))
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.APPROVED and photo.flickr == {}
    assert photo.publish_at == clock.iso(when)
    schedule = boto3.client("scheduler").get_schedule(Name=f"publish-at-{PID}", GroupName="pressroom")
    assert schedule["ScheduleExpression"] == f"at({when.astimezone(UTC):%Y-%m-%dT%H:%M:%S})"  # UK time read as UTC
    assert schedule["ScheduleExpressionTimezone"] == "UTC" and schedule["ActionAfterCompletion"] == "DELETE"
    assert schedule["Target"]["Arn"] == get_settings().publish_queue_arn
    assert json.loads(schedule["Target"]["Input"]) == {"photo_id": PID}
    (held,) = [e for e in store.audit(PID) if e["event"] == "publish-held"]
    assert held["detail"]["uk_time"].endswith(("GMT", "BST"))

    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}  # a redelivery: held again
    assert len([e for e in store.audit(PID) if e["event"] == "publish-held"]) == 1

    later(timedelta(days=2, minutes=1))  # Scheduler sends the message at the time
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    assert store.get(PID).state == State.PUBLISHED


def test_a_time_already_past_publishes_at_once(aws, store, load_event, jpeg):
    embargoed(store, jpeg, (clock.now() - timedelta(hours=3)).astimezone(LONDON).strftime("%Y-%m-%dT%H:%M"))
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    assert store.get(PID).state == State.PUBLISHED


def test_a_publish_at_that_is_not_a_time_is_never_published(aws, store, load_event, jpeg):
    embargoed(store, jpeg, "next Tuesday")
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "not a time like 2027-01-05T09:00" in photo.reason
