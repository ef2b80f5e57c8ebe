"""The comments handler against moto, driven by events/comments.json: local album and Flickr (double)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from pressroom.adapters.local_album import LocalAlbum
from pressroom.domain import clock
from pressroom.domain.photos import Photo, State
from pressroom.settings import get_settings
from pressroom.stages.comments import CRIME_REPLY
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
