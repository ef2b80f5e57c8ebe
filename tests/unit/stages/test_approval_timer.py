"""The approval timers against moto: the reminder, the expiry and the publish check."""
from datetime import timedelta

import pytest
from botocore.exceptions import ClientError

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.adapters.timers import Timers
from pressroom.domain import links
from pressroom.domain.photos import State
from tests.unit.stages.approvals import (  # noqa: F401 - asked is a fixture
    FORM,
    NOW,
    ONE,
    PID,
    TWO,
    UPLOADER,
    asked,
    body,
    decide,
    expire,
    outbox,
    part,
    publish_check,
    publish_messages,
    remind,
    review,
    token_of,
    waiting,
)


def test_the_publish_check_leaves_a_photo_being_published_or_moved_on(store, aws, asked):
    at = NOW + timedelta(minutes=15)
    assert publish_check(PID, now=at) is False  # still waiting for a decision
    assert publish_check("0" * 24, now=at) is False
    decide(PID, body(asked[ONE]), FORM, now=NOW)
    publish_messages(aws)  # the first message is consumed by a publish delivery, which claims the photo
    store.update(PID, State.APPROVED, actor="publish", event="publish-attempt",
                 changes={"flickr": {"claim": "c1", "lease_until": "2026-11-20T10:20:00.000Z"}})
    assert publish_check(PID, now=at) is False  # a live lease: that delivery is publishing it
    assert publish_check(PID, now=at + timedelta(minutes=10)) is True  # its lease is over
    store.transition(PID, State.APPROVED, State.PUBLISHED, actor="publish")
    assert publish_check(PID, now=at + timedelta(minutes=20)) is False
    assert [e["event"] for e in store.audit(PID)].count("publish-requeued") == 1




# -- reminders and expiry ----------------------------------------------------------------------------
def test_reminder_goes_once_with_fresh_links(store, asked):
    later = NOW + timedelta(days=2)
    assert remind(PID, now=later) == [ONE, TWO]
    assert remind(PID, now=later) == []  # Scheduler delivered twice
    reminders = [m for m in outbox() if m["Subject"].strip().startswith("Reminder:")]
    assert sorted(m["To"] for m in reminders) == [ONE, TWO]
    fresh = token_of(reminders[0])
    assert fresh not in asked.values()
    claims = links.verify(parameters.signing_key(), fresh, later)
    assert claims.expires_at == NOW + timedelta(days=7)  # the photo's own expiry, not later
    assert review(PID, fresh, now=later).status == 200
    assert [e["event"] for e in store.audit(PID)].count("approval-reminded") == 1


@pytest.mark.parametrize("fails", ["due", "signing_key"])
def test_a_reminder_that_failed_before_emailing_is_sent_by_the_retry(store, asked, monkeypatch, fails):
    def throttled(*args, **kwargs):
        raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow down"}}, "Get")

    later = NOW + timedelta(days=2)
    with monkeypatch.context() as patch:
        patch.setattr(*((Timers, "due") if fails == "due" else (parameters, "signing_key")), throttled)
        with pytest.raises(ClientError):
            remind(PID, now=later)  # Lambda retries the asynchronous invocation
    assert remind(PID, now=later) == [ONE, TWO]
    assert len([m for m in outbox() if m["Subject"].strip().startswith("Reminder:")]) == 2


def test_reminder_and_expiry_do_nothing_once_decided(store, asked):
    decide(PID, body(asked[ONE]), FORM, now=NOW)
    sent = len(outbox())
    assert remind(PID, now=NOW + timedelta(days=2)) == []
    assert expire(PID, now=NOW + timedelta(days=7)) is False
    assert len(outbox()) == sent and store.get(PID).state == State.APPROVED


def test_expiry_closes_the_photo_and_tells_the_uploader(store, asked):
    assert expire(PID, now=NOW + timedelta(days=7)) is True
    assert expire(PID, now=NOW + timedelta(days=7)) is False
    assert store.get(PID).state == State.EXPIRED
    notice = [m for m in outbox() if m["To"] == UPLOADER]
    assert len(notice) == 1 and "not approved in time" in notice[0]["Subject"]
    assert "within 7 days" in part(notice[0], "text/plain")
    assert bootstrap.timers().due(f"approval-reminder-{PID}") is None
    page = decide(PID, body(asked[ONE]), FORM, now=NOW + timedelta(days=1))
    assert page.status == 410 and "expired" in page.html.lower()

