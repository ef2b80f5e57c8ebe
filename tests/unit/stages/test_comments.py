"""The comments monitor: the pure classifier, and the monitor against moto and the local album."""
from __future__ import annotations

import email
import email.policy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pressroom import bootstrap
from pressroom.adapters import aws as aws_clients
from pressroom.adapters import parameters
from pressroom.adapters.local_album import LocalAlbum
from pressroom.adapters.publisher import PublisherUnavailable
from pressroom.domain.photos import Photo, State
from pressroom.settings import get_settings
from pressroom.stages.comments import (
    CRIME_REPLY,
    CommentsIncomplete,
    CommentsMonitor,
    Kind,
    classify,
)
from tests.integration.helpers import sent_emails

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)


def _mails() -> list[str]:
    """Recipients, subject and text of every email sent, decoded."""
    parsed = [email.message_from_string(raw, policy=email.policy.default) for raw in sent_emails()]
    return [f"To: {m['To']}\nSubject: {m['Subject']}\n\n{m.get_body(('plain',)).get_content()}" for m in parsed]


# -- the classifier -------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "I want to report a burglary on my street",
    "My car was stolen from outside my house last night",
    "I was mugged near the station yesterday, what do I do",
    "Someone is dealing drugs on the corner of our road every evening",
    "How do I report someone who keeps threatening me?",
    "My bike's been nicked from the shed",
    "We've been burgled twice this month",
    "There's a fight outside the pub right now",
    "someone just broke into my car on Acacia Road",
    "someone's just broken into my car",
    "Some lads just smashed my window",
    "My car's just been broken into on Soho Road",
    "my car has just been stolen",
    "my son was assaulted outside school",
    "My mum's purse was snatched in the Bullring",
    "I was sexually assaulted",
    "I've just been attacked",
    "I'm being harassed by my ex",
    "My ex keeps threatening me",
    "Just been mugged on Broad Street",
    "Been burgled again",
    "I wanna report a crime",
    "Can I report a crime here?",
    "Who do I contact about a stolen car?",
    "Car stolen from Acacia Avenue last night, silver Ford Focus AB12 CDE",
    "There's a man with a knife on Corporation Street",
    "There's a car being broken into outside my house right now",
    "Kids are throwing stones at cars on Hagley Road",
    "A man has just stolen a bike from outside Tesco",
    "Two lads just nicked a bike outside Tesco",
    "My neighbour is growing cannabis",
    "I know who stole the bikes",
    "I have CCTV of the men who did it",
    "Drug dealing going on outside the Co-op every night",
])
def test_crime_reports(text):
    assert classify(text).kind == Kind.CRIME_REPORT, text


@pytest.mark.parametrize("text", [
    "F*ck the police", "absolute sh1t", "ACAB", "you lot are scumbags", "filthy pigs the lot of you",
    "I'll kill you", "Bunch of wankers", "someone stole my phone you useless bastards",
    "F U C K the police", "A.C.A.B", "Fck the police", "f**k the police", "sh!t service", "What a load of sh*t",
    "b*stards", "f\u03c5ck off", "sh\u00adit", "Get a proper job you fat pig", "die pig", "oink oink",
    "kill all coppers", "I'm going to find you and kill you", "I hope you all get cancer", "Paki", "n1gger",
    "muslim scum", "Nonce",
])
def test_offensive(text):
    assert classify(text).kind == Kind.OFFENSIVE, text


@pytest.mark.parametrize(("text", "private"), [
    ("The lad who did it is on 07700 900123, ring him", ("UK phone number",)),
    ("Email me at jane.doe@example.com", ("email address",)),
    ("That's my neighbour's van, AB12 CDE", ("vehicle registration (current format)",)),
])
def test_personal_details_make_a_comment_inappropriate(text, private):
    verdict = classify(text)
    assert verdict.kind == Kind.PERSONAL_DETAILS and verdict.private == private
    assert verdict.signals == private  # what kind of details, never the details (signals go into the audit)


