"""The comments handler against moto, driven by events/comments.json: local album and Flickr (double)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from pressroom import bootstrap
from pressroom.adapters.local_album import LocalAlbum
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.settings import get_settings
from pressroom.stages.comments import CRIME_REPLY, DISCLOSURE_REPLY
from tests.integration.helpers import invoke, sent_emails
from tests.unit.adapters.test_flickr import ME

PID = "3f1c2a9b7d4e5f60718293a4"


def _published(store, site_id: str, url: str, age: timedelta = timedelta(0)) -> Photo:
    photo = Photo(id=PID, state=State.PUBLISHED, album="neighbourhood-day", original_bucket="pressroom-raw",
                  original_key="incoming/neighbourhood-day/fun-day.jpg", original_version="v1",
                  captions={"title": "Fun day in the park"},
                  flickr={"id": site_id, "url": url, "photoset_id": "s1", "published_at": clock.iso(clock.now() - age)})
    assert store.create(photo, actor="test")
    return photo


def test_the_sample_run_handles_local_album_comments(aws, store, load_event):
    album = LocalAlbum(Path(get_settings().local_album_dir))
    site = album.publish(b"\xff\xd8\xff\xd9", f"{PID}.jpg", title="Fun day in the park", description="d",
                         tags=[], machine_tag=f"pressroom:photo={PID}")
    _published(store, site.photo_id, site.url)
    comments = album.root / "comments" / f"{site.photo_id}.json"
    comments.parent.mkdir(parents=True)
    comments.write_text(json.dumps([{"id": "1", "author": "resident", "text": "I want to report a burglary"}]))

    counts = invoke("comments", load_event("comments"))
    assert counts["crime-report"] == 1 and counts["photos"] == 1
    assert [e["text"] for e in json.loads(comments.read_text())][-1] == CRIME_REPLY
    assert len(sent_emails()) == 1
    assert invoke("comments", load_event("comments"))["seen"] == 1
    assert len(sent_emails()) == 1


def test_flickr_comments_are_replied_to_and_deleted_through_the_api(aws, store, load_event, flickr):
    flickr.photos["53300000001"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    photo = _published(store, "53300000001", "https://www.flickr.com/photos/westmidlandspolice/53300000001/")
    abusive = flickr.add_comment("53300000001", "ACAB scumbags")
    crime = flickr.add_comment("53300000001", "My van was broken into on Hagley Road")

    counts = invoke("comments", load_event("comments"))
    assert (counts["offensive"], counts["crime-report"]) == (1, 1)
    remaining = flickr.comments["53300000001"]
    assert [c["id"] for c in remaining if c["author"] != ME] == [crime]
    assert [c["text"] for c in remaining if c["author"] == ME] == [CRIME_REPLY]
    assert abusive not in {c["id"] for c in remaining}
    assert {e["event"] for e in store.audit(photo.id)} >= {"comment-deleted-offensive", "comment-crime-report-replied"}
    assert invoke("comments", load_event("comments"))["seen"] == 1  # our own reply is not a new comment


def test_new_comments_on_a_photo_published_years_ago_are_found_through_flickrs_activity_feed(
        aws, store, load_event, flickr):
    flickr.photos["53300000002"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    photo = _published(store, "53300000002", "https://www.flickr.com/photos/westmidlandspolice/53300000002/",
                       age=timedelta(days=3 * 365))
    answered = flickr.add_comment("53300000002", "My van was broken into on Hagley Road",
                                  when=clock.now() - timedelta(days=200))  # answered long ago, marker expired
    abusive = flickr.add_comment("53300000002", "ACAB scumbags")

    counts = invoke("comments", load_event("comments"))
    assert (counts["photos"], counts["offensive"], counts["crime-report"]) == (1, 1, 0)
    assert [c["id"] for c in flickr.comments["53300000002"]] == [answered]  # no second reply, the abuse gone
    assert abusive not in {c["id"] for c in flickr.comments["53300000002"]}
    assert flickr.calls.count("activity.userPhotos") == 1
    [mail] = sent_emails()
    assert "ACAB scumbags" in mail and "Hagley Road" not in mail
    assert {e["event"] for e in store.audit(photo.id)} >= {"comment-deleted-offensive"}
    assert invoke("comments", load_event("comments"))["photos"] == 0  # the feed is read again in an hour
    assert flickr.calls.count("activity.userPhotos") == 1


def test_the_run_arms_the_stale_account_reminder_before_anything_is_published(aws, store, load_event):
    import boto3

    assert invoke("comments", load_event("comments"))["photos"] == 0
    due = store.account()["stale_due"]
    schedule = boto3.client("scheduler").get_schedule(Name="stale-account", GroupName="pressroom")
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "stale-account", "due": due}
    assert schedule["Target"]["Arn"] == get_settings().staleness_function_arn
    invoke("comments", load_event("comments"))
    assert store.account()["stale_due"] == due


# -- threats, disclosures, the digest and one reply per author, through the handler and the shipped judge --
def _at(monkeypatch, when):
    """Make the pipeline's clock say ``when``."""
    from datetime import UTC, datetime

    monkeypatch.setattr(clock, "_offset", when - datetime.now(UTC))


