"""The stale-account reminder: the pure decision and email, and the timer/ACCOUNT dance against moto."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain.photos import Photo, State
from pressroom.stages.staleness import (
    GUIDANCE,
    StalenessReminder,
    assess,
    due_after,
    due_iso,
    reminder_email,
)
from tests.integration.helpers import sent_emails

T0 = datetime(2026, 11, 20, 10, 31, 17, 500000, tzinfo=UTC)
N = timedelta(days=14)


# -- pure parts -----------------------------------------------------------------------------------
def test_due_times_round_up_to_the_second():
    assert due_after(T0, N) == datetime(2026, 12, 4, 10, 31, 18, tzinfo=UTC)
    assert due_after(T0.replace(microsecond=0), N) == datetime(2026, 12, 4, 10, 31, 17, tzinfo=UTC)
    assert due_iso(due_after(T0, N)) == "2026-12-04T10:31:18Z"


def _account(last=T0, due="2026-12-04T10:31:18Z", **extra):
    return {"last_published_at": last.isoformat().replace("+00:00", "Z"), "stale_due": due, **extra}


@pytest.mark.parametrize(("account", "due", "now", "verdict"), [
    (_account(), "2026-12-04T10:31:18Z", T0 + N + timedelta(seconds=1), "remind"),
    (_account(), "2026-12-04T10:31:18Z", T0 + N - timedelta(minutes=4), "remind"),  # within the grace
    (_account(), "2026-12-04T10:31:18Z", T0 + N - timedelta(minutes=6), "fresh"),
    (_account(last=T0 + timedelta(days=3)), "2026-12-04T10:31:18Z", T0 + N, "fresh"),
    (_account(due="2026-12-18T10:31:18Z"), "2026-12-04T10:31:18Z", T0 + 2 * N, "superseded"),
    (_account(reminded_due="2026-12-04T10:31:18Z"), "2026-12-04T10:31:18Z", T0 + N, "already-reminded"),
    ({}, "2026-12-04T10:31:18Z", T0, "remind"),  # never published, armed by hand
])
def test_assess(account, due, now, verdict):
    assert assess(account, due, now, N) == verdict


def test_reminder_email_quotes_the_guidance_and_counts_the_waiting():
    email = reminder_email(["press@example.org"], now=T0 + N + timedelta(hours=1), last_published=T0,
                           waiting=3, failed=0, every_days=14)
    assert email.to == ["press@example.org"]
    assert email.subject == "Pressroom: nothing published to Flickr for 14 days"
    assert "don't leave your account without an update for weeks" in email.text
    assert "Add images on a regular basis" in email.text
    assert all(quote in email.text for quote in GUIDANCE)
    assert "for 14 days (the last one on 20 November 2026 at 10:31 UTC)" in email.text
    assert "Photos waiting for approval: 3." in email.text
    assert "could not be published" not in email.text
    assert "repeats every 14 days" in email.text


def test_reminder_email_when_nothing_was_ever_published_and_some_failed():
    email = reminder_email(["p@example.org"], now=T0, last_published=None, waiting=0, failed=2, every_days=1)
    assert "No photo has been published to the force's Flickr account yet." in email.text
    assert "could not be published: 2" in email.text and "pressroom retry" in email.text
    assert "repeats every 1 day " in email.text


# -- against moto ---------------------------------------------------------------------------------
class Clock:
    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _reminder(clock, press_office=parameters.press_office) -> StalenessReminder:
    return StalenessReminder(bootstrap.reminder_timer(), bootstrap.mailer(), press_office, now=clock)


def _schedule() -> dict:
    found = boto3.client("scheduler").get_schedule(Name="stale-account", GroupName="pressroom")
    return {"at": found["ScheduleExpression"], "payload": json.loads(found["Target"]["Input"])}


def _waiting(store, n: int) -> None:
    for i in range(n):
        store.create(Photo(id=f"{i:024d}", state=State.NEEDS_APPROVAL, album="a", original_bucket="b",
                           original_key=f"incoming/a/{i}.jpg", original_version="v1"), actor="test")


def test_reminds_then_rearms_until_someone_publishes(aws, store):
    _waiting(store, 2)
    bootstrap.reminder_timer().after_publish(T0)
    first_due = _schedule()["payload"]["due"]
    assert first_due == "2026-12-04T10:31:18Z"

    clock = Clock(datetime(2026, 12, 4, 10, 31, 19, tzinfo=UTC))
    assert _reminder(clock).fire(first_due) == "reminded"
    [mail] = sent_emails()
    assert "press.office@press-office.example" in mail and "for 14 days" in mail
    assert "Photos waiting for approval: 2." in mail
    assert _schedule() == {"at": "at(2026-12-18T10:31:19)",
                           "payload": {"kind": "stale-account", "due": "2026-12-18T10:31:19Z"}}
    account = store.account()
    assert account["stale_due"] == "2026-12-18T10:31:19Z" and account["reminded_due"] == first_due

    assert _reminder(clock).fire(first_due) == "superseded"  # the same firing again: no second email
    assert len(sent_emails()) == 1

    clock.at = datetime(2026, 12, 18, 10, 31, 20, tzinfo=UTC)
    assert _reminder(clock).fire("2026-12-18T10:31:19Z") == "reminded"
    assert "for 28 days" in sent_emails()[1]


def test_a_publish_since_the_timer_was_armed_silences_it(aws, store):
    bootstrap.reminder_timer().after_publish(T0)
    old_due = _schedule()["payload"]["due"]
    bootstrap.reminder_timer().after_publish(T0 + timedelta(days=10))
    clock = Clock(T0 + N + timedelta(seconds=1))
    assert _reminder(clock).fire(old_due) == "fresh"
    assert sent_emails() == []
    assert _schedule()["payload"]["due"] == "2026-12-14T10:31:18Z"


def test_an_older_publish_recorded_late_does_not_move_the_timer_back(aws, store):
    bootstrap.reminder_timer().after_publish(T0 + timedelta(days=1))
    bootstrap.reminder_timer().after_publish(T0)
    assert store.account()["last_published_at"] == "2026-11-21T10:31:17.500Z"
    assert _schedule()["payload"]["due"] == "2026-12-05T10:31:18Z"


def test_a_failed_email_is_sent_by_the_retry(aws, store):
    bootstrap.reminder_timer().after_publish(T0)
    due = _schedule()["payload"]["due"]
    clock = Clock(T0 + N + timedelta(seconds=2))
    with pytest.raises(ValueError, match="recipient"):
        _reminder(clock, press_office=lambda: []).fire(due)
    assert store.account()["stale_due"] == due and "reminded_due" not in store.account()
    assert _reminder(clock).fire(due) == "reminded"
    assert len(sent_emails()) == 1


def test_an_overtaken_firing_whose_reminder_never_went_out_is_caught_up(aws, store):
    bootstrap.reminder_timer().after_publish(T0)
    clock = Clock(T0 + N + timedelta(hours=2))
    assert _reminder(clock).fire("2026-11-30T00:00:00Z") == "superseded"
    assert _schedule() == {"at": "at(2026-12-04T12:32:17)",
                           "payload": {"kind": "stale-account", "due": "2026-12-04T10:31:18Z"}}
    assert _reminder(clock).fire("2026-12-04T10:31:18Z") == "reminded"


def test_a_deployment_that_never_publishes_is_armed_once_and_reminded(aws, store):
    timer = bootstrap.reminder_timer()
    assert timer.ensure_armed(T0) == datetime(2026, 12, 4, 10, 31, 18, tzinfo=UTC)
    assert _schedule() == {"at": "at(2026-12-04T10:31:18)",
                           "payload": {"kind": "stale-account", "due": "2026-12-04T10:31:18Z"}}
    assert store.account() == {"PK": "ACCOUNT", "SK": "STATE", "stale_schedule": "stale-account",
                               "stale_due": "2026-12-04T10:31:18Z"}
    assert timer.ensure_armed(T0 + timedelta(minutes=15)) is None  # armed: the due time stays
    assert _schedule()["payload"]["due"] == "2026-12-04T10:31:18Z"

    clock = Clock(datetime(2026, 12, 4, 10, 31, 19, tzinfo=UTC))
    assert _reminder(clock).fire("2026-12-04T10:31:18Z") == "reminded"
    [mail] = sent_emails()
    assert "nothing has been published to Flickr yet" in mail
    assert "No photo has been published to the force's Flickr account yet." in mail
    assert _schedule()["payload"]["due"] == "2026-12-18T10:31:19Z"
    assert timer.ensure_armed(clock.at) is None


def test_ensure_armed_leaves_a_publishs_timer_alone(aws, store):
    bootstrap.reminder_timer().after_publish(T0)
    assert bootstrap.reminder_timer().ensure_armed(T0 + timedelta(days=3)) is None
    assert _schedule()["payload"]["due"] == "2026-12-04T10:31:18Z"


def test_a_schedule_armed_by_a_run_that_died_before_recording_it_is_kept(aws, store):
    timer = bootstrap.reminder_timer()
    timer.arm(due_after(T0, N))  # ensure_armed got this far
    assert timer.ensure_armed(T0 + timedelta(minutes=15)) is None
    assert _schedule()["payload"]["due"] == "2026-12-04T10:31:18Z"
    clock = Clock(datetime(2026, 12, 4, 10, 31, 19, tzinfo=UTC))
    assert _reminder(clock).fire("2026-12-04T10:31:18Z") == "reminded"
    assert store.account()["stale_due"] == "2026-12-18T10:31:19Z"