@pytest.mark.parametrize("text", ["Great day, ring 0345 113 5000 for info", "Email contactus@west-midlands.police.uk",
                                  "Lovely day at the B5 4BU venue", "Was at 1 Victoria Square for it"])
def test_public_contact_details_and_places_are_not_personal_details(text):
    assert classify(text).private == ()


def test_a_crime_report_with_personal_details_is_still_a_crime_report():
    verdict = classify("someone just broke into my car, call me on 07700 900123")
    assert verdict.kind == Kind.CRIME_REPORT and verdict.private == ("UK phone number",)


def test_html_in_a_comment_is_read_as_the_text_it_shows():
    assert classify("I&#39;ve been burgled").kind == Kind.CRIME_REPORT
    assert classify("My car&#8217;s been nicked<br />help").kind == Kind.CRIME_REPORT
    assert classify('<a href="https://example.com/x">sh</a>it').kind == Kind.OTHER  # tags are word breaks
    assert classify("you &lt;b&gt;scumbags&lt;/b&gt;").kind == Kind.OFFENSIVE


def test_offensive_wins_and_keeps_the_crime_signal_for_the_press_office():
    verdict = classify("someone stole my phone you useless bastards")
    assert verdict.signals == ("bastards", "someone stole")


@pytest.mark.parametrize("text", [
    "My son is in this photo, please take it down", "That's my daughter, we never gave permission",
    "Please remove this photo, my kids are in it", "Can you take this picture down please?",
    "I don't want my children online", "Posted without my permission", "Nobody asked me if they could post this",
    "I never signed anything", "Take it off Flickr now",
])
def test_requests_to_take_a_photo_down(text):
    assert classify(text).kind == Kind.REMOVAL_REQUEST, text


@pytest.mark.parametrize("text", [
    "Where was this taken?", "Is this the new station in Aston", "When is the next open day",
    "Any chance of more photos from the parade", "what time does it start",
    "How do I contact the photographer?", "Can you report on the results?", "Who's the officer on the left",
    "What's the horse called", "Anybody know when the next one is",
])
def test_questions(text):
    assert classify(text).kind == Kind.QUESTION, text


@pytest.mark.parametrize("text", [
    "Great photo!", "Well done to all the officers involved", "Good to see them tackling car theft",
    "Lovely to see the guinea pigs at the petting zoo", "Scunthorpe United fans at the match",
    "The cocktail party was a great success", "Thanks for keeping us safe", "", "Is",
    "Burglary is down 20% in Aston, brilliant news",
    "My heart was stolen by this puppy", "We've smashed our fundraising target!", "My photo was taken at the parade",
    "I've followed your page for years", "Great to see the men who burgled the shop jailed", "Someone stole the show",
    "The kids are smashing it at the sports day", "They are dealing with it brilliantly", "I was blown away",
    "Thanks for returning my stolen bike", "The man who stabbed him should get life", "I'd like to thank the officers",
    "I'll shoot you an email with the photos", "Faggots and peas at the Black Country Museum", "Great!!! Wow!!",
    "5* service from the officers", "Well done *all* officers", "Pakistan community day in Alum Rock",
    "The raccoon at the zoo", "You pigged out at the BBQ", "I'll be there at 5 p.m. with the kids", "Die Hard fan",
    "Take that off your list", "I never gave up hope", "Without any help from the council", "Get it off your chest",
    "Remove the litter from the park please", "Haven't given up on the team", "Without asking anybody the kids built it",
])
def test_everything_else_is_only_recorded(text):
    assert classify(text).kind == Kind.OTHER, text


def test_the_crime_reply_uses_the_guidance_wording():
    assert "We cannot accept reports of crime through our social media sites." in CRIME_REPLY
    assert "0345 113 5000" in CRIME_REPLY and "www.west-midlands.police.uk" in CRIME_REPLY
    assert classify(CRIME_REPLY).kind == Kind.OTHER  # our own reply would never trigger another


# -- the monitor ----------------------------------------------------------------------------------
@pytest.fixture
def album(aws) -> LocalAlbum:
    return LocalAlbum(Path(get_settings().local_album_dir))


