"""The publish stage against moto and the real publisher adapters: exactly once, retries, giving up."""
from __future__ import annotations

import email
import hashlib
import json
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

import boto3
import pytest

from pressroom import bootstrap
from pressroom.adapters import aws as aws_clients
from pressroom.adapters import parameters
from pressroom.adapters.flickr import connect
from pressroom.adapters.local_album import LocalAlbum
from pressroom.adapters.publisher import PublisherUnavailable, PublishRefused
from pressroom.domain.messages import PhotoMessage
from pressroom.domain.photos import Photo, State
from pressroom.settings import Settings, get_settings
from pressroom.stages.publish import (
    PublishBusy,
    PublishRetry,
    PublishStage,
    machine_tag,
    publication_of,
    requeue,
)
from tests.integration.helpers import drain, sent_emails
from tests.unit.adapters.test_flickr import CREDENTIALS, FakeFlickr

#: the publish queue's maxReceiveCount: the last delivery gives up
MAX_ATTEMPTS = Settings().max_receive_count

PID = "3f1c2a9b7d4e5f60718293a4"
CLEAN = "pressroom-clean"
T0 = datetime(2026, 11, 20, 10, 30, 0, 250000, tzinfo=UTC)
LEASE = timedelta(minutes=5)


class Clock:
    def __init__(self, start: datetime = T0):
        self.at = start

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


def approved_photo(store, data: bytes, pid: str = PID, album: str = "neighbourhood-day", **captions) -> Photo:
    """An APPROVED photo whose scrubbed copy ``data`` is in the clean bucket."""
    key = f"clean/{pid}.jpg"
    boto3.client("s3").put_object(Bucket=CLEAN, Key=key, Body=data, ContentType="image/jpeg")
    photo = Photo(
        id=pid, state=State.APPROVED, album=album, original_bucket="pressroom-raw",
        original_key=f"incoming/{album}/fun-day.jpg", original_version="v1", uploader="pcso@example.org",
        clean_key=key, sha256=hashlib.sha256(data).hexdigest(), content_type="image/jpeg",
        captions={"title": "Fun day in the park", "description": "PCSOs met residents at the fun day.",
                  "tags": ["community", "fun day"], "credit": "West Midlands Police"} | captions,
    )
    assert store.create(photo, actor="test")
    return photo


