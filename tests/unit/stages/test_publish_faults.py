"""The publish stage under injected faults: each photo ends in one state, told and audited, uploaded once."""
from __future__ import annotations

import pytest

from pressroom.adapters.local_album import LocalAlbum
from pressroom.adapters.publisher import PublisherUnavailable, PublishRefused
from pressroom.domain.photos import State
from pressroom.stages.publish import PublishRetry
from tests.integration.helpers import sent_emails
from tests.unit.stages.test_publish import (  # noqa: F401 - fixtures
    LEASE,
    MAX_ATTEMPTS,
    PID,
    Flaky,
    _published_files,
    album,
    approved_photo,
    clock,
    jpeg,
    make_stage,
    root,
)


def _ses_failing(monkeypatch, times: int) -> list[str]:
    """SES refuses the next ``times`` messages; the subjects of every attempt are returned."""
    from pressroom.adapters.mail import SesMailer

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
    assert len(_published_files(album)) == 1 and [m for m in sent_emails() if "could not be published" in m] == []


def test_a_photo_that_fails_again_after_pressroom_retry_is_reported_again(aws, store, jpeg, root, clock):
    import boto3

    from pressroom.stages.publish import requeue

    approved_photo(store, jpeg)
    stage = make_stage(Refusing(root), clock)
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "failed"
    requeue(store, boto3.client("sqs"), aws.queue_urls["publish"], PID, actor="cli")
    assert not store.get(PID).notified_at
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "failed"
    assert len(sent_emails()) == 2


# -- the publish dead-letter queue: every delivery was stopped (out of memory or time) or failed ----
class Crash(BaseException):
    """The Lambda being stopped (out of memory or time): no handler code runs after it."""


class Hanging(LocalAlbum):
    """Flickr never answering the upload: the function is stopped at its timeout, every time."""

    def __init__(self, root, upload_first: bool = False):
        super().__init__(root)
        self.upload_first = upload_first

    def publish(self, *args, **kw):
        if self.upload_first:
            super().publish(*args, **kw)
        raise Crash()


def _killed_on_every_attempt(stage, clock):
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises(Crash):
            stage.publish(PID, lease=LEASE, attempt=attempt)
        clock.advance(minutes=30)  # the queue's visibility timeout