def _published(store, album: LocalAlbum, pid: str, days_ago: float = 1) -> tuple[Photo, str]:
    site = album.publish(b"\xff\xd8\xff\xd9", f"{pid}.jpg", title="Fun day", description="d", tags=[],
                         machine_tag=f"pressroom:photo={pid}")
    when = (NOW - timedelta(days=days_ago)).isoformat().replace("+00:00", "Z")
    photo = Photo(id=pid, state=State.PUBLISHED, album="neighbourhood-day", original_bucket="pressroom-raw",
                  original_key="incoming/neighbourhood-day/x.jpg", original_version="v1",
                  captions={"title": "Fun day"},
                  flickr={"id": site.photo_id, "url": site.url, "photoset_id": site.photoset_id,
                          "published_at": when})
    assert store.create(photo, actor="test")
    return photo, site.photo_id


def _comment_on(album: LocalAlbum, site_id: str, *entries: dict) -> None:
    path = album.root / "comments" / f"{site_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = json.loads(path.read_text()) if path.exists() else []
    path.write_text(json.dumps(existing + list(entries)))


def _monitor(album, press_office=parameters.press_office) -> CommentsMonitor:
    return CommentsMonitor(bootstrap.store(), album, bootstrap.mailer(), press_office, aws_clients.client("dynamodb"),
                           get_settings().table_name, now=lambda: NOW)


def test_each_kind_of_comment_is_handled_once(aws, store, album):
    photo, site_id = _published(store, album, "a" * 24)
    _comment_on(album, site_id,
                {"id": "1", "author": "v1", "author_name": "Sam", "text": "My car was stolen last night",
                 "created_at": "2026-11-20T09:00:00Z"},
                {"id": "2", "author": "v2", "text": "f*** off pigs, ACAB", "created_at": "2026-11-20T09:01:00Z"},
                {"id": "3", "author": "v3", "text": "Where was this taken?", "created_at": "2026-11-20T09:02:00Z"},
                {"id": "4", "author": "v4", "text": "Lovely photo", "created_at": "2026-11-20T09:03:00Z"})

    counts = _monitor(album).run()
    assert counts == {"crime-report": 1, "offensive": 1, "question": 1, "other": 1, "removal-request": 0,
                      "personal-details": 0, "seen": 0, "failed": 0, "photos": 1}
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert [e["id"] for e in entries if not e.get("own")] == ["1", "3", "4"]  # the offensive one is gone
    [reply] = [e for e in entries if e.get("own")]
    assert reply["text"] == CRIME_REPLY

    mails = _mails()
    assert len(mails) == 3 and all("press.office@press-office.example" in m for m in mails)
    crime, offensive, question = mails
    assert "crime report" in crime and "My car was stolen last night" in crime and "0345 113 5000" in crime
    assert "as per offensive comment reporting process" in offensive and "ACAB" in offensive
    assert "question needs an answer" in question and "Where was this taken?" in question

    events = {e["event"]: e["detail"] for e in store.audit(photo.id)}
    assert events["comment-crime-report-replied"]["reply_id"] == f"{site_id}:{reply['id']}"
    assert events["comment-deleted-offensive"]["comment_id"] == f"{site_id}:2"
    assert events["comment-question-queued"]["author"] == "v3"
    assert events["comment-recorded"]["kind"] == "other"
    assert all("text" not in detail for detail in events.values())  # comments stay out of the audit trail

    again = _monitor(album).run()
    assert again["seen"] == 3 and again["crime-report"] == again["question"] == again["other"] == 0
    assert len(sent_emails()) == 3


def test_a_request_to_take_the_photo_down_goes_to_the_press_office_and_nothing_is_done_in_public(aws, store, album):
    photo, site_id = _published(store, album, "f" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "mum", "text": "That's my daughter, please take it down"})

    counts = _monitor(album).run()
    assert counts["removal-request"] == 1 and counts["other"] == 0
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert [e["id"] for e in entries] == ["1"]  # neither deleted nor replied to
    [mail] = _mails()
    assert "asks for a photo to be taken down" in mail and "That's my daughter, please take it down" in mail
    assert "release form" in mail and "parental permission" in mail
    assert {e["event"] for e in store.audit(photo.id)} >= {"comment-removal-request-queued"}


