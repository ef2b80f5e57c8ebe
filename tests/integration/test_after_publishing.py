"""After publishing, against moto: the photo table's stream drives photo_events, which queues work
for amend; the amend API serves the signed links. Every AWS call each handler makes is checked
against its role in template.yaml (conftest's ``permissions``)."""
from __future__ import annotations

import email
import json
import re
from email import policy
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest

from pressroom.adapters.local_album import LocalAlbum
from pressroom.domain.photos import State
from pressroom.settings import get_settings
from pressroom.stages.takedown import request_takedown
from pressroom.stages.update import CorrectionRefused, request_correction
from pressroom_local.api import http_event
from tests.integration.helpers import Stream, drain, follow, invoke, sent_emails
from tests.unit.stages.test_publish import PID, approved_photo

ORIGIN = "http://127.0.0.1:8787"  # the approval base URL's origin (the default setting)
OFFICE = "press.office@press-office.example"


@pytest.fixture
def jpeg(corpus) -> bytes:
    return (corpus / "Sony_Cybershot_orientation6.jpg").read_bytes()


@pytest.fixture
def stream(aws) -> Stream:
    return Stream(aws.stream_arn)


def _mails() -> list[email.message.EmailMessage]:
    return [email.message_from_string(raw, policy=policy.default) for raw in sent_emails()]


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def _link(kind: str, to: str | None = None) -> str:
    for message in reversed(_mails()):
        if to is None or to in message["To"]:
            found = re.search(rf"https?://\S+/{kind}/[0-9a-f]+\?t=\S+", _text(message))
            if found:
                return found.group(0)
    raise AssertionError(f"no {kind} link was emailed")


def _get(link: str) -> dict:
    parts = urlsplit(link)
    return invoke("amend_api", http_event("GET", f"{parts.path}?{parts.query}", {"host": parts.netloc}, b"", "203.0.113.9"))


def _post(link: str, fields: list[tuple[str, str]], **headers: str) -> dict:
    parts = urlsplit(link)
    token = parse_qs(parts.query)["t"][0]
    page = _get(link)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page["body"])
    body = urlencode([("t", token), ("csrf", csrf.group(1) if csrf else ""), *fields]).encode()
    sent = {"host": parts.netloc, "content-type": "application/x-www-form-urlencoded", "origin": ORIGIN,
            "sec-fetch-site": "same-origin", **headers}
    return invoke("amend_api", http_event("POST", parts.path, sent, body, "203.0.113.9"))


def published(aws, store, load_event, jpeg, stream) -> None:
    approved_photo(store, jpeg)
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    assert follow(aws, stream, load_event) == []
    assert store.get(PID).state == State.PUBLISHED


def test_publishing_tells_the_uploader_and_gives_the_press_office_a_take_down_link(aws, store, load_event, jpeg,
                                                                                   stream):
    published(aws, store, load_event, jpeg, stream)
    notices = [m for m in _mails() if "Flickr" in m["Subject"] or "published" in m["Subject"].lower()]
    uploader = next(m for m in notices if m["To"] == "pcso@example.org")
    assert store.get(PID).flickr["url"] in _text(uploader) and "/takedown/" not in _text(uploader)
    office = next(m for m in notices if m["To"] == OFFICE and "published \"" in m["Subject"])
    assert re.search(rf"/takedown/{PID}\?t=", _text(office))
    assert store.get(PID).published_notified_at
    before = len(sent_emails())
    assert follow(aws, stream, load_event) == [] and len(sent_emails()) == before  # a redelivery sends nothing


def test_the_take_down_link_shows_changes_nothing_then_takes_the_photo_down_once(aws, store, load_event, jpeg,
                                                                                stream):
    published(aws, store, load_event, jpeg, stream)
    album = LocalAlbum(Path(get_settings().local_album_dir))
    link = _link("takedown", OFFICE)
    for _ in range(2):  # a mail scanner opening the link, twice
        page = _get(link)
        assert page["statusCode"] == 200 and 'id="takedown"' in page["body"]
    assert store.get(PID).state == State.PUBLISHED and "Fun day in the park" in (album.root / "index.html").read_text()
    assert "no-store" in page["headers"]["Cache-Control"] and "frame-ancestors 'none'" in page["headers"][
        "Content-Security-Policy"]

    missing = _post(link, [("kind", "charged"), ("reason", "")])
    assert missing["statusCode"] == 400 and store.get(PID).state == State.PUBLISHED
    foreign = _post(link, [("kind", "charged"), ("reason", "x")], origin="https://evil.example", **{"sec-fetch-site": "cross-site"})
    assert foreign["statusCode"] == 403 and store.get(PID).state == State.PUBLISHED

    done = _post(link, [("kind", "consent-withdrawn"), ("reason", "The volunteer <b>withdrew</b> consent.")])
    assert done["statusCode"] == 200 and "<b>withdrew" not in done["body"]
    assert store.get(PID).state == State.TAKING_DOWN
    assert [json.loads(b) for b in follow(aws, stream, load_event)] == [
        {"kind": "takedown", "photo_id": PID, "round": 1}]
    photo = store.get(PID)
    assert photo.state == State.TAKEN_DOWN and photo.takedown["by"] == OFFICE and photo.takedown["how"] == "deleted"
    assert "Fun day in the park" not in (album.root / "index.html").read_text()
    assert not list((album.root / "photos").glob("*.jpg"))
    told = next(m for m in _mails() if "taken down" in m["Subject"])
    assert told["To"] == "pcso@example.org" and "The volunteer <b>withdrew</b> consent." in _text(told)
    assert _post(link, [("kind", "other"), ("reason", "again")])["statusCode"] in (409, 410)


