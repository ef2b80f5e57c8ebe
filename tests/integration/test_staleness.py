"""The staleness handler against moto, driven by events/staleness.json."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from pressroom import bootstrap
from pressroom.domain import clock
from tests.integration.helpers import invoke, sent_emails

PUBLISHED = datetime(2026, 11, 20, 10, 31, 17, 400000, tzinfo=UTC)  # due 14 days on: the sample's


def _at(monkeypatch, when: datetime) -> None:
    """Make :func:`pressroom.domain.clock.now` say ``when`` for this test."""
    monkeypatch.setattr(clock, "_offset", when - datetime.now(UTC))


def test_the_sample_firing_reminds_the_press_office_and_rearms(aws, store, load_event, monkeypatch):
    event = load_event("staleness")
    bootstrap.reminder_timer().after_publish(PUBLISHED)
    assert store.account()["stale_due"] == event["due"]
    _at(monkeypatch, datetime(2026, 12, 4, 10, 31, 30, tzinfo=UTC))

    assert invoke("staleness", event) == {"due": event["due"], "outcome": "reminded"}
    [mail] = sent_emails()
    assert "To: press.office@press-office.example" in mail
    assert "nothing published to Flickr for 14 days" in mail
    schedule = boto3.client("scheduler").get_schedule(Name="stale-account", GroupName="pressroom")
    next_due = json.loads(schedule["Target"]["Input"])
    assert next_due["kind"] == "stale-account" and next_due["due"].startswith("2026-12-18T10:3")
    assert schedule["ScheduleExpression"] == f"at({next_due['due'][:-1]})"
    assert store.account()["stale_due"] == next_due["due"]

    assert invoke("staleness", event)["outcome"] == "superseded"  # Scheduler/Lambda retried it
    assert len(sent_emails()) == 1


def test_a_firing_after_a_newer_publish_sends_nothing(aws, store, load_event, monkeypatch):
    event = load_event("staleness")
    bootstrap.reminder_timer().after_publish(PUBLISHED + timedelta(days=5))
    _at(monkeypatch, datetime(2026, 12, 4, 10, 31, 30, tzinfo=UTC))
    assert invoke("staleness", event)["outcome"] == "fresh"
    assert sent_emails() == []


@pytest.mark.parametrize("event", [{}, {"kind": "stale-account"}, {"kind": "other", "due": "2026-12-04T10:31:18Z"}])
def test_an_unexpected_event_is_refused(aws, event):
    with pytest.raises(ValueError, match="stale-account"):
        invoke("staleness", event)