def test_personal_details_are_emailed_then_removed_and_a_crime_report_holding_them_is_answered_and_removed(
        aws, store, album):
    photo, site_id = _published(store, album, "e" * 24)
    _comment_on(album, site_id,
                {"id": "1", "author": "n", "text": "The lad who did it lives next to me, 07700 900123"},
                {"id": "2", "author": "v", "text": "My car was stolen last night, call me on 07700 900456"},
                {"id": "3", "author": "w", "text": "Lovely photo"})

    counts = _monitor(album).run()
    assert (counts["personal-details"], counts["crime-report"], counts["other"]) == (1, 1, 1)
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert [e["id"] for e in entries if not e.get("own")] == ["3"]
    assert [e["text"] for e in entries if e.get("own")] == [CRIME_REPLY]
    details, crime = _mails()
    assert "personal details was removed" in details and "07700 900123" in details and "UK phone number" in details
    assert "crime report" in crime and "07700 900456" in crime and "also deleted from Flickr" in crime
    events = {e["event"]: e["detail"] for e in store.audit(photo.id)}
    assert events["comment-deleted-personal-details"]["signals"] == ["UK phone number"]
    assert events["comment-crime-report-replied"]["deleted"] is True
    assert "0770" not in json.dumps(events)  # the numbers stay out of the audit trail


def test_only_photos_published_within_the_window_are_watched(aws, store, album):
    _, recent = _published(store, album, "b" * 24, days_ago=29)
    _, old = _published(store, album, "c" * 24, days_ago=31)
    _comment_on(album, recent, {"id": "1", "text": "Is this Aston?"})
    _comment_on(album, old, {"id": "1", "text": "Is this Selly Oak?"})
    counts = _monitor(album).run()
    assert counts["photos"] == 1 and counts["question"] == 1
    assert "Aston" in _mails()[0]


def test_a_comment_that_could_not_be_handled_is_tried_again(aws, store, album):
    _, site_id = _published(store, album, "d" * 24)
    _comment_on(album, site_id, {"id": "1", "text": "Where is this?"}, {"id": "2", "text": "Nice"})
    with pytest.raises(CommentsIncomplete, match="1 comment"):
        _monitor(album, press_office=lambda: []).run()  # the email cannot be sent
    counts = _monitor(album).run()
    assert counts["question"] == 1 and counts["seen"] == 1
    assert len(sent_emails()) == 1


def test_nothing_published_means_nothing_to_read(aws, store, album):
    assert _monitor(album).run()["photos"] == 0


class Crash(BaseException):
    """The Lambda dying (timeout) part-way through handling a comment: no handler runs."""


class CrashOnDelete(LocalAlbum):
    def delete_comment(self, comment_id: str) -> None:
        raise Crash()


def _monitor_at(publisher, when: datetime, store=None) -> CommentsMonitor:
    return CommentsMonitor(store or bootstrap.store(), publisher, bootstrap.mailer(), parameters.press_office,
                           aws_clients.client("dynamodb"), get_settings().table_name, now=lambda: when)


def test_a_claim_abandoned_after_the_email_is_taken_over_and_the_comment_still_deleted(aws, store, album):
    photo, site_id = _published(store, album, "e" * 24)
    _comment_on(album, site_id, {"id": "1", "text": "ACAB"})
    with pytest.raises(Crash):
        _monitor_at(CrashOnDelete(album.root), NOW).run()
    assert len(sent_emails()) == 1
    assert _monitor_at(album, NOW + timedelta(minutes=14)).run()["seen"] == 1  # the run may still be going
    counts = _monitor_at(album, NOW + timedelta(minutes=15, seconds=1)).run()
    assert counts["offensive"] == 1
    assert album.comments([site_id]) == []
    assert len(sent_emails()) == 1  # the press office is not told twice
    assert [e["event"] for e in store.audit(photo.id)].count("comment-deleted-offensive") == 1
    assert _monitor_at(album, NOW + timedelta(hours=1)).run()["seen"] == 0  # deleted, so no longer listed


