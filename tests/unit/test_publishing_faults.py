"""The publish stage under injected faults: each photo ends in one state, told and audited, uploaded once."""
from __future__ import annotations

import pytest

from pressroom.photos import State
from pressroom.publishing.local_album import LocalAlbum
from pressroom.publishing.port import PublisherUnavailable, PublishRefused
from pressroom.publishing.service import MAX_ATTEMPTS, PublishRetry
from tests.integration.helpers import sent_emails
from tests.unit.test_publishing_service import (  # noqa: F401 - fixtures
    LEASE, PID, Flaky, _published_files, approved_photo, clock, jpeg, make_stage, root,
)


def _ses_failing(monkeypatch, times: int) -> list[str]:
    """SES refuses the next ``times`` messages; the subjects of every attempt are returned."""
    from pressroom.mail import SesMailer

    real, calls = SesMailer.send, []

    def send(self, email):
        calls.append(email.subject)
        if len(calls) <= times:
            raise RuntimeError("SES throttled")
        return real(self, email)

    monkeypatch.setattr(SesMailer, "send", send)
    return calls


class Refusing(LocalAlbum):
    def publish(self, *args, **kw):
        raise PublishRefused("Flickr refused the upload: Error: 5: Filetype was not recognised")


class Unsearchable(LocalAlbum):
    """The local album whose search has not indexed new uploads yet (Flickr's search lags its
    uploads), and whose album calls fail the first ``album_failures`` times."""

    def __init__(self, root, album_failures: int = 0):
        super().__init__(root)
        self.album_failures = album_failures

    def find(self, machine_tag):
        return None

    def add_to_album(self, *args, **kw):
        if self.album_failures:
            self.album_failures -= 1
            raise PublisherUnavailable("Flickr photosets.getList failed: HTTP 503")
        return super().add_to_album(*args, **kw)


def test_the_press_office_is_told_of_a_failure_even_when_ses_failed_the_first_time(
        aws, store, jpeg, root, clock, monkeypatch):
    """A refused file gives up on the first attempt; SES fails; the redelivery must send the email."""
    approved_photo(store, jpeg)
    calls = _ses_failing(monkeypatch, times=1)
    stage = make_stage(Refusing(root), clock)
    with pytest.raises(RuntimeError, match="SES throttled"):  # the message fails: SQS delivers it again
        stage.publish(PID, lease=LEASE, attempt=1)
    assert store.get(PID).state == State.PUBLISH_FAILED and not store.get(PID).notified_at
    assert stage.publish(PID, lease=LEASE, attempt=2).status == "failed"
    assert stage.publish(PID, lease=LEASE, attempt=3).status == "skipped"
    assert len(calls) == 2 and len(sent_emails()) == 1
    photo = store.get(PID)
    assert photo.notified_at
    assert [e["event"] for e in store.audit(PID)][-1] == "press-office-notified"


def test_an_upload_whose_album_step_failed_is_not_uploaded_again_by_the_retry(aws, store, jpeg, root, clock):
    """The retry must not depend on Flickr's search having indexed the first upload."""
    approved_photo(store, jpeg)
    album = Unsearchable(root, album_failures=1)
    stage = make_stage(album, clock)
    with pytest.raises(PublishRetry):
        stage.publish(PID, lease=LEASE, attempt=1)
    assert stage.publish(PID, lease=LEASE, attempt=2).status == "recovered"
    assert len(_published_files(album)) == 1
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.flickr["photoset_id"]


def test_the_last_attempt_records_its_own_upload_when_the_album_step_fails(aws, store, jpeg, root, clock):
    """Uploaded a moment ago, not yet in search: the photo is public, so it is PUBLISHED (outside its album)."""
    approved_photo(store, jpeg)
    album = Unsearchable(root, album_failures=99)
    outcome = make_stage(album, clock).publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert outcome.status == "published"
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.flickr["photoset_id"] == ""
    assert len(_published_files(album)) == 1 and sent_emails() == []


def test_a_photo_that_fails_again_after_pressroom_retry_is_reported_again(aws, store, jpeg, root, clock):
    import boto3

    from pressroom.publishing.service import requeue

    approved_photo(store, jpeg)
    stage = make_stage(Refusing(root), clock)
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "failed"
    requeue(store, boto3.client("sqs"), aws.queue_urls["publish"], PID, actor="cli")
    assert not store.get(PID).notified_at
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "failed"
    assert len(sent_emails()) == 2
