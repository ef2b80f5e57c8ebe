"""The dead-letter stage against moto: each photo ends quarantined or blocked, once, or is left alone."""
import email
import json
from email import policy

import boto3
import pytest

from pressroom import bootstrap
from pressroom.domain.messages import CreatedObject
from pressroom.domain.photos import Photo, State, photo_id
from pressroom.stages.dead_letters import (
    ACTOR,
    POLICY,
    SCRUB,
    checks_stopped,
    scrubber_never_reached,
    scrubber_stopped,
    stage_of,
)
from pressroom_local.resources import Names
from tests.integration.helpers import drain, sent_emails

RAW, CLEAN = "pressroom-raw", "pressroom-clean"
KEY = "incoming/neighbourhood-day/park.jpg"
UPLOADER = "pcso@example.org"
UPLOAD = CreatedObject(bucket=RAW, key=KEY, version="v1", size=4_718_592)
PID = photo_id(RAW, KEY, "v1")
CLEAN_COPY = CreatedObject(bucket=CLEAN, key=f"clean/{PID}.jpg", version="c1", size=4_652_019)


@pytest.fixture
def dead_letters(aws):
    return bootstrap.dead_letters()


def _received(store, uploader=UPLOADER):
    store.create(Photo(id=PID, state=State.RECEIVED, album="neighbourhood-day", original_bucket=RAW,
                       original_key=KEY, original_version="v1", uploader=uploader), actor=uploader)


def _scrubbed(store):
    _received(store)
    store.transition(PID, State.RECEIVED, State.SCRUBBED, actor="scrubber", changes={
        "clean_key": CLEAN_COPY.key, "captions": {"title": "Park clean-up"}})


def mails():
    """(recipients, subject, text) of every message SES accepted."""
    parsed = [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]
    return [(m["To"], m["Subject"], m.get_body(("plain",)).get_content()) for m in parsed]


def _events(store):
    return [(e["event"], e["actor"]) for e in store.audit(PID)]


def test_the_stage_is_told_by_the_bucket_notification_prefix():
    assert stage_of(KEY) == SCRUB and stage_of(CLEAN_COPY.key) == POLICY
    for key in ("elsewhere/x.jpg", "incoming", "Clean/x.jpg"):
        with pytest.raises(ValueError):
            stage_of(key)


def test_an_upload_left_received_is_quarantined_and_the_uploader_told(dead_letters, store):
    _received(store)
    outcome = dead_letters.handle(UPLOAD)
    assert (outcome.stage, outcome.photo_id, outcome.action, outcome.state) == (SCRUB, PID, "quarantined",
                                                                               State.QUARANTINED)
    photo = store.get(PID)
    assert photo.state == State.QUARANTINED and photo.reason == scrubber_stopped(5)
    assert "5 attempts" in photo.reason and "out of memory or time" in photo.reason
    assert _events(store) == [("created", UPLOADER), ("RECEIVED→QUARANTINED", ACTOR),
                              ("uploader-notified", "notices")]
    assert store.audit(PID)[1]["detail"] == {"reason": photo.reason}
    [(to, subject, text)] = mails()
    assert to == UPLOADER and "quarantined" in subject and photo.reason in text


def test_an_upload_with_no_record_is_recorded_then_quarantined_and_the_press_office_told(dead_letters, store):
    outcome = dead_letters.handle(UPLOAD)
    assert outcome.action == "quarantined" and outcome.photo_id == PID
    photo = store.get(PID)
    assert photo.state == State.QUARANTINED and photo.reason == scrubber_never_reached(5)
    assert (photo.album, photo.original_bucket, photo.original_key, photo.original_version) == (
        "neighbourhood-day", RAW, KEY, "v1")
    assert photo.uploader == "" and photo.declared == {}
    created = store.audit(PID)[0]
    assert (created["event"], created["actor"], created["to"]) == ("created", ACTOR, "RECEIVED")
    assert created["detail"]["key"] == KEY and created["detail"]["bytes"] == UPLOAD.size
    assert "only the scrubber may read originals" in created["detail"]["metadata"]
    [(to, subject, text)] = mails()
    assert to == ", ".join(Names().press_office) and "park.jpg" in subject and photo.reason in text


def test_a_dead_letter_delivered_again_changes_nothing(dead_letters, store):
    _received(store)
    dead_letters.handle(UPLOAD)
    trail = store.audit(PID)
    again = dead_letters.handle(UPLOAD)
    assert (again.action, again.state) == ("left-alone", State.QUARANTINED)
    assert store.audit(PID) == trail and len(sent_emails()) == 1