def test_a_forged_or_other_photos_link_is_refused(aws, store, load_event, jpeg, stream):
    published(aws, store, load_event, jpeg, stream)
    link = _link("takedown", OFFICE)
    token = parse_qs(urlsplit(link).query)["t"][0]
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    assert _get(link.replace(token, forged))["statusCode"] in (400, 403)
    assert _get(link.replace(PID, "ffffffffffffffffffffffff"))["statusCode"] == 403
    boto3.client("ssm").put_parameter(Name="/pressroom/press-office", Type="StringList", Overwrite=True,
                                      Value="someone.else@press-office.example")
    assert _get(link)["statusCode"] == 403  # no longer in the press office
    assert store.get(PID).state == State.PUBLISHED


def test_the_cli_path_and_a_new_round_are_queued_through_the_stream(aws, store, load_event, jpeg, stream):
    published(aws, store, load_event, jpeg, stream)
    request_takedown(store, PID, by="arn:aws:iam::123456789012:user/jo", why="Wrong photo.", kind="mistake", via="cli")
    sqs = boto3.client("sqs")
    for event in stream.events():
        invoke("photo_events", event)
    assert [json.loads(m["Body"])["round"] for m in drain(sqs, aws.queue_urls["amend"])] == [1]  # lost, say
    request_takedown(store, PID, by="arn:aws:iam::123456789012:user/jo", why="Wrong photo.", kind="mistake", via="cli")
    assert [json.loads(b)["round"] for b in follow(aws, stream, load_event)] == [2]
    assert store.get(PID).state == State.TAKEN_DOWN


def test_a_batch_that_settles_is_announced_once_by_email_and_event(aws, store, load_event, jpeg, stream):
    events, sqs = boto3.client("events"), boto3.client("sqs")
    tap = sqs.create_queue(QueueName="batch-tap")["QueueUrl"]
    events.put_rule(Name="batches", EventPattern=json.dumps({"source": ["pressroom"], "detail-type": ["BatchPublished"]}))
    events.put_targets(Rule="batches", Targets=[{"Id": "tap", "Arn": sqs.get_queue_attributes(
        QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]}])
    second = "9a8b7c6d5e4f3a2b1c0d9e8f"
    approved_photo(store, jpeg)
    approved_photo(store, jpeg, pid=second, title="Litter pick")
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    follow(aws, stream, load_event)
    assert not [m for m in _mails() if "batch published" in m["Subject"]]  # the second is not settled yet
    event = load_event("publish")
    event["Records"][0]["body"] = json.dumps({"photo_id": second})
    assert invoke("publish", event) == {"batchItemFailures": []}
    follow(aws, stream, load_event)
    [batch] = [m for m in _mails() if "batch published" in m["Subject"]]
    text = _text(batch)
    assert batch["To"] == OFFICE and "Published: 2" in text
    assert "https://www.west-midlands.police.uk" in text and "index.html#set-" in text
    assert [p.get_content_type() for p in batch.walk()].count("image/jpeg") == 2  # a thumbnail of each
    [delivered] = drain(sqs, tap)
    detail = json.loads(delivered["Body"])["detail"]
    assert detail["published"] == 2 and set(detail["posts"]) == {"x", "facebook", "instagram", "youtube"}
    assert {p["id"] for p in detail["photos"]} == {PID, second} and detail["albumUrl"] in detail["posts"]["x"]
    follow(aws, stream, load_event)
    request_takedown(store, PID, by="x", why="y", kind="other", via="cli")
    follow(aws, stream, load_event)  # a member's later change does not announce its batch again
    assert len([m for m in _mails() if "batch published" in m["Subject"]]) == 1


