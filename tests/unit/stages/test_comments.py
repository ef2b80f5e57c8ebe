"""The comments monitor against moto and the local album: each kind's actions, the claims, the
reply once per author and photo, the daily digest, and the photos watched."""
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
from pressroom.guidance.comment_judge import JudgeReading
from pressroom.guidance.comment_reading import read
from pressroom.settings import get_settings
from pressroom.stages.comments import CRIME_REPLY, DISCLOSURE_REPLY, CommentsIncomplete, CommentsMonitor, Kind
from tests.integration.helpers import sent_emails

NOW = datetime(2026, 11, 20, 10, 15, tzinfo=UTC)
CONTROL_ROOM = ["control.room@press-office.example"]


def _mails() -> list[str]:
    """Recipients, subject and text of every email sent, decoded."""
    parsed = [email.message_from_string(raw, policy=email.policy.default) for raw in sent_emails()]
    # a long subject is folded onto a second line, which the parser reads back with a leading space
    return [f"To: {m['To']}\nSubject: {' '.join(str(m['Subject']).split())}\n\n{m.get_body(('plain',)).get_content()}"
            for m in parsed]


def judged(kind: str, *, sure: bool = True) -> JudgeReading:
    return JudgeReading(Kind(kind), 0.97 if sure else 0.7, 1.0, sure, True)


#: what the judge of meaning makes of the comments these tests post (the rules read them for real)
VERDICTS = {
    "My car was stolen last night": judged("crime-report"),
    "My car was stolen last night, call me on 07700 900456": judged("crime-report"),
    "someone keyed my car outside my house": judged("crime-report"),
    "got mugged by the bus station lol": judged("crime-report", sure=False),
    "That's my daughter, please take it down": judged("removal-request"),
    "the PC on the left is getting stabbed when I see him": judged("threat"),
    "gonna get that one on the left": judged("threat", sure=False),
    "my partner hits me when he's been drinking": judged("disclosure"),
    "my neighbour at number 42 Laburnum Road hits his wife every night": judged("disclosure"),
    "you lot are a bunch of clowns": judged("offensive"),
}


class FakeJudge:
    def read(self, text: str) -> JudgeReading:
        return VERDICTS.get(text, JudgeReading(Kind.OTHER, 0.1, 1.0, False, False))


def reader(text: str):
    return read(text, FakeJudge())


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


def _monitor(album, press_office=parameters.press_office, when: datetime = NOW) -> CommentsMonitor:
    return CommentsMonitor(bootstrap.store(), album, bootstrap.mailer(), press_office,
                           control_room=lambda: CONTROL_ROOM, reader=reader, now=lambda: when)


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
                      "personal-details": 0, "threat": 0, "disclosure": 0, "seen": 0, "failed": 0, "photos": 1,
                      "unsure": 0, "digest": 0, "reminded": 0}
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
    return CommentsMonitor(store or bootstrap.store(), publisher, bootstrap.mailer(),
                           parameters.press_office, reader=reader, now=lambda: when)


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
                              reader=reader, window=timedelta(days=90), now=lambda: NOW)
    assert monitor.run()["other"] == 1
    marker = aws_clients.client("dynamodb").get_item(
        TableName=get_settings().table_name, Key={"PK": {"S": f"COMMENT#{site_id}:1"}, "SK": {"S": "SEEN"}})["Item"]
    # the comment can be listed until 90 days after it was posted: its marker must last that long
    assert int(marker["expires_at"]["N"]) >= (NOW - timedelta(days=1) + timedelta(days=90)).timestamp()


# -- threats, disclosures, unsure verdicts ----------------------------------------------------------
def _entries(album: LocalAlbum, site_id: str) -> list[dict]:
    return json.loads((album.root / "comments" / f"{site_id}.json").read_text())


def test_a_threat_is_deleted_kept_as_evidence_and_the_press_office_and_control_room_alerted_urgently(aws, store, album):
    photo, site_id = _published(store, album, "1" * 24)
    text = "the PC on the left is getting stabbed when I see him"
    _comment_on(album, site_id, {"id": "1", "author": "u9", "author_name": "Jay", "text": text,
                                 "created_at": "2026-11-20T09:00:00Z"})
    counts = _monitor(album).run()
    assert counts["threat"] == 1 and counts["unsure"] == 0
    assert _entries(album, site_id) == []  # deleted, nothing posted in reply
    [mail] = _mails()
    assert "Subject: URGENT: Pressroom: a comment threatens violence" in mail
    assert "press.office@press-office.example" in mail and "control.room@press-office.example" in mail
    assert text in mail and "Jay (u9)" in mail
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-threat-removed"]
    evidence = event["detail"]["evidence"]
    assert evidence["text"] == text and evidence["author"] == "u9" and evidence["posted_at"] == "2026-11-20T09:00:00Z"
    assert event["detail"]["deleted"] is True