def test_a_claim_abandoned_after_the_reply_is_finished_without_replying_again(aws, store, album):
    photo, site_id = _published(store, album, "f" * 24)
    _comment_on(album, site_id, {"id": "1", "text": "My car was stolen last night"})

    class CrashOnRecord(type(store)):
        def record(self, *args, **kw):
            raise Crash()

    crashing = CrashOnRecord(aws_clients.client("dynamodb"), get_settings().table_name)
    with pytest.raises(Crash):
        _monitor_at(album, NOW, store=crashing).run()
    assert _monitor_at(album, NOW + timedelta(minutes=20)).run()["crime-report"] == 1
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    [reply] = [e for e in entries if e.get("own")]
    assert len(sent_emails()) == 1
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-crime-report-replied"]
    assert event["detail"]["reply_id"] == f"{site_id}:{reply['id']}"


# -- older photos, through the site's activity feed -------------------------------------------------
def _ago(delta: timedelta) -> str:
    return (NOW - delta).isoformat().replace("+00:00", "Z")


class FeedAlbum(LocalAlbum):
    """The local album, noting each read of its activity feed; ``down`` makes the next ones fail."""

    def __init__(self, root: Path, down: int = 0):
        super().__init__(root)
        self.reads: list[datetime] = []
        self.down = down

    def commented_since(self, since: datetime) -> set[str]:
        self.reads.append(since)
        if self.down:
            self.down -= 1
            raise PublisherUnavailable("Flickr activity.userPhotos failed: 105: Service currently unavailable")
        return super().commented_since(since)


def test_a_new_offensive_comment_on_an_old_photo_is_deleted_and_the_press_office_told(aws, store, album):
    photo, site_id = _published(store, album, "a" * 24, days_ago=400)
    _comment_on(album, site_id,
                {"id": "1", "author": "v", "text": "ACAB scumbags", "created_at": _ago(timedelta(hours=1))})
    feed = FeedAlbum(album.root)
    counts = _monitor(feed).run()
    assert feed.reads == [NOW - timedelta(days=30)]
    assert counts["photos"] == 1 and counts["offensive"] == 1
    assert album.comments([site_id]) == []
    [mail] = _mails()
    assert "offensive comment was removed" in mail and "ACAB scumbags" in mail
    assert [e["event"] for e in store.audit(photo.id)].count("comment-deleted-offensive") == 1


def test_an_old_comment_on_an_old_photo_is_not_handled_again_when_its_marker_is_gone(aws, store, album):
    # the crime report was answered 200 days ago; its seen marker has long expired (it is not in the table)
    _, site_id = _published(store, album, "b" * 24, days_ago=400)
    _comment_on(album, site_id,
                {"id": "1", "text": "My car was stolen last night", "created_at": _ago(timedelta(days=200))},
                {"id": "2", "text": "Where was this taken?", "created_at": _ago(timedelta(minutes=20))})
    counts = _monitor(album).run()
    assert (counts["question"], counts["crime-report"], counts["seen"]) == (1, 0, 0)
    entries = json.loads((album.root / "comments" / f"{site_id}.json").read_text())
    assert not [e for e in entries if e.get("own")]  # no second reply to the old crime report
    [mail] = _mails()
    assert "Where was this taken?" in mail and "stolen" not in mail
    later = _monitor_at(album, NOW + timedelta(hours=1)).run()
    assert (later["question"], later["crime-report"], later["seen"]) == (0, 0, 1)
    assert len(sent_emails()) == 1


def test_a_photo_the_feed_names_that_pressroom_did_not_publish_is_ignored(aws, store, album):
    _published(store, album, "c" * 24, days_ago=400)  # ours, quiet
    theirs = album.publish(b"\xff\xd8\xff\xd9", "by-hand.jpg", title="Uploaded by hand", description="d", tags=[],
                           machine_tag="").photo_id
    _comment_on(album, theirs, {"id": "1", "text": "ACAB", "created_at": _ago(timedelta(hours=1))})
    feed = FeedAlbum(album.root)
    counts = _monitor(feed).run()
    assert feed.reads == [NOW - timedelta(days=30)] and album.commented_since(feed.reads[0]) == {theirs}
    assert counts["photos"] == 0 and counts["offensive"] == 0
    assert [c.text for c in album.comments([theirs])] == ["ACAB"]
    assert sent_emails() == []