def test_a_correction_is_reviewed_then_applied_to_the_album_with_its_audit(aws, store, load_event, jpeg, stream):
    published(aws, store, load_event, jpeg, stream)
    request_correction(store, boto3_mailer(), PID, by="cli:jo", title="Fun day in Victoria Park",
                       tags=["community", "park"])
    link = _link("correction", "approver.one@press-office.example")
    page = _get(link)
    assert page["statusCode"] == 200 and "Fun day in Victoria Park" in page["body"] and store.get(PID).title == "Fun day in the park"
    assert _post(link, [("decision", "reject"), ("reason", "")])["statusCode"] == 400
    assert _post(link, [("decision", "approve"), ("reason", "")])["statusCode"] == 200
    assert [json.loads(b)["kind"] for b in follow(aws, stream, load_event)] == ["correction"]
    photo = store.get(PID)
    assert photo.title == "Fun day in Victoria Park" and photo.tags == ["community", "park"]
    assert photo.correction["phase"] == "applied" and photo.correction["decided_by"] == "approver.one@press-office.example"
    sidecar = json.loads(next((Path(get_settings().local_album_dir) / "photos").glob("*.json")).read_text())
    assert sidecar["title"] == "Fun day in Victoria Park" and sidecar["tags"] == ["community", "park", f"pressroom:photo={PID}"]
    assert "www.west-midlands.police.uk" in sidecar["description"]  # the published caption, kept whole
    (corrected,) = [e for e in store.audit(PID) if e["event"] == "corrected"]
    assert json.loads(corrected["detail"]["before"])["title"] == "Fun day in the park"
    assert _get(link)["statusCode"] == 409


def test_a_correction_that_breaks_a_blocking_rule_is_refused_outright(aws, store, load_event, jpeg, stream):
    published(aws, store, load_event, jpeg, stream)
    with pytest.raises(CorrectionRefused) as refused:
        request_correction(store, boto3_mailer(), PID, by="cli:jo", description="OFFICIAL-SENSITIVE: do not share")
    assert any(f["severity"] == "block" for f in refused.value.findings)
    assert store.get(PID).correction == {} and not [m for m in _mails() if "Correction" in m["Subject"]]


def test_a_correction_reaches_flickr_signed(aws, store, load_event, jpeg, stream, flickr):
    published(aws, store, load_event, jpeg, stream)
    flickr_id = store.get(PID).flickr["id"]
    request_correction(store, boto3_mailer(), PID, by="cli:jo", description="PCSOs and volunteers met residents.")
    assert _post(_link("correction"), [("decision", "approve"), ("reason", "")])["statusCode"] == 200
    follow(aws, stream, load_event)
    assert flickr.photos[flickr_id]["description"].startswith("PCSOs and volunteers met residents.")
    assert "0345 113 5000" in flickr.photos[flickr_id]["description"]
    assert f"pressroom:photo={PID}" in flickr.photos[flickr_id]["tag_list"]
    assert flickr.calls.count("photos.setMeta") == 1 and flickr.bad_signatures == 0


def test_a_take_down_flickr_keeps_failing_ends_in_the_dead_letter_queue(aws, store, load_event, jpeg, stream, flickr):
    published(aws, store, load_event, jpeg, stream)
    request_takedown(store, PID, by="x", why="A court order.", kind="court-order", via="cli")
    for event in stream.events():
        invoke("photo_events", event)
    [message] = drain(boto3.client("sqs"), aws.queue_urls["amend"])
    flickr.fail("photosets.removePhoto", *[503] * 5)
    from tests.integration.helpers import failed_messages

    for attempt in range(1, 6):
        record = {**load_event("amend")["Records"][0], "body": message["Body"]}
        record["attributes"] = {**record["attributes"], "ApproximateReceiveCount": str(attempt)}
        assert failed_messages("amend", {"Records": [record]}) == {record["messageId"]}  # retried, then the DLQ
    assert store.get(PID).state == State.TAKING_DOWN
    assert [m["Subject"] for m in _mails() if "still on Flickr" in m["Subject"]]


def boto3_mailer():
    from pressroom import bootstrap

    return bootstrap.mailer()


def test_per_photo_flickr_settings_are_sent_on_upload_and_shown_for_review(aws, store, load_event, jpeg, flickr):
    from pressroom.web.pages import review_page

    approved_photo(store, jpeg)
    declared = {"licence": "cc-by-4.0", "comments": "nobody", "content-type": "other", "safety": "safe",
                "publish-at": "2020-01-05T09:00"}
    photo = store.update(PID, State.APPROVED, actor="t", event="declared", changes={"declared": declared})
    page = review_page(photo, [], approver="a@b.example", action_url="/", token="t", csrf="c", preview_url="",
                       expires="")
    assert "CC BY 4.0 · comments: nobody · safety: safe · other · from 5 January 2020 at 09:00 GMT" in page
    assert invoke("publish", load_event("publish")) == {"batchItemFailures": []}
    uploaded = flickr.photos[store.get(PID).flickr["id"]]
    assert (uploaded["content_type"], uploaded["safety_level"]) == ("3", "1")  # with the upload
    assert (uploaded["license"], uploaded["perm_comment"], uploaded["perm_addmeta"]) == ("11", "0", "0")
