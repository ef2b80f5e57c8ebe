"""Pure pieces of the pipeline's plumbing: events, keys, clocks, metadata encoding."""
import json
from datetime import UTC, datetime, timedelta

import pytest

from pressroom.adapters.timers import at_expression, parse_at
from pressroom.domain import clock
from pressroom.domain.messages import created_objects
from pressroom.domain.metadata import decode_metadata, encode_metadata
from pressroom.settings import Settings
from pressroom.stages.policy import photo_id_of_clean_key
from pressroom.stages.scrub import _captions
from pressroom_local.api import http_event
from pressroom_local.emulator import _rate, sqs_event


def test_created_objects_unquotes_keys_and_skips_other_events():
    body = json.dumps({"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"},
                                                  "object": {"key": "incoming/My+Album/caf%C3%A9.jpg", "size": 5,
                                                             "versionId": "v1"}}},
        {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "x"}}},
    ]})
    [obj] = created_objects(body)
    assert (obj.bucket, obj.key, obj.version, obj.size) == ("b", "incoming/My Album/café.jpg", "v1", 5)
    assert created_objects(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"})) == []


def test_clean_keys_name_their_photo():
    assert photo_id_of_clean_key("clean/abc123.jpg") == "abc123"
    for bad in ("incoming/a/b.jpg", "clean/", "clean/sub/x.jpg"):
        with pytest.raises(ValueError):
            photo_id_of_clean_key(bad)


def test_declared_captions_win_and_a_title_is_always_there():
    read = {"title": "From XMP", "description": "From IPTC", "tags": ["a"]}
    merged = _captions(read, {"title": "Declared", "tags": "x, y,"}, "incoming/a/b.jpg")
    assert merged["title"] == "Declared" and merged["description"] == "From IPTC" and merged["tags"] == ["x", "y"]
    assert _captions({}, {}, "incoming/a/park_clean-up.jpg")["title"] == "Park clean up"


def test_metadata_round_trips_non_ascii_text():
    long = "Café opening on the high street with the neighbourhood team, résidents and the councillor " * 3
    for text in ("plain", "Café in Digbeth — 5★", long):
        encoded = encode_metadata(text)
        # one line: an HTTP header value cannot hold a line break (S3 refuses, botocore's stubs too)
        assert encoded.isascii() and "\n" not in encoded and "\r" not in encoded
        assert decode_metadata(encoded) == text


def test_a_long_non_ascii_description_uploads(aws, tmp_path):
    import boto3

    from pressroom_local.uploads import upload

    photo = tmp_path / "café.jpg"
    photo.write_bytes(b"\xff\xd8 not scrubbed here")
    description = "Résidents and PCSOs cleared litter from the canal towpath near the Café Bleu, Digbeth. " * 2
    upload(photo, "neighbourhood-day", {"description": description})
    head = boto3.client("s3").head_object(Bucket="pressroom-raw", Key="incoming/neighbourhood-day/café.jpg")
    assert decode_metadata(head["Metadata"]["description"]) == description


def test_at_expressions_round_trip_in_utc():
    when = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    assert at_expression(when) == "at(2026-12-01T09:30:00)"
    assert parse_at(at_expression(when)) == when
    assert parse_at("rate(15 minutes)") is None
    assert _rate("rate(15 minutes)") == timedelta(minutes=15) and _rate("rate(1 day)") == timedelta(days=1)


def test_clock_only_moves_forward_and_resets():
    before = clock.now()
    clock.advance(timedelta(days=3))
    try:
        assert clock.now() - before >= timedelta(days=3)
        with pytest.raises(ValueError):
            clock.advance(timedelta(seconds=-1))
    finally:
        clock.reset()
    assert clock.now() - before < timedelta(days=1)


def test_settings_are_typed_and_reject_bad_numbers():
    settings = Settings.from_env({"PRESSROOM_LINK_TTL_SECONDS": "60", "PRESSROOM_RAW_BUCKET": "r"})
    assert settings.link_ttl_seconds == 60 and settings.raw_bucket == "r"
    with pytest.raises(ValueError, match="PRESSROOM_STALE_AFTER_DAYS"):
        Settings.from_env({"PRESSROOM_STALE_AFTER_DAYS": "two weeks"})


def test_sqs_event_has_lambdas_shape():
    event = sqs_event([{"MessageId": "m1", "ReceiptHandle": "r1", "Body": "{}",
                        "Attributes": {"ApproximateReceiveCount": "2"}}], "arn:aws:sqs:eu-west-2:1:q", "eu-west-2")
    [record] = event["Records"]
    assert record["eventSource"] == "aws:sqs" and record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageId"] == "m1" and record["eventSourceARN"].endswith(":q")


def test_http_event_keeps_forms_as_text_and_binary_as_base64():
    form = http_event("POST", "/review/p1?t=abc", {"content-type": "application/x-www-form-urlencoded"},
                      b"action=approve", "127.0.0.1")
    assert form["rawPath"] == "/review/p1" and form["queryStringParameters"] == {"t": "abc"}
    assert form["body"] == "action=approve" and form["isBase64Encoded"] is False
    assert form["requestContext"]["http"]["method"] == "POST"
    binary = http_event("POST", "/x", {"content-type": "image/jpeg"}, b"\xff\xd8", "127.0.0.1")
    assert binary["isBase64Encoded"] is True and binary["body"] == "/9g="


def test_scheduler_context_attributes_are_filled_in():
    from pressroom_local.emulator import _with_context
    from pressroom_local.resources import COMMENTS_INPUT

    payload = json.loads(_with_context(json.dumps(COMMENTS_INPUT), {"Arn": "arn:aws:scheduler:x"}))
    assert payload["kind"] == "poll-comments" and payload["schedule_arn"] == "arn:aws:scheduler:x"
    assert payload["attempt"] == "1" and "<" not in json.dumps(payload)
    datetime.fromisoformat(payload["scheduled_time"].replace("Z", "+00:00"))


def test_a_caption_with_line_breaks_makes_a_one_line_subject():
    from pressroom.adapters.mail import Email, to_mime

    message = to_mime(Email(to=["a@example.org"], subject='Your photo "Community day\nSutton\r\nPark" was blocked',
                            text="body", headers={"X-Photo": "a\nb"}), "pressroom@example.org")
    assert message["Subject"] == 'Your photo "Community day Sutton Park" was blocked'
    assert message["X-Photo"] == "a b"
    assert b"\nSutton" not in message.as_bytes()