def test_the_feed_is_read_at_most_once_an_hour_and_only_when_an_older_photo_is_published(aws, store, album):
    feed = FeedAlbum(album.root)
    _published(store, album, "d" * 24, days_ago=2)
    _monitor_at(feed, NOW).run()
    assert feed.reads == []  # every published photo is watched anyway
    _, old = _published(store, album, "e" * 24, days_ago=90)
    _monitor_at(feed, NOW).run()
    assert feed.reads == [NOW - timedelta(days=30)]
    _comment_on(album, old, {"id": "1", "text": "Is this Aston?", "created_at": _ago(-timedelta(minutes=5))})
    counts = _monitor_at(feed, NOW + timedelta(minutes=45)).run()
    assert counts["question"] == 0 and len(feed.reads) == 1
    counts = _monitor_at(feed, NOW + timedelta(hours=1)).run()
    assert counts["question"] == 1 and len(feed.reads) == 2


def test_an_unreadable_feed_fails_the_run_after_the_recent_photos_and_is_read_again_next_run(aws, store, album):
    _, recent = _published(store, album, "f" * 24, days_ago=1)
    _, old = _published(store, album, "0" * 24, days_ago=400)
    _comment_on(album, recent, {"id": "1", "text": "Where was this?"})
    _comment_on(album, old, {"id": "1", "text": "Who is that officer?", "created_at": _ago(timedelta(hours=2))})
    feed = FeedAlbum(album.root, down=1)
    with pytest.raises(CommentsIncomplete, match="older photos not checked for comments: .*activity.userPhotos"):
        _monitor_at(feed, NOW).run()
    [mail] = _mails()
    assert "Where was this?" in mail
    counts = _monitor_at(feed, NOW + timedelta(minutes=15)).run()  # not an hour later: the failed read did not count
    assert counts["question"] == 1 and counts["seen"] == 1 and len(feed.reads) == 2
    assert "Who is that officer?" in _mails()[1]


def test_the_published_photos_are_read_only_as_far_back_as_needed(aws, store, album, monkeypatch):
    import pressroom.adapters.store as store_module

    for n, days in enumerate((1, 2, 40, 50, 60)):
        monkeypatch.setattr(store_module, "now_iso", lambda d=days: _ago(timedelta(days=d)))
        _published(store, album, f"{n}" * 24, days_ago=days)
    read: list[str] = []

    class CountingStore(type(store)):
        def each_in_state(self, state):
            for photo in super().each_in_state(state):
                read.append(photo.id)
                yield photo

    counting = CountingStore(aws_clients.client("dynamodb"), get_settings().table_name)
    assert _monitor_at(album, NOW, store=counting).run()["photos"] == 2
    assert read == ["0" * 24, "1" * 24, "2" * 24]  # stops at the first photo changed before the window


def test_a_seen_marker_outlives_a_longer_window(aws, store, album):
    _, site_id = _published(store, album, "9" * 24, days_ago=80)
    _comment_on(album, site_id, {"id": "1", "text": "Lovely", "created_at": _ago(timedelta(days=1))})
    monitor = CommentsMonitor(bootstrap.store(), album, bootstrap.mailer(), parameters.press_office,
                              aws_clients.client("dynamodb"), get_settings().table_name, window=timedelta(days=90),
                              now=lambda: NOW)
    assert monitor.run()["other"] == 1
    marker = aws_clients.client("dynamodb").get_item(
        TableName=get_settings().table_name, Key={"PK": {"S": f"COMMENT#{site_id}:1"}, "SK": {"S": "SEEN"}})["Item"]
    # the comment can be listed until 90 days after it was posted: its marker must last that long
    assert int(marker["expires_at"]["N"]) >= (NOW - timedelta(days=1) + timedelta(days=90)).timestamp()