def _parsed():
    import email
    import email.policy

    return [email.message_from_string(raw, policy=email.policy.default) for raw in sent_emails()]


def test_a_threat_is_deleted_kept_as_evidence_and_alerted_urgently_to_press_office_and_control_room(
        aws, store, load_event, flickr):
    flickr.photos["53300000010"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    photo = _published(store, "53300000010", "https://www.flickr.com/photos/westmidlandspolice/53300000010/")
    text = "the copper on the left is getting stabbed next time I see him"
    threat = flickr.add_comment("53300000010", text, author="666@N01", name="Anon")

    counts = invoke("comments", load_event("comments"))
    assert counts["threat"] == 1 and counts["unsure"] == 0
    assert threat not in {c["id"] for c in flickr.comments["53300000010"]}
    [mail] = _parsed()
    assert str(mail["Subject"]).strip().startswith("URGENT: Pressroom: a comment threatens violence")
    assert set(mail["To"].split(", ")) == {"press.office@press-office.example", "control.room@press-office.example"}
    assert text in mail.get_body(("plain",)).get_content()
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-threat-removed"]
    evidence = event["detail"]["evidence"]
    assert (evidence["text"], evidence["author"], evidence["author_name"]) == (text, "666@N01", "Anon")
    assert evidence["posted_at"] and evidence["seen_at"]


def test_a_disclosure_gets_the_emergency_reply_once_and_an_urgent_alert(aws, store, load_event, flickr):
    flickr.photos["53300000011"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    photo = _published(store, "53300000011", "https://www.flickr.com/photos/westmidlandspolice/53300000011/")
    first = flickr.add_comment("53300000011", "my husband hits me every night and I am scared to go home",
                               author="42@N01")
    flickr.add_comment("53300000011", "he took my phone again, I'm scared", author="42@N01")

    invoke("comments", load_event("comments"))
    replies = [c["text"] for c in flickr.comments["53300000011"] if c["author"] == ME]
    assert replies == [DISCLOSURE_REPLY] and "in an emergency call 999" in DISCLOSURE_REPLY
    assert first in {c["id"] for c in flickr.comments["53300000011"]}  # it places nobody: it stays
    subjects = [str(m["Subject"]).strip() for m in _parsed()]
    assert any(s.startswith("URGENT: Pressroom: a comment discloses harm") for s in subjects)
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-disclosure-answered"]
    assert event["detail"]["evidence"]["text"].startswith("my husband hits me")
    assert invoke("comments", load_event("comments"))["seen"] == 2
    assert [c["text"] for c in flickr.comments["53300000011"] if c["author"] == ME] == [DISCLOSURE_REPLY]


def test_a_crime_report_gets_one_reply_per_author_and_photo_across_runs(aws, store, load_event, flickr):
    flickr.photos["53300000012"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    _published(store, "53300000012", "https://www.flickr.com/photos/westmidlandspolice/53300000012/")
    flickr.add_comment("53300000012", "My car was stolen from outside my house last night", author="7@N01")
    invoke("comments", load_event("comments"))
    flickr.add_comment("53300000012", "someone broke into my van and took all my tools", author="7@N01")
    flickr.add_comment("53300000012", "someone broke into my van and took all my tools", author="8@N01")
    assert invoke("comments", load_event("comments"))["crime-report"] == 2
    assert [c["text"] for c in flickr.comments["53300000012"] if c["author"] == ME] == [CRIME_REPLY, CRIME_REPLY]


def test_every_comment_nobody_acted_on_is_in_one_digest_a_day(aws, store, load_event, flickr, monkeypatch):
    from datetime import UTC, datetime

    day = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    _at(monkeypatch, day)
    flickr.photos["53300000013"] = {"title": "Fun day in the park", "tag_list": [f"pressroom:photo={PID}"]}
    _published(store, "53300000013", "https://www.flickr.com/photos/westmidlandspolice/53300000013/")
    quiet = ["Lovely photo", "great day out, well done all", "the horse is stealing the show"]
    for n, text in enumerate(quiet):
        flickr.add_comment("53300000013", text, author=f"{n}@N01", name=f"Visitor {n}")
    flickr.add_comment("53300000013", "where was this taken?")
    assert invoke("comments", load_event("comments"))["other"] == 3
    _at(monkeypatch, day + timedelta(hours=12))
    flickr.add_comment("53300000013", "beautiful horses", author="9@N01", name="Late Visitor")
    assert invoke("comments", load_event("comments"))["other"] == 1
    assert not [m for m in _parsed() if "digest" in m["Subject"]]

    _at(monkeypatch, day + timedelta(hours=22, minutes=30))  # 07:30 the next day
    assert invoke("comments", load_event("comments"))["digest"] == 1
    _at(monkeypatch, day + timedelta(hours=22, minutes=45))
    assert invoke("comments", load_event("comments"))["digest"] == 0
    [digest] = [m for m in _parsed() if "digest" in m["Subject"]]
    assert str(digest["Subject"]).strip() == "Pressroom: daily digest of 4 comment(s), 2026-11-20"
    assert digest["To"] == "press.office@press-office.example"
    body = digest.get_body(("plain",)).get_content()
    for text in [*quiet, "beautiful horses", "Late Visitor (9@N01)", "Fun day in the park", "Read as: other"]:
        assert text in body
    assert "where was this taken?" not in body


def test_a_question_goes_into_the_inbox_and_is_reminded_once_past_its_target(aws, store, load_event, monkeypatch):
    monkeypatch.setenv("PRESSROOM_OFFICE_DAYS", "mon-sun")  # whatever the day the test runs
    monkeypatch.setenv("PRESSROOM_OFFICE_OPENS", "00:00")
    monkeypatch.setenv("PRESSROOM_OFFICE_CLOSES", "23:59")
    monkeypatch.setenv("PRESSROOM_QUESTION_TARGET_MINUTES", "1")
    bootstrap.reset()
    album = LocalAlbum(Path(get_settings().local_album_dir))
    site = album.publish(b"\xff\xd8\xff\xd9", f"{PID}.jpg", title="Fun day in the park", description="d",
                         tags=[], machine_tag=f"pressroom:photo={PID}")
    _published(store, site.photo_id, site.url)
    comments = album.root / "comments" / f"{site.photo_id}.json"
    comments.parent.mkdir(parents=True)
    asked = clock.iso(clock.now() - timedelta(hours=1))
    comments.write_text(json.dumps([{"id": "1", "author": "resident", "text": "Where was this taken?",
                                     "created_at": asked}]))

    counts = invoke("comments", load_event("comments"))
    assert counts["question"] == 1 and counts["reminded"] == 1
    item = store.inbox_item(f"{site.photo_id}:1")
    assert item is not None and item.reminded_at and item.text == "Where was this taken?"
    assert invoke("comments", load_event("comments"))["reminded"] == 0
    assert sum("past the answer target" in raw for raw in sent_emails()) == 1