def test_a_notice_that_failed_is_sent_when_the_dead_letter_comes_again(dead_letters, store, monkeypatch):
    from tests.integration.test_policy import _failing_once

    calls = _failing_once(monkeypatch)
    _received(store)
    with pytest.raises(RuntimeError, match="SES throttled"):
        dead_letters.handle(UPLOAD)
    assert store.get(PID).state == State.QUARANTINED and not store.get(PID).notified_at
    assert dead_letters.handle(UPLOAD).action == "notified"
    assert dead_letters.handle(UPLOAD).action == "left-alone"
    assert len(calls) == 2 and len(sent_emails()) == 1 and store.get(PID).notified_at


def test_a_photo_quarantined_by_the_scrubber_whose_notice_never_went_is_notified(dead_letters, store):
    """The scrubber quarantined it, then SES failed on every attempt: the message died on the notice."""
    _received(store)
    store.transition(PID, State.RECEIVED, State.QUARANTINED, actor="scrubber", changes={"reason": "not an image"})
    assert dead_letters.handle(UPLOAD).action == "notified"
    [(to, _, text)] = mails()
    assert to == UPLOADER and "not an image" in text
    assert store.get(PID).reason == "not an image"


@pytest.mark.parametrize("stage_object", [UPLOAD, CLEAN_COPY], ids=["scrub", "policy"])
def test_a_photo_past_the_stage_is_left_alone(dead_letters, store, stage_object):
    _scrubbed(store)
    store.transition(PID, State.SCRUBBED, State.NEEDS_APPROVAL, actor="policy")
    store.update(PID, State.NEEDS_APPROVAL, actor="approval", event="approver-asked",
                 changes={"approvers": ["approver.one@press-office.example"]})
    trail = store.audit(PID)
    outcome = dead_letters.handle(stage_object)
    assert (outcome.action, outcome.state) == ("left-alone", State.NEEDS_APPROVAL)
    assert store.audit(PID) == trail and sent_emails() == []
    assert drain(boto3.client("sqs"), bootstrap.get_settings().approval_queue_url) == []


def test_an_upload_already_scrubbed_is_left_alone(dead_letters, store):
    _scrubbed(store)
    assert (dead_letters.handle(UPLOAD).action, store.get(PID).state) == ("left-alone", State.SCRUBBED)
    assert sent_emails() == []


def test_a_scrubbed_photo_from_the_policy_queue_is_blocked_and_the_uploader_told(dead_letters, store):
    _scrubbed(store)
    outcome = dead_letters.handle(CLEAN_COPY)
    assert (outcome.stage, outcome.action, outcome.state) == (POLICY, "blocked", State.BLOCKED)
    photo = store.get(PID)
    assert photo.reason == checks_stopped(5) and "ask the press office" in photo.reason
    assert _events(store)[-2:] == [("SCRUBBED→BLOCKED", ACTOR), ("uploader-notified", "notices")]
    [(to, subject, text)] = mails()
    assert to == UPLOADER and "blocked" in subject and "Park clean-up" in subject and photo.reason in text
    assert dead_letters.handle(CLEAN_COPY).action == "left-alone" and len(sent_emails()) == 1


def test_a_photo_stopped_before_its_approvers_were_asked_is_queued_for_approval(dead_letters, store):
    _scrubbed(store)
    store.transition(PID, State.SCRUBBED, State.NEEDS_APPROVAL, actor="policy")
    outcome = dead_letters.handle(CLEAN_COPY)
    assert (outcome.action, outcome.state) == ("approval-requested", State.NEEDS_APPROVAL)
    queued = drain(boto3.client("sqs"), bootstrap.get_settings().approval_queue_url)
    assert [json.loads(m["Body"]) for m in queued] == [{"photo_id": PID}]


def test_a_clean_copy_of_a_photo_still_received_is_left_to_the_scrub_stage(dead_letters, store):
    _received(store)
    assert (dead_letters.handle(CLEAN_COPY).action, store.get(PID).state) == ("left-alone", State.RECEIVED)


def test_a_clean_copy_with_no_record_is_reported_not_invented(dead_letters, store):
    outcome = dead_letters.handle(CLEAN_COPY)
    assert (outcome.action, outcome.state) == ("no-record", None)
    assert store.get(PID) is None and sent_emails() == []
