"""The approval_timer handler against moto, driven by events/approval_timer*.json."""
import email
import json
from email import policy

import boto3
import pytest
from pydantic import ValidationError

from pressroom.adapters.mail import SesMailer
from pressroom.domain.photos import State
from pressroom_local.resources import Names
from tests.integration.helpers import drain, invoke, sent_emails, upload_until_asked


@pytest.fixture
def asked(aws, store, load_event, corpus):
    """A photo through scrub, policy and request_approval, waiting for a decision."""
    pid = upload_until_asked(aws, load_event, (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes())
    assert store.get(pid).state == State.NEEDS_APPROVAL and len(sent_emails()) == 2
    return pid


def _mails():
    return [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]


def test_reminder_is_sent_once(aws, store, load_event, asked):
    event = {**load_event("approval_timer"), "photo_id": asked}
    assert invoke("approval_timer", event) == {"kind": "reminder", "photo_id": asked, "acted": True}
    assert invoke("approval_timer", event)["acted"] is False  # Scheduler fired twice
    reminders = [m for m in _mails() if m["Subject"].strip().startswith("Reminder:")]
    assert sorted(m["To"] for m in reminders) == sorted(Names().approvers)
    assert store.get(asked).state == State.NEEDS_APPROVAL


def test_expiry_closes_and_tells_the_uploader_once(aws, store, load_event, asked):
    event = {**load_event("approval_timer_expiry"), "photo_id": asked}
    assert invoke("approval_timer", event)["acted"] is True
    assert invoke("approval_timer", event)["acted"] is False
    assert store.get(asked).state == State.EXPIRED
    told = [m for m in _mails() if m["To"] == "pcso@example.org"]
    assert len(told) == 1 and "not approved in time" in told[0]["Subject"]
    reminder = {**load_event("approval_timer"), "photo_id": asked}
    assert invoke("approval_timer", reminder)["acted"] is False  # nothing to remind of any more


def test_an_expiry_notice_that_failed_is_sent_by_the_retry_once(aws, store, load_event, asked, monkeypatch):
    real, calls = SesMailer.send, []

    def send(self, message):
        calls.append(message.subject)
        if len(calls) == 1:
            raise RuntimeError("SES throttled")
        return real(self, message)

    monkeypatch.setattr(SesMailer, "send", send)
    event = {**load_event("approval_timer_expiry"), "photo_id": asked}
    with pytest.raises(RuntimeError):
        invoke("approval_timer", event)  # Lambda retries the asynchronous invocation
    assert store.get(asked).state == State.EXPIRED and not store.get(asked).notified_at
    assert invoke("approval_timer", event)["acted"] is True
    assert invoke("approval_timer", event)["acted"] is False
    told = [m for m in _mails() if m["To"] == "pcso@example.org"]
    assert len(calls) == 2 and len(told) == 1 and "not approved in time" in told[0]["Subject"]
    assert store.get(asked).notified_at


def test_the_publish_check_queues_an_approval_whose_message_was_lost(aws, store, load_event, asked):
    store.transition(asked, State.NEEDS_APPROVAL, State.APPROVED, actor=Names().approvers[0])  # then the crash
    event = {**load_event("approval_timer_publish_check"), "photo_id": asked}
    assert invoke("approval_timer", event) == {"kind": "publish-check", "photo_id": asked, "acted": True}
    assert [json.loads(m["Body"]) for m in drain(boto3.client("sqs"), aws.queue_urls["publish"])] == [
        {"photo_id": asked}]
    assert "publish-requeued" in [e["event"] for e in store.audit(asked)]


def test_a_timer_for_an_unknown_photo_does_nothing(aws, load_event):
    assert invoke("approval_timer", load_event("approval_timer"))["acted"] is False
    assert invoke("approval_timer", load_event("approval_timer_expiry"))["acted"] is False
    assert invoke("approval_timer", load_event("approval_timer_publish_check"))["acted"] is False
    assert sent_emails() == []


def test_a_malformed_payload_is_an_error(aws):
    with pytest.raises(ValidationError):
        invoke("approval_timer", {"kind": "publish", "photo_id": "x"})


def test_the_publish_check_tells_the_uploader_of_a_rejection_they_were_not_told_of(aws, store, load_event, asked):
    store.transition(asked, State.NEEDS_APPROVAL, State.REJECTED, actor=Names().approvers[0],  # SES refused then
                     changes={"decision": {"action": "reject", "by": Names().approvers[0], "why": "A house number"}})
    event = {**load_event("approval_timer_publish_check"), "photo_id": asked}
    assert invoke("approval_timer", event)["acted"] is True
    assert invoke("approval_timer", event)["acted"] is False
    told = [m for m in _mails() if m["To"] == "pcso@example.org"]
    assert len(told) == 1 and "A house number" in told[0].get_body(("plain",)).get_content()
    assert drain(boto3.client("sqs"), aws.queue_urls["publish"]) == []