def test_a_photo_whose_publish_was_stopped_every_time_fails_visibly_from_the_dead_letter(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    stage = make_stage(Hanging(root), clock)
    _killed_on_every_attempt(stage, clock)
    assert store.get(PID).state == State.APPROVED  # the message is in the dead-letter queue now
    outcome = stage.abandon(PID, lease=LEASE)
    assert outcome.status == "failed"
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "stopped" in photo.reason and photo.notified_at
    assert not (root / "photos").exists()
    [mail] = sent_emails()
    assert f"pressroom retry {PID}" in mail
    assert stage.abandon(PID, lease=LEASE).status == "skipped"  # the dead letter delivered twice
    assert len(sent_emails()) == 1


def test_a_dead_letter_whose_upload_went_through_records_it_published(aws, store, jpeg, root, clock):
    """Stopped after Flickr took the upload but before the reply was recorded: found by its machine tag."""
    approved_photo(store, jpeg)
    album = Hanging(root, upload_first=True)
    stage = make_stage(album, clock)
    with pytest.raises(Crash):
        stage.publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    clock.advance(minutes=30)
    assert stage.abandon(PID, lease=LEASE).status == "recovered"
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.flickr["photoset_id"]
    assert len(_published_files(album)) == 1 and [m for m in sent_emails() if "could not be published" in m] == []
    assert store.account()["last_published_at"]


def test_a_dead_letter_of_a_photo_another_delivery_is_publishing_waits_for_it(aws, store, jpeg, root, clock):
    from pressroom.stages.publish import PublishBusy

    approved_photo(store, jpeg)
    stage = make_stage(Hanging(root), clock)
    with pytest.raises(Crash):
        stage.publish(PID, lease=LEASE, attempt=1)  # its lease is still running
    with pytest.raises(PublishBusy):
        stage.abandon(PID, lease=LEASE)
    assert store.get(PID).state == State.APPROVED


def test_a_dead_letter_after_the_failure_email_failed_sends_it(aws, store, jpeg, root, clock, monkeypatch):
    """The last attempt gave up, SES failed, so the message went to the dead-letter queue."""
    approved_photo(store, jpeg)
    _ses_failing(monkeypatch, times=1)
    stage = make_stage(Flaky(root, failures=99), clock)
    with pytest.raises(RuntimeError, match="SES throttled"):
        stage.publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert stage.abandon(PID, lease=LEASE).status == "failed"
    assert len(sent_emails()) == 1 and store.get(PID).notified_at
    assert store.get(PID).reason.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_a_dead_letter_of_a_published_photo_changes_nothing(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    stage = make_stage(album, clock)
    stage.publish(PID, lease=LEASE, attempt=1)
    trail = store.audit(PID)
    assert stage.abandon(PID, lease=LEASE).status == "already-published"
    assert store.audit(PID) == trail and len(_published_files(album)) == 1


def test_a_conflicting_write_before_the_record_is_retried_not_reported_published(aws, store, jpeg, album, clock,
                                                                               monkeypatch):
    """The conditional write APPROVED → PUBLISHED loses to a concurrent write (the photo is still
    APPROVED): the upload is on the site but not recorded, so the message must fail and the retry
    record it, not be deleted as "already-published"."""
    from pressroom.adapters.store import StaleTransition

    approved_photo(store, jpeg)
    real, conflicts = store.transition, [1]

    def transition(photo_id, expected, to, **kw):
        if to == State.PUBLISHED and conflicts:
            conflicts.pop()
            raise StaleTransition(photo_id, expected, State.APPROVED)
        return real(photo_id, expected, to, **kw)

    monkeypatch.setattr(store, "transition", transition)
    stage = make_stage(album, clock)  # services.store() is the fixture's store
    with pytest.raises(PublishRetry, match="changed before the upload was recorded"):
        stage.publish(PID, lease=LEASE, attempt=1)
    assert store.get(PID).state == State.APPROVED
    assert stage.publish(PID, lease=LEASE, attempt=2).status == "recovered"  # the lease was released
    assert store.get(PID).state == State.PUBLISHED and len(_published_files(album)) == 1


def test_the_last_attempt_keeps_an_upload_whose_page_lookup_failed(aws, store, jpeg, clock):
    """Flickr took the upload, then photos.getInfo failed, and its search has not indexed the new
    photo yet: the upload's id is in hand, so the photo is PUBLISHED, not PUBLISH_FAILED."""
    import responses

    from pressroom.adapters.flickr import connect
    from tests.unit.adapters.test_flickr import CREDENTIALS, FakeFlickr, _ok

    approved_photo(store, jpeg)
    not_indexed = _ok('<photos page="1" pages="0" perpage="1" total="0">\n</photos>')
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = FakeFlickr(mock)
        flickr.fail("photos.getInfo", 503)
        flickr.fail("photos.search", not_indexed, not_indexed)
        outcome = make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    [photo_id] = flickr.photos
    photo = store.get(PID)
    assert (outcome.status, photo.state, photo.flickr["id"]) == ("published", State.PUBLISHED, photo_id)
    assert photo.flickr["url"].startswith("https://flic.kr/p/") and [m for m in sent_emails() if "could not be published" in m] == []
    assert flickr.calls.count("upload") == 1


def test_pressroom_status_says_published_only_of_a_published_photo(aws, store, jpeg, root, clock):
    """A failed photo's record holds its publish claim; the status must not read "published"."""
    from pressroom_local.status import describe_photo, list_photos

    approved_photo(store, jpeg)
    make_stage(Refusing(root), clock).publish(PID, lease=LEASE, attempt=1)
    assert store.get(PID).flickr.get("claim")
    detail = describe_photo(PID)
    assert detail[1].startswith("state     PUBLISH_FAILED") and not any(line.startswith("published") for line in detail)
    import boto3

    from pressroom.stages.publish import requeue

    requeue(store, boto3.client("sqs"), aws.queue_urls["publish"], PID, actor="cli")
    url = make_stage(LocalAlbum(root), clock).publish(PID, lease=LEASE, attempt=1).detail
    assert f"published {url}" in describe_photo(PID)
    assert any(url in line for line in list_photos())


@pytest.mark.parametrize("failure", ["rate-limited", "timed out", "down"])
def test_flickr_refusing_for_now_is_retried_and_publishes_once(aws, store, jpeg, clock, failure):
    import requests
    import responses

    from pressroom.adapters.flickr import connect
    from tests.unit.adapters.test_flickr import CREDENTIALS, FakeFlickr

    injected = {"rate-limited": 429, "timed out": requests.ReadTimeout("read timed out"), "down": 503}[failure]
    approved_photo(store, jpeg)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = FakeFlickr(mock)
        flickr.fail("upload", injected)
        with pytest.raises(PublishRetry, match="attempt 1 of 5"):
            make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=1)
        assert store.get(PID).state == State.APPROVED and flickr.photos == {}
        assert make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=2).status == "published"
    assert len(flickr.photos) == 1 and store.get(PID).state == State.PUBLISHED
    assert "photos.search" in flickr.calls  # the retry looked for an upload of the first attempt first