def test_a_threat_the_rules_find_is_a_threat_whatever_the_judge_says(aws, store, album):
    _, site_id = _published(store, album, "2" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "u", "text": "I'm gonna kill you, copper"})
    assert _monitor(album).run()["threat"] == 1
    assert _entries(album, site_id) == []


def test_an_unsure_threat_alerts_the_press_office_and_nothing_is_done_in_public(aws, store, album):
    photo, site_id = _published(store, album, "3" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "u", "text": "gonna get that one on the left"})
    counts = _monitor(album).run()
    assert counts["threat"] == 1 and counts["unsure"] == 1
    assert [e["id"] for e in _entries(album, site_id)] == ["1"]  # neither deleted nor answered
    [mail] = _mails()
    assert "Please check a comment that may be: threat" in mail and "nothing was done in public" in mail
    assert "Subject: URGENT: Pressroom: please check" in mail and "control.room" not in mail  # sure ones only
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-threat-to-check"]
    assert event["detail"]["evidence"]["text"] == "gonna get that one on the left"
    assert "deleted" not in event["detail"]


def test_a_disclosure_gets_the_emergency_reply_and_an_urgent_alert_and_stays_when_it_places_nobody(aws, store, album):
    photo, site_id = _published(store, album, "4" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "s", "text": "my partner hits me when he's been drinking"})
    assert _monitor(album).run()["disclosure"] == 1
    entries = _entries(album, site_id)
    assert [e["id"] for e in entries if not e.get("own")] == ["1"]
    [reply] = [e for e in entries if e.get("own")]
    assert reply["text"] == DISCLOSURE_REPLY and "in an emergency call 999" in DISCLOSURE_REPLY
    [mail] = _mails()
    assert "URGENT" in mail and "control.room@press-office.example" in mail and "also deleted" not in mail
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-disclosure-answered"]
    assert event["detail"]["evidence"]["text"] == "my partner hits me when he's been drinking"
    assert event["detail"]["reply_id"] == f"{site_id}:{reply['id']}" and "deleted" not in event["detail"]


def test_a_disclosure_that_places_someone_is_answered_and_deleted(aws, store, album):
    photo, site_id = _published(store, album, "5" * 24)
    text = "my neighbour at number 42 Laburnum Road hits his wife every night"
    _comment_on(album, site_id, {"id": "1", "author": "s", "text": text})
    _monitor(album).run()
    entries = _entries(album, site_id)
    assert [e["text"] for e in entries] == [DISCLOSURE_REPLY]  # the disclosure gone, the reply posted
    [mail] = _mails()
    assert "named or placed somebody, so it was also deleted" in mail and text in mail
    [event] = [e for e in store.audit(photo.id) if e["event"] == "comment-disclosure-answered"]
    assert event["detail"]["deleted"] is True and event["detail"]["evidence"]["text"] == text


def test_an_unsure_crime_report_is_not_answered_in_public(aws, store, album):
    photo, site_id = _published(store, album, "6" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "s", "text": "got mugged by the bus station lol"})
    counts = _monitor(album).run()
    assert counts["crime-report"] == 1 and counts["unsure"] == 1
    assert [e["id"] for e in _entries(album, site_id)] == ["1"]
    [mail] = _mails()
    assert "may be: crime report" in mail and CRIME_REPLY not in mail
    assert {e["event"] for e in store.audit(photo.id)} >= {"comment-crime-report-to-check"}


def test_abuse_the_judge_finds_without_listed_words_is_deleted_and_followed_up(aws, store, album):
    _, site_id = _published(store, album, "7" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "s", "text": "you lot are a bunch of clowns"})
    assert _monitor(album).run()["offensive"] == 1
    assert _entries(album, site_id) == []
    assert "as per offensive comment reporting process" in _mails()[0]


# -- one reply per author and photo --------------------------------------------------------------
def test_an_author_gets_one_reply_on_a_photo_however_many_crimes_they_report(aws, store, album):
    photo, site_id = _published(store, album, "8" * 24)
    _, other_site = _published(store, album, "9" * 24)
    _comment_on(album, site_id,
                {"id": "1", "author": "same", "text": "My car was stolen last night"},
                {"id": "2", "author": "same", "text": "someone keyed my car outside my house"},
                {"id": "3", "author": "another", "text": "someone keyed my car outside my house"})
    _comment_on(album, other_site, {"id": "1", "author": "same", "text": "My car was stolen last night"})
    assert _monitor(album).run()["crime-report"] == 4
    replies = [e for e in _entries(album, site_id) if e.get("own")]
    assert [r["text"] for r in replies] == [CRIME_REPLY, CRIME_REPLY]  # one for "same", one for "another"
    assert [e["text"] for e in _entries(album, other_site) if e.get("own")] == [CRIME_REPLY]  # another photo
    events = [e["detail"] for e in store.audit(photo.id) if e["event"] == "comment-crime-report-replied"]
    assert sorted("reply_id" in d for d in events) == [False, True, True]
    assert [d["reply_skipped"] for d in events if "reply_skipped" in d] == [
        "this author was answered on this photo already"]
    assert len(_mails()) == 4  # the press office still hears of every one