@pytest.fixture
def jpeg(corpus) -> bytes:
    return (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def root(aws) -> Path:
    """The local album's directory (conftest points PRESSROOM_LOCAL_ALBUM_DIR at a temporary one)."""
    return Path(get_settings().local_album_dir)


@pytest.fixture
def album(root) -> LocalAlbum:
    return LocalAlbum(root)


def make_stage(publisher, clock: Clock, **kw) -> PublishStage:
    return PublishStage(get_settings(), bootstrap.store(), aws_clients.client("s3"), publisher, bootstrap.mailer(),
                        bootstrap.reminder_timer(), parameters.press_office, now=clock, **kw)


class Flaky(LocalAlbum):
    """The local album, failing its first ``failures`` uploads as Flickr does when it is down."""

    def __init__(self, root, failures: int):
        super().__init__(root)
        self.failures = failures
        self.uploads = 0

    def publish(self, *args, **kw):
        self.uploads += 1
        if self.uploads <= self.failures:
            raise PublisherUnavailable("Flickr upload failed: Error: 105: Service currently unavailable")
        return super().publish(*args, **kw)


class Crash(BaseException):
    """The Lambda dying (timeout, out of memory) right after the upload: no handler runs."""


class CrashAfterUpload(LocalAlbum):
    def __init__(self, root):
        super().__init__(root)
        self.crash = True

    def publish(self, *args, **kw):
        published = super().publish(*args, **kw)
        if self.crash:
            self.crash = False
            raise Crash()
        return published


class DuringUpload(LocalAlbum):
    """Runs ``during`` (another delivery) while this delivery is uploading."""

    def __init__(self, root, during):
        super().__init__(root)
        self.during = during

    def publish(self, *args, **kw):
        self.during()
        return super().publish(*args, **kw)


def _published_files(album: LocalAlbum) -> list[str]:
    return sorted(p.name for p in (album.root / "photos").glob("*.jpg"))


def test_publishes_an_approved_photo(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    outcome = make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    assert outcome.status == "published"
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.publish_attempts == 1
    assert photo.flickr == {"id": photo.flickr["id"], "url": outcome.detail, "photoset_id": photo.flickr["photoset_id"],
                            "machine_tag": f"pressroom:photo={PID}", "published_at": "2026-11-20T10:30:00.250Z"}
    [name] = _published_files(album)
    assert (album.root / "photos" / name).read_bytes() == jpeg and PID in name
    sidecar = json.loads((album.root / "photos" / f"{photo.flickr['id']}.json").read_text())
    assert sidecar["description"].startswith("PCSOs met residents at the fun day.")
    assert "https://www.west-midlands.police.uk" in sidecar["description"]
    assert "0345 113 5000" in sidecar["description"] and "West Midlands Police" in sidecar["description"]
    assert sidecar["tags"] == ["community", "fun day"] and sidecar["album"] == "neighbourhood-day"
    assert sidecar["licence"] == "All Rights Reserved"
    assert [e["event"] for e in store.audit(PID)] == ["created", "publish-attempt", "uploaded", "APPROVED→PUBLISHED",
                                                      "uploader-notified"]


def test_what_is_published_is_what_the_approvers_were_shown(aws, store, jpeg, album, clock):
    photo = approved_photo(store, jpeg, tags=["community", ' "fun   day" ', "community"])
    shown = publication_of(photo, get_settings())
    make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    sidecar = json.loads((album.root / "photos" / f"{store.get(PID).flickr['id']}.json").read_text())
    assert (sidecar["title"], sidecar["description"], tuple(sidecar["tags"]), sidecar["album"]) == (
        shown.title, shown.description, shown.tags, shown.album)
    assert shown.licence.startswith(sidecar["licence"])  # the licence set is the one shown
    assert shown.tags == ("community", "fun day") and shown.credit == "West Midlands Police"
    assert shown.description.endswith("in an emergency, call 999.") and "Photo: West Midlands Police" in shown.description


def test_the_uploader_is_told_once_where_it_was_published(aws, store, jpeg, album, clock, monkeypatch):
    approved_photo(store, jpeg)
    mailer = bootstrap.mailer()
    real = mailer.send

    def down(message):
        raise RuntimeError("SES throttled")

    monkeypatch.setattr(mailer, "send", down)
    with pytest.raises(RuntimeError):  # published, but the notice failed: the message is delivered again
        make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    assert store.get(PID).state == State.PUBLISHED and not store.get(PID).notified_at
    monkeypatch.setattr(mailer, "send", real)
    for attempt in (2, 3):
        assert make_stage(album, clock).publish(PID, lease=LEASE, attempt=attempt).status == "already-published"
    [raw] = sent_emails()
    mail, photo = email.message_from_string(raw, policy=policy.default), store.get(PID)
    assert mail["To"] == "pcso@example.org" and mail["Subject"] == 'Pressroom: your photo "Fun day in the park" is published'
    assert photo.flickr["url"] in mail.get_content() and 'album "neighbourhood-day"' in mail.get_content()
    assert [e["event"] for e in store.audit(PID)].count("uploader-notified") == 1


def test_an_uploader_with_no_address_is_not_told_and_nobody_else_is(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    store.update(PID, State.APPROVED, actor="test", event="test", changes={"uploader": "pcso"})
    assert make_stage(album, clock).publish(PID, lease=LEASE, attempt=1).status == "published"
    assert sent_emails() == []


def test_the_credit_the_uploader_declared_wins_over_the_image_s_own(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg, credit="Image Desk Ltd")
    store.update(PID, State.APPROVED, actor="test", event="declared",
                 changes={"declared": {"x-amz-meta-credit": "PC Jane Doe, Walsall NPT"}})
    make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    sidecar = json.loads((album.root / "photos" / f"{store.get(PID).flickr['id']}.json").read_text())
    assert "PC Jane Doe, Walsall NPT" in sidecar["description"]
    assert "Image Desk" not in sidecar["description"]


def test_publishing_rearms_the_stale_account_reminder(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    account = store.account()
    assert account["last_published_at"] == "2026-11-20T10:30:00.250Z"
    assert account["stale_schedule"] == "stale-account" and account["stale_due"] == "2026-12-04T10:30:01Z"
    schedule = boto3.client("scheduler").get_schedule(Name="stale-account", GroupName="pressroom")
    assert schedule["ScheduleExpression"] == "at(2026-12-04T10:30:01)"
    assert schedule["Target"]["Arn"] == get_settings().staleness_function_arn
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "stale-account", "due": "2026-12-04T10:30:01Z"}


def test_a_duplicate_delivery_publishes_nothing_more(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    stage = make_stage(album, clock)
    first = stage.publish(PID, lease=LEASE, attempt=1)
    again = stage.publish(PID, lease=LEASE, attempt=1)
    assert again.status == "already-published" and again.detail == first.detail
    assert len(_published_files(album)) == 1


def test_a_delivery_during_anothers_upload_backs_off(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    plain = LocalAlbum(root)
    second: list[BaseException] = []

    def second_delivery():
        try:
            make_stage(plain, clock).publish(PID, lease=LEASE, attempt=1)
        except PublishBusy as exc:
            second.append(exc)

    assert make_stage(DuringUpload(root, second_delivery), clock).publish(PID, lease=LEASE, attempt=1).status == "published"
    assert len(second) == 1, "the second delivery must not upload while the first holds the claim"
    assert make_stage(plain, clock).publish(PID, lease=LEASE, attempt=1).status == "already-published"
    assert len(_published_files(plain)) == 1


def test_two_deliveries_that_read_together_upload_once(aws, store, jpeg, album, clock):
    """B reads the record, then A claims, uploads and records before B's claim is written."""
    approved_photo(store, jpeg)
    real_update = store.update
    interleaved = []

    class ReadThenWait(type(store)):
        def update(self, *args, **kw):
            if not interleaved:
                interleaved.append(make_stage(album, clock).publish(PID, lease=LEASE, attempt=1))  # delivery A, whole
            return real_update(*args, **kw)

    slow_store = ReadThenWait(aws_clients.client("dynamodb"), get_settings().table_name)
    b = PublishStage(get_settings(), slow_store, aws_clients.client("s3"), album, bootstrap.mailer(),
                     bootstrap.reminder_timer(), parameters.press_office, now=clock)
    with pytest.raises(PublishBusy):
        b.publish(PID, lease=LEASE, attempt=1)
    assert interleaved[0].status == "published"
    assert len(_published_files(album)) == 1
    assert b.publish(PID, lease=LEASE, attempt=1).status == "already-published"


def test_a_crash_after_the_upload_is_recovered_by_machine_tag(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    album = CrashAfterUpload(root)
    stage = make_stage(album, clock)
    with pytest.raises(Crash):
        stage.publish(PID, lease=LEASE, attempt=1)
    uploaded = album.find(machine_tag(PID))
    assert uploaded is not None and store.get(PID).state == State.APPROVED
    with pytest.raises(PublishBusy):  # the crashed invocation's lease has not run out
        stage.publish(PID, lease=LEASE, attempt=2)
    clock.advance(minutes=6, seconds=1)
    outcome = stage.publish(PID, lease=LEASE, attempt=3)
    assert outcome.status == "recovered"
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.flickr["id"] == uploaded.photo_id
    assert uploaded.photoset_id == "" and photo.flickr["photoset_id"] == album.find(machine_tag(PID)).photoset_id != ""
    assert len(_published_files(album)) == 1
    assert store.account()["stale_due"] == "2026-12-04T10:36:02Z"


def test_flickr_crash_between_upload_and_set_is_recovered_into_the_set(aws, store, jpeg, clock):
    import responses

    approved_photo(store, jpeg)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = FakeFlickr(mock)
        stage = make_stage(connect(CREDENTIALS), clock)
        flickr.fail("photosets.getList", 503)
        with pytest.raises(PublishRetry, match="attempt 1 of 5"):
            stage.publish(PID, lease=LEASE, attempt=1)
        assert store.get(PID).flickr["lease_until"] == "2026-11-20T10:30:00.250Z"  # released at once
        outcome = make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=2)
    assert outcome.status == "recovered"
    [photo_id] = flickr.photos
    [photoset] = flickr.sets.values()
    assert photoset == {"title": "neighbourhood-day", "primary": photo_id, "photos": [photo_id]}
    assert store.get(PID).flickr["id"] == photo_id
    # the retry knew the upload from the record: no reliance on Flickr's search having indexed it
    assert flickr.calls.count("upload") == 1 and "photos.search" not in flickr.calls


def test_flickr_down_is_retried_and_counted(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    album = Flaky(root, failures=2)
    stage = make_stage(album, clock)
    for attempt in (1, 2):
        with pytest.raises(PublishRetry, match=f"attempt {attempt} of {MAX_ATTEMPTS}"):
            stage.publish(PID, lease=LEASE, attempt=attempt)
        assert store.get(PID).publish_attempts == attempt
    assert stage.publish(PID, lease=LEASE, attempt=3).status == "published"
    events = [e["event"] for e in store.audit(PID)]
    assert events.count("publish-attempt") == 3 and events.count("publish-attempt-failed") == 2
    assert len(_published_files(album)) == 1


def test_gives_up_after_the_last_attempt_and_tells_the_press_office(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    album = Flaky(root, failures=99)
    stage = make_stage(album, clock)
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(PublishRetry):
            stage.publish(PID, lease=LEASE, attempt=attempt)
    outcome = stage.publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert outcome.status == "failed"
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED
    assert photo.reason.startswith(f"gave up after {MAX_ATTEMPTS} attempts: Flickr upload failed")
    [mail] = sent_emails()
    assert "press.office@press-office.example" in mail and f"pressroom retry {PID}" in mail
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "skipped"


class LostReply(FakeFlickr):
    """Flickr takes each upload, but its reply is lost on the way (a 502 from its edge)."""

    def _upload(self, request):
        super()._upload(request)
        return 502, {"Content-Type": "text/html"}, "<html><body>Bad Gateway</body></html>"


def test_the_last_attempt_records_an_upload_that_succeeded_before_flickr_failed(aws, store, jpeg, clock):
    import responses

    approved_photo(store, jpeg)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = LostReply(mock)  # the upload went through; its reply did not: found by machine tag
        outcome = make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert outcome.status == "recovered" and flickr.calls.count("upload") == 1
    [photo_id] = flickr.photos
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED and photo.flickr["id"] == photo_id
    assert [m for m in sent_emails() if "could not be published" in m] == []


def test_the_last_receive_gives_up_whatever_the_claim_count(aws, store, jpeg, root, clock):
    """Receives that never claimed (busy, crashed before the claim) still count toward the DLQ."""
    approved_photo(store, jpeg)
    outcome = make_stage(Flaky(root, failures=99), clock).publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert outcome.status == "failed" and store.get(PID).publish_attempts == 1
    assert store.get(PID).reason.startswith(f"gave up after {MAX_ATTEMPTS} attempts")
    assert len(sent_emails()) == 1


def test_an_unexpected_error_is_retried_then_given_up_with_its_reason(aws, store, jpeg, root, clock):
    from xml.etree.ElementTree import ParseError

    class Garbled(LocalAlbum):  # flickrapi parsing a 200 reply that is not XML
        def publish(self, *args, **kw):
            raise ParseError("syntax error: line 1, column 0")

    approved_photo(store, jpeg)
    stage = make_stage(Garbled(root), clock)
    with pytest.raises(ParseError):
        stage.publish(PID, lease=LEASE, attempt=1)
    assert store.get(PID).flickr["lease_until"] == "2026-11-20T10:30:00.250Z"  # released for the retry
    outcome = stage.publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS)
    assert outcome.status == "failed"
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "ParseError" in photo.reason
    [mail] = sent_emails()
    assert "could not be published" in mail


PID2 = "0b9e8d7c6f5a4b3c2d1e0f99"


class DuringNewSet:
    """A publisher running ``during`` (another delivery) while it makes or finds an album's set,
    then ``after`` (e.g. a crash) once it has."""

    def __init__(self, inner, during=lambda: None, after=lambda: None):
        self._inner, self._during, self._after = inner, during, after

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def add_to_album(self, photo_id, album, photoset_id):
        if photoset_id is None:
            self._during()
            set_id = self._inner.add_to_album(photo_id, album, photoset_id)
            self._after()
            return set_id
        return self._inner.add_to_album(photo_id, album, photoset_id)


def test_two_photos_of_a_new_album_published_together_make_one_set(aws, store, jpeg, clock):
    import responses

    approved_photo(store, jpeg)
    approved_photo(store, jpeg, pid=PID2)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = FakeFlickr(mock)
        second: list[BaseException] = []

        def other_delivery():
            try:
                make_stage(connect(CREDENTIALS), clock).publish(PID2, lease=LEASE, attempt=1)
            except PublishRetry as exc:
                second.append(exc)

        first = make_stage(DuringNewSet(connect(CREDENTIALS), during=other_delivery), clock)
        assert first.publish(PID, lease=LEASE, attempt=1).status == "published"
        assert len(second) == 1 and "being made by another delivery" in str(second[0])
        assert make_stage(connect(CREDENTIALS), clock).publish(PID2, lease=LEASE, attempt=2).status == "recovered"
    [(set_id, photoset)] = flickr.sets.items()
    a, b = store.get(PID).flickr, store.get(PID2).flickr
    assert photoset == {"title": "neighbourhood-day", "primary": a["id"], "photos": [a["id"], b["id"]]}
    assert a["photoset_id"] == b["photoset_id"] == set_id == store.album("neighbourhood-day")["photoset_id"]
    assert flickr.calls.count("upload") == 2 and flickr.calls.count("photosets.create") == 1


def test_an_album_claim_abandoned_by_a_crash_is_taken_over_after_its_lease(aws, store, jpeg, clock):
    import responses

    approved_photo(store, jpeg)
    approved_photo(store, jpeg, pid=PID2)

    def crash():
        raise Crash()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        flickr = FakeFlickr(mock)
        with pytest.raises(Crash):  # the set was made, the table never heard of it
            make_stage(DuringNewSet(connect(CREDENTIALS), after=crash), clock).publish(PID, lease=LEASE, attempt=1)
        with pytest.raises(PublishRetry, match="being made by another delivery"):
            make_stage(connect(CREDENTIALS), clock).publish(PID2, lease=LEASE, attempt=1)
        clock.advance(minutes=6, seconds=1)
        assert make_stage(connect(CREDENTIALS), clock).publish(PID2, lease=LEASE, attempt=2).status == "recovered"
        assert make_stage(connect(CREDENTIALS), clock).publish(PID, lease=LEASE, attempt=2).status == "recovered"
    [(set_id, photoset)] = flickr.sets.items()  # the takeover found the crashed delivery's set by title
    assert sorted(photoset["photos"]) == sorted([store.get(PID).flickr["id"], store.get(PID2).flickr["id"]])
    assert store.album("neighbourhood-day")["photoset_id"] == set_id


def test_a_set_deleted_on_the_site_is_made_again_and_recorded(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    approved_photo(store, jpeg, pid=PID2)
    make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    gone = store.get(PID).flickr["photoset_id"]
    (album.root / "sets.json").write_text("{}")  # someone deleted the set on the site
    assert make_stage(album, clock).publish(PID2, lease=LEASE, attempt=1).status == "published"
    remade = store.get(PID2).flickr["photoset_id"]
    assert remade not in ("", gone) and store.album("neighbourhood-day")["photoset_id"] == remade


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_a_missing_or_changed_clean_copy_fails_at_once(aws, store, jpeg, album, clock, damage):
    approved_photo(store, jpeg)
    s3 = boto3.client("s3")
    if damage == "missing":
        for version in s3.list_object_versions(Bucket=CLEAN)["Versions"]:
            s3.delete_object(Bucket=CLEAN, Key=version["Key"], VersionId=version["VersionId"])
    else:
        s3.put_object(Bucket=CLEAN, Key=f"clean/{PID}.jpg", Body=jpeg + b"tampered")
    outcome = make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    assert outcome.status == "failed"
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and photo.publish_attempts == 1
    assert ("missing from the clean bucket" if damage == "missing" else "is not the approved file") in photo.reason
    assert not (album.root / "photos").exists()
    assert len(sent_emails()) == 1


def _blurred_approval(store, jpeg, blurred: bytes) -> None:
    """An approval that asked for the faces to be blurred, its copy ``blurred`` (its sha256 recorded)."""
    approved_photo(store, jpeg)
    redaction = {"choices": ["faces"], "key": f"redacted/{PID}.jpg", "sha256": hashlib.sha256(blurred).hexdigest()}
    store.update(PID, State.APPROVED, actor="test", event="test", changes={"decision": {
        "action": "approve", "by": "a@x", "redaction": redaction}})


def test_the_blurred_copy_the_approval_names_is_published_not_the_scrubbed_one(aws, store, jpeg, album, clock):
    blurred = b"\xff\xd8 the blurred copy"
    _blurred_approval(store, jpeg, blurred)
    boto3.client("s3").put_object(Bucket=CLEAN, Key=f"redacted/{PID}.jpg", Body=blurred)
    assert make_stage(album, clock).publish(PID, lease=LEASE, attempt=1).status == "published"
    [name] = _published_files(album)
    assert name.endswith(f"_{PID}.jpg") and (album.root / "photos" / name).read_bytes() == blurred


@pytest.mark.parametrize("damage", ["missing", "changed"])
def test_a_missing_or_changed_blurred_copy_fails_at_once_and_the_unblurred_one_is_not_published(
        aws, store, jpeg, album, clock, damage):
    _blurred_approval(store, jpeg, b"the blurred copy")
    if damage == "changed":
        boto3.client("s3").put_object(Bucket=CLEAN, Key=f"redacted/{PID}.jpg", Body=b"another copy")
    outcome = make_stage(album, clock).publish(PID, lease=LEASE, attempt=1)
    assert outcome.status == "failed" and _published_files(album) == []
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED
    assert ("is missing from the clean bucket; the unblurred copy was not published in its place" if damage == "missing"
            else "is not the one the approver saw") in photo.reason


def test_a_refused_file_fails_at_once(aws, store, jpeg, root, clock):
    class Refusing(LocalAlbum):
        def publish(self, *args, **kw):
            raise PublishRefused("Flickr refused the upload: Error: 5: Filetype was not recognised")

    approved_photo(store, jpeg)
    outcome = make_stage(Refusing(root), clock).publish(
        PID, lease=LEASE, attempt=1)
    assert outcome.status == "failed" and "not recognised" in store.get(PID).reason


def test_a_photo_that_is_not_approved_is_left_alone(aws, store, jpeg, album, clock):
    approved_photo(store, jpeg)
    store.transition(PID, State.APPROVED, State.PUBLISH_FAILED, actor="test",
                     changes={"reason": "x", "notified_at": "2026-11-20T10:00:00Z"})
    assert make_stage(album, clock).publish(PID, lease=LEASE, attempt=1).status == "skipped"
    assert make_stage(album, clock).publish("0" * 24, lease=LEASE, attempt=1).status == "skipped"


def test_retry_requeues_a_failed_photo_which_then_publishes_once(aws, store, jpeg, root, clock):
    approved_photo(store, jpeg)
    album = Flaky(root, failures=MAX_ATTEMPTS)
    stage = make_stage(album, clock)
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(PublishRetry):
            stage.publish(PID, lease=LEASE, attempt=attempt)
    assert stage.publish(PID, lease=LEASE, attempt=MAX_ATTEMPTS).status == "failed"

    sqs = boto3.client("sqs")
    photo = requeue(store, sqs, aws.queue_urls["publish"], PID, actor="press.office@example.org")
    assert photo.state == State.APPROVED and photo.publish_attempts == 0 and photo.reason == ""
    [message] = drain(sqs, aws.queue_urls["publish"])
    assert PhotoMessage.parse(message["Body"]).photo_id == PID
    assert stage.publish(PID, lease=LEASE, attempt=1).status == "published"
    assert len(_published_files(album)) == 1
    with pytest.raises(LookupError, match="PUBLISHED"):
        requeue(store, sqs, aws.queue_urls["publish"], PID, actor="cli")
    with pytest.raises(LookupError, match="no photo"):
        requeue(store, sqs, aws.queue_urls["publish"], "0" * 24, actor="cli")


def test_an_approved_photo_can_be_queued_again(aws, store, jpeg):
    approved_photo(store, jpeg)
    sqs = boto3.client("sqs")
    assert requeue(store, sqs, aws.queue_urls["publish"], PID, actor="cli").state == State.APPROVED
    assert len(drain(sqs, aws.queue_urls["publish"])) == 1


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"photo_id": 5}', '{"photo_id": "../x"}', "{}"])
def test_malformed_messages_are_rejected(body):
    with pytest.raises(ValueError):
        PhotoMessage.parse(body)


def test_machine_tag():
    assert machine_tag(PID) == "pressroom:photo=3f1c2a9b7d4e5f60718293a4"
