"""Taking a published photo down (pressroom.stages.takedown) against moto and the real publishers."""
from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
import responses

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.adapters.flickr import connect
from pressroom.adapters.local_album import LocalAlbum
from pressroom.adapters.publisher import PublisherUnavailable
from pressroom.domain.photos import State
from pressroom.settings import Settings, get_settings
from pressroom.stages.publish import PublishStage
from pressroom.stages.takedown import (
    CONSENT_WITHDRAWN,
    TakedownRetry,
    TakedownStage,
    mode_for,
    request_takedown,
)
from tests.integration.helpers import sent_emails
from tests.unit.adapters.test_flickr import CREDENTIALS, FakeFlickr
from tests.unit.stages.test_publish import LEASE, PID, Clock, approved_photo


@pytest.fixture
def jpeg(corpus) -> bytes:
    return (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()


def published(store, jpeg, publisher, pid: str = PID):
    """``pid`` approved, then published through the real publish stage to ``publisher``."""
    from pressroom.adapters import aws

    approved_photo(store, jpeg, pid=pid)
    stage = PublishStage(get_settings(), store, aws.client("s3"), publisher, bootstrap.mailer(), bootstrap.reminder_timer(),
                         parameters.press_office, now=Clock())
    assert stage.publish(pid, lease=LEASE, attempt=1).status == "published"
    return store.get(pid)


def takedown_stage(store, publisher, settings: Settings | None = None) -> TakedownStage:
    return TakedownStage(settings or get_settings(), store, publisher, bootstrap.mailer(), parameters.press_office)


def _mails() -> list[email.message.EmailMessage]:
    return [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]


@pytest.fixture
def album(aws) -> LocalAlbum:
    return LocalAlbum(Path(get_settings().local_album_dir))


def test_asking_records_who_when_why_and_the_kind_once(store, jpeg, album):
    published(store, jpeg, album)
    photo = request_takedown(store, PID, by="press.office@press-office.example", why=" He was charged today. ",
                             kind="charged", via="link", nonce="n1")
    assert photo.state == State.TAKING_DOWN and "n1" in photo.used_nonces
    assert {k: photo.takedown[k] for k in ("by", "why", "kind", "mode", "via", "round")} == {
        "by": "press.office@press-office.example", "why": "He was charged today.", "kind": "charged",
        "mode": "delete", "via": "link", "round": 1}
    (event,) = [e for e in store.audit(PID) if e.get("to") == "TAKING_DOWN"]
    assert event["actor"] == "press.office@press-office.example" and event["detail"]["why"] == "He was charged today."
    again = request_takedown(store, PID, by="cli:someone", why="still up?", kind="other", via="cli")
    assert again.takedown["round"] == 2 and again.takedown["by"] == "press.office@press-office.example"


@pytest.mark.parametrize(("kind", "why", "problem"), [("nonsense", "x", "kind of reason"), ("other", "  ", "give the reason"),
                                                      ("other", "x" * 2001, "under 2000")])
def test_asking_needs_a_known_kind_and_a_reason(store, jpeg, album, kind, why, problem):
    published(store, jpeg, album)
    with pytest.raises(ValueError, match=problem):
        request_takedown(store, PID, by="x", why=why, kind=kind, via="cli")
    assert store.get(PID).state == State.PUBLISHED


def test_only_a_published_photo_can_be_taken_down(store, jpeg):
    approved_photo(store, jpeg)
    with pytest.raises(LookupError, match="APPROVED"):
        request_takedown(store, PID, by="x", why="y", kind="other", via="cli")
    with pytest.raises(LookupError, match="no photo"):
        request_takedown(store, "ffffffffffffffffffffffff", by="x", why="y", kind="other", via="cli")


def test_taken_down_from_the_local_album_and_the_uploader_told_once(store, jpeg, album):
    photo = published(store, jpeg, album)
    assert photo.flickr["id"] in (album.root / "index.html").read_text()
    request_takedown(store, PID, by="cli:jo", why="A mistake: wrong event.", kind="mistake", via="cli")
    stage = takedown_stage(store, album)
    outcome = stage.take_down(PID, attempt=1)
    assert outcome.status == "taken-down" and outcome.detail == "deleted"
    done = store.get(PID)
    assert done.state == State.TAKEN_DOWN and done.takedown["how"] == "deleted" and done.takedown["done_at"]
    assert not list((album.root / "photos").iterdir()) and photo.flickr["id"] not in (album.root / "index.html").read_text()
    assert album.find(f"pressroom:photo={PID}") is None
    [mail] = _mails()
    assert mail["To"] == "pcso@example.org" and "taken down" in mail["Subject"]
    assert "A mistake: wrong event." in mail.get_body(("plain",)).get_content()
    assert stage.take_down(PID, attempt=2).status == "already"  # a second delivery: nothing more
    assert len(sent_emails()) == 1


def test_private_mode_hides_it_but_a_withdrawn_consent_always_deletes(store, jpeg, album, monkeypatch):
    monkeypatch.setenv("PRESSROOM_TAKEDOWN_MODE", "private")
    bootstrap.reset()
    settings = get_settings()
    assert mode_for("charged", settings) == "private" and mode_for(CONSENT_WITHDRAWN, settings) == "delete"
    published(store, jpeg, album)
    request_takedown(store, PID, by="x", why="A court order came in.", kind="court-order", via="cli")
    assert takedown_stage(store, album).take_down(PID, attempt=1).detail == "made private and taken out of its album"
    sidecar = next((album.root / "photos").glob("*.json")).read_text()
    assert '"private": true' in sidecar and '"photoset_id": ""' in sidecar
    assert "Fun day in the park" not in (album.root / "index.html").read_text()


def test_flickr_down_is_retried_and_the_last_attempt_tells_the_press_office_once_a_round(store, jpeg, aws):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeFlickr(mock)
        flickr = connect(CREDENTIALS)
        photo = published(store, jpeg, flickr)
        request_takedown(store, PID, by="x", why="Consent withdrawn by email.", kind=CONSENT_WITHDRAWN, via="cli")
        stage = takedown_stage(store, flickr)
        fake.fail("photosets.removePhoto", 503, 503, 503)
        for attempt in (1, 2):
            with pytest.raises(TakedownRetry):
                stage.take_down(PID, attempt=attempt)
        assert sent_emails() == [] and store.get(PID).state == State.TAKING_DOWN
        with pytest.raises(TakedownRetry):
            stage.take_down(PID, attempt=5)
        [still_up] = _mails()
        assert "still on Flickr" in still_up["Subject"] and still_up["To"] == "press.office@press-office.example"
        assert f"pressroom takedown {PID}" in still_up.get_body(("plain",)).get_content()
        fake.fail("photos.delete", 503)
        with pytest.raises(TakedownRetry):
            stage.take_down(PID, attempt=6)  # the dead-letter queue's redrive: same round, told already
        assert len(sent_emails()) == 1
        assert stage.take_down(PID, attempt=7).status == "taken-down"
        assert photo.flickr["id"] in fake.deleted and photo.flickr["id"] not in fake.photos
        assert fake.bad_signatures == 0


def test_a_token_that_may_not_delete_hides_the_photo_and_asks_for_it_to_be_deleted_by_hand(store, jpeg, aws):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeFlickr(mock)
        flickr = connect(CREDENTIALS)
        photo = published(store, jpeg, flickr)
        fake.perms = "write"
        request_takedown(store, PID, by="x", why="She withdrew consent.", kind=CONSENT_WITHDRAWN, via="cli")
        outcome = takedown_stage(store, flickr).take_down(PID, attempt=1)
    assert outcome.status == "taken-down" and "made private" in outcome.detail
    assert fake.photos[photo.flickr["id"]]["is_public"] == "0"
    subjects = [m["Subject"] for m in _mails()]
    assert any("delete" in s and "by hand" in s for s in subjects) and any("taken down" in s for s in subjects)


def test_a_photo_with_no_recorded_upload_is_recorded_taken_down(store, jpeg, album):
    published(store, jpeg, album)
    store.update(PID, State.PUBLISHED, actor="t", event="t", changes={"flickr": {}})
    request_takedown(store, PID, by="x", why="y", kind="other", via="cli")
    assert takedown_stage(store, album).take_down(PID, attempt=1).detail.startswith("nothing to remove")


def test_an_unavailable_publisher_is_never_taken_for_done(store, jpeg, album):
    published(store, jpeg, album)
    request_takedown(store, PID, by="x", why="y", kind="other", via="cli")

    class Down(LocalAlbum):
        def delete(self, photo_id):
            raise PublisherUnavailable("Flickr 503")

    with pytest.raises(TakedownRetry, match="Flickr 503"):
        takedown_stage(store, Down(album.root)).take_down(PID, attempt=1)
    assert store.get(PID).state == State.TAKING_DOWN