# -- the daily digest ------------------------------------------------------------------------------
def _digests() -> list[str]:
    return [m for m in _mails() if "daily digest" in m]


def test_every_comment_nobody_acted_on_is_in_one_daily_digest_sent_once(aws, store, album):
    photo, site_id = _published(store, album, "a" * 24)
    _comment_on(album, site_id,
                {"id": "1", "author": "p1", "author_name": "Pat", "text": "Lovely photo",
                 "created_at": "2026-11-20T09:00:00Z"},
                {"id": "2", "author": "p2", "author_name": "Ali", "text": "the horse is stealing the show",
                 "created_at": "2026-11-20T09:05:00Z"},
                {"id": "3", "author": "p3", "text": "Where was this taken?"})
    assert _monitor(album).run()["other"] == 2
    _comment_on(album, site_id, {"id": "4", "author": "p4", "author_name": "Mo", "text": "brilliant day",
                                 "created_at": "2026-11-20T20:00:00Z"})
    assert _monitor(album, when=NOW.replace(hour=21)).run()["other"] == 1
    assert _digests() == []
    assert _monitor(album, when=datetime(2026, 11, 21, 6, 59, tzinfo=UTC)).run()["digest"] == 0  # not yet due
    assert _monitor(album, when=datetime(2026, 11, 21, 7, 0, tzinfo=UTC)).run()["digest"] == 1
    [digest] = _digests()
    assert "Subject: Pressroom: daily digest of 3 comment(s), 2026-11-20" in digest
    for expected in ("Lovely photo", "Pat (p1)", "the horse is stealing the show", "Ali (p2)", "brilliant day",
                     "Mo (p4)", "Fun day", "Read as: other"):
        assert expected in digest
    assert "Where was this taken?" not in digest  # a question went to the press office at once
    for later in (datetime(2026, 11, 21, 7, 15, tzinfo=UTC), datetime(2026, 11, 22, 3, 0, tzinfo=UTC)):
        assert _monitor(album, when=later).run()["digest"] == 0
    assert len(_digests()) == 1


def test_a_digest_that_could_not_be_sent_is_sent_by_a_later_run_and_only_once(aws, store, album):
    _, site_id = _published(store, album, "b" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "p", "text": "Lovely photo", "created_at": "2026-11-20T09:00:00Z"})
    _monitor(album).run()
    due = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    with pytest.raises(CommentsIncomplete, match="the digest of 2026-11-20 was not sent"):
        _monitor(album, press_office=lambda: [], when=due).run()
    assert _monitor(album, when=due + timedelta(minutes=15)).run()["digest"] == 1
    assert _monitor(album, when=due + timedelta(minutes=30)).run()["digest"] == 0
    assert len(_digests()) == 1


def test_a_digest_left_sending_by_a_run_that_died_is_taken_over_after_the_lease(aws, store, album):
    _, site_id = _published(store, album, "c" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "p", "text": "Lovely photo", "created_at": "2026-11-20T09:00:00Z"})
    _monitor(album).run()
    due = datetime(2026, 11, 21, 7, 30, tzinfo=UTC)
    assert bootstrap.store().claim_digest("2026-11-20", due.isoformat(), (due - timedelta(minutes=15)).isoformat(), 2**31)
    assert _monitor(album, when=due + timedelta(minutes=5)).run()["digest"] == 0  # the other run may still send it
    assert _monitor(album, when=due + timedelta(minutes=16)).run()["digest"] == 1
    assert len(_digests()) == 1


def test_a_day_whose_every_run_failed_still_gets_its_digest(aws, store, album):
    _, site_id = _published(store, album, "d" * 24)
    _comment_on(album, site_id, {"id": "1", "author": "p", "text": "Lovely photo", "created_at": "2026-11-20T09:00:00Z"})
    _monitor(album).run()
    assert _monitor(album, when=datetime(2026, 11, 22, 12, 0, tzinfo=UTC)).run()["digest"] == 1
    assert "2026-11-20" in _digests()[0]
