"""The publish handler against moto, driven by events/publish.json: local album and Flickr (double)."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from pressroom import bootstrap
from pressroom.adapters.local_album import LocalAlbum
from pressroom.domain.photos import State
from pressroom.settings import Settings, get_settings
from tests.integration.helpers import invoke, sent_emails
from tests.unit.stages.test_publish import PID, approved_photo

#: the publish queue's maxReceiveCount: the last delivery gives up
MAX_ATTEMPTS = Settings().max_receive_count


def received(event: dict, count: int) -> dict:
    """``event`` as SQS delivers it for the ``count``-th time."""
    event = copy.deepcopy(event)
    for record in event["Records"]:
        record["attributes"]["ApproximateReceiveCount"] = str(count)
    return event


@pytest.fixture
def jpeg(corpus) -> bytes:
    return (corpus / "FujiFilm_SP-2500_orientation6.jpg").read_bytes()


def test_publishes_the_sample_event_to_the_local_album(aws, store, load_event, jpeg):
    event = load_event("publish")
    assert json.loads(event["Records"][0]["body"]) == {"photo_id": PID}
    approved_photo(store, jpeg)
    assert invoke("publish", event) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.PUBLISHED
    album = LocalAlbum(Path(get_settings().local_album_dir))
    assert album.find(f"pressroom:photo={PID}").url == photo.flickr["url"]
    assert "Fun day in the park" in (album.root / "index.html").read_text()
    assert boto3.client("scheduler").get_schedule(Name="stale-account", GroupName="pressroom")

    assert invoke("publish", event) == {"batchItemFailures": []}  # SQS delivered it twice
    assert len(list((album.root / "photos").glob("*.jpg"))) == 1


def test_publishes_to_flickr_when_credentials_are_configured(aws, store, load_event, jpeg, flickr):
    approved_photo(store, jpeg)
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    [(flickr_id, uploaded)] = flickr.photos.items()
    assert uploaded["photo"] == jpeg and f"pressroom:photo={PID}" in uploaded["tag_list"]
    assert "0345 113 5000" in uploaded["description"]
    photo = store.get(PID)
    assert photo.flickr["id"] == flickr_id
    assert photo.flickr["url"] == f"https://www.flickr.com/photos/westmidlandspolice/{flickr_id}/"
    assert flickr.sets[photo.flickr["photoset_id"]]["title"] == "neighbourhood-day"


def test_flickr_down_fails_the_message_until_the_last_attempt(aws, store, load_event, jpeg, flickr):
    approved_photo(store, jpeg)
    event = load_event("publish")
    flickr.fail("upload", *[503] * MAX_ATTEMPTS)
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(BatchProcessingError):  # the whole (one-message) batch failed: SQS retries it
            invoke("publish", received(event, attempt))
        assert store.get(PID).publish_attempts == attempt
    assert invoke("publish", received(event, MAX_ATTEMPTS)) == {"batchItemFailures": []}  # gave up
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "Status code 503" in photo.reason
    assert len(sent_emails()) == 1 and flickr.photos == {}


def test_without_flickr_credentials_a_deployment_gives_up_with_the_reason(aws, store, load_event, jpeg,
                                                                          monkeypatch):
    monkeypatch.delenv("PRESSROOM_LOCAL_ALBUM_DIR")
    bootstrap.reset()
    approved_photo(store, jpeg)
    event = load_event("publish")
    for attempt in range(1, MAX_ATTEMPTS):
        with pytest.raises(BatchProcessingError):
            invoke("publish", received(event, attempt))
    assert invoke("publish", received(event, MAX_ATTEMPTS)) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "fill in the pressroom/flickr secret" in photo.reason


def test_a_malformed_message_fails_only_itself(aws, store, load_event, jpeg):
    approved_photo(store, jpeg)
    event = load_event("publish")
    bad = copy.deepcopy(event["Records"][0])
    bad["messageId"], bad["body"] = "bad-1", "{}"
    event["Records"].append(bad)
    assert invoke("publish", event) == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
    assert store.get(PID).state == State.PUBLISHED


def test_a_non_xml_reply_on_the_last_receive_fails_the_photo_rather_than_the_dlq(aws, store, load_event, jpeg,
                                                                                 flickr):
    approved_photo(store, jpeg)
    flickr.fail("upload", (200, {"Content-Type": "text/html"}, "<html><body>Maintenance"))
    assert invoke("publish", received(load_event("publish"), MAX_ATTEMPTS)) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "ParseError" in photo.reason
    assert len(sent_emails()) == 1


def dead_letter(event: dict) -> dict:
    """``event`` as the publish function receives it from the publish dead-letter queue."""
    event = received(event, MAX_ATTEMPTS + 1)
    for record in event["Records"]:
        record["eventSourceARN"] = get_settings().publish_dead_letter_queue_arn
    return event


def test_a_dead_letter_of_a_photo_stopped_on_every_attempt_is_failed_and_reported(aws, store, load_event, jpeg):
    """Every delivery was stopped (out of time) after claiming: the photo must not stay APPROVED."""
    approved_photo(store, jpeg)
    store.update(PID, State.APPROVED, actor="publish", event="publish-attempt", changes={
        "flickr": {"claim": "c5", "claimed_at": "2026-11-20T09:00:00Z", "lease_until": "2026-11-20T09:06:00Z"},
        "publish_attempts": MAX_ATTEMPTS})
    assert get_settings().publish_dead_letter_queue_arn.endswith(":pressroom-publish-dlq")
    assert invoke("publish", dead_letter(load_event("publish"))) == {"batchItemFailures": []}
    photo = store.get(PID)
    assert photo.state == State.PUBLISH_FAILED and "stopped (out of memory or time)" in photo.reason
    [mail] = sent_emails()
    assert f"pressroom retry {PID}" in mail
    assert not (Path(get_settings().local_album_dir) / "photos").exists()


def test_a_dead_letter_never_uploads(aws, store, load_event, jpeg, flickr):
    approved_photo(store, jpeg)
    assert invoke("publish", dead_letter(load_event("publish"))) == {"batchItemFailures": []}
    assert store.get(PID).state == State.PUBLISH_FAILED
    assert "upload" not in flickr.calls and flickr.photos == {}


def test_publishing_emits_the_time_from_upload_to_publish(aws, store, load_event, jpeg, capsys, request):
    from datetime import timedelta

    from pressroom.domain import clock

    approved_photo(store, jpeg)
    clock.advance(timedelta(hours=3))
    request.addfinalizer(clock.reset)
    capsys.readouterr()
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (value,) = [m["UploadToPublish"] for m in emitted if "UploadToPublish" in m]
    (seconds,) = value if isinstance(value, list) else [value]
    assert 3 * 3600 <= seconds < 4 * 3600
    assert "PublishPublished" in emitted[0]
    invoke("publish", load_event("publish"))  # a second delivery publishes nothing, so emits no time
    assert not any("UploadToPublish" in json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line)
