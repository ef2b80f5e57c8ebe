"""The monthly report over the table (moto): the by-event index queries, the use case and the CLI."""
import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from pressroom.adapters import aws
from pressroom.adapters import store as store_module
from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock
from pressroom.domain.inbox import InboxItem, InboxState, OfficeHours
from pressroom.domain.photos import Photo, State
from pressroom.domain.reports import Month
from pressroom.settings import Settings, get_settings
from pressroom.stages.inbox import Inbox
from pressroom.stages.reports import COMMENT_EVENTS, OUTCOME_EVENTS, MonthlyReports
from pressroom_local.cli import main
from tests.permissions import requests_of
from tests.unit.stages.test_inbox import FakeMail, FakeSite

BLOCKING = {"rule": "dont-children", "severity": "block", "message": "m", "evidence": "", "outcome": "",
            "guidance": "=HYPERLINK(\"http://x\") do not show children without permission"}
WARNING = {**BLOCKING, "rule": "do-credit", "severity": "warn"}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def at(monkeypatch):
    """Set the time the store stamps on what it writes next."""
    now = [utc(2027, 1, 1)]
    monkeypatch.setattr(store_module, "now_iso", lambda: clock.iso(now[0]))

    def set_time(when: datetime) -> None:
        now[0] = when
    return set_time


def _create(store, at, pid: str, when: datetime) -> None:
    at(when)
    assert store.create(Photo(id=pid, state=State.RECEIVED, album="a", original_bucket="raw",
                              original_key=f"incoming/a/{pid}.jpg", original_version="v1"), actor="staff")


def _move(store, at, pid: str, when: datetime, *path: State, changes=None) -> None:
    at(when)
    current = store.get(pid).state
    for to in path:
        store.transition(pid, current, to, actor="t", changes=changes if to == path[-1] else None)
        current = to


def _published(store, at, pid, uploaded, published):
    _create(store, at, pid, uploaded)
    _move(store, at, pid, published, State.SCRUBBED, State.NEEDS_APPROVAL, State.APPROVED, State.PUBLISHED)


@pytest.fixture
def january(store, at):
    """A hand-made January 2027 (GMT), with December's last publish and February's first upload."""
    _published(store, at, "p0", utc(2026, 12, 1), utc(2026, 12, 10, 12))
    _published(store, at, "p1", utc(2027, 1, 4, 9), utc(2027, 1, 4, 12))  # 3 h
    _published(store, at, "p2", utc(2026, 12, 31, 23, 30), utc(2027, 1, 2, 0, 30))  # 25 h; uploaded in December
    _move(store, at, "p2", utc(2027, 1, 20), State.TAKING_DOWN, State.TAKEN_DOWN)
    _create(store, at, "p3", utc(2027, 1, 10))
    _move(store, at, "p3", utc(2027, 1, 10, 1), State.SCRUBBED, State.BLOCKED,
          changes={"findings": [BLOCKING, WARNING], "reason": "children"})
    _create(store, at, "p4", utc(2027, 1, 11))
    _move(store, at, "p4", utc(2027, 1, 12), State.SCRUBBED, State.NEEDS_APPROVAL, State.REJECTED)
    _create(store, at, "p5", utc(2027, 1, 31, 23, 59))  # still January (GMT)
    _create(store, at, "p6", utc(2027, 2, 1))  # February
    at(utc(2027, 1, 5))
    store.record("p1", actor="comments", event="comment-question-queued", detail={"comment_id": "c1", "kind": "question"})
    store.record("p1", actor="comments", event="comment-threat-to-check", detail={"comment_id": "c2", "kind": "threat"})
    at(utc(2027, 2, 2))
    store.record("p1", actor="comments", event="comment-recorded", detail={"comment_id": "c3", "kind": "other"})
    return store


def test_events_between_reads_a_months_events_by_name_and_time(january):
    created = january.events_between("created", clock.iso(utc(2027, 1, 1)), clock.iso(utc(2027, 2, 1)))
    assert [e["photo_id"] for e in created] == ["p1", "p3", "p4", "p5"]  # oldest first; not p2 (December), not p6
    assert all(e["event"] == "created" and e["at"].startswith("2027-01") for e in created)
    comments = january.events_between("comment-question-queued", "2027-01-01T00:00:00.000Z", "2027-02-01T00:00:00.000Z")
    assert [(c["photo_id"], c["detail"]["comment_id"]) for c in comments] == [("p1", "c1")]


def test_events_between_excludes_its_end(january, at):
    at(utc(2027, 2, 1))
    january.record("p1", actor="t", event="created")
    ends = january.events_between("created", "2027-01-01T00:00:00.000Z", "2027-02-01T00:00:00.000Z")
    assert [e["photo_id"] for e in ends] == ["p1", "p3", "p4", "p5"]


def test_events_between_reads_every_page(january):
    queries = []

    class SmallPages:  # DynamoDB ends a page at 1 MB; here at one item
        def query(self, **params):
            queries.append(params)
            return aws.client("dynamodb").query(**params, Limit=1)

    found = PhotoStore(SmallPages(), get_settings().table_name).events_between(
        "created", "2027-01-01T00:00:00.000Z", "2027-02-01T00:00:00.000Z")
    assert len(found) == 4 and len(queries) >= 4 and all(q["IndexName"] == "by-event" for q in queries)


def test_the_last_event_before_a_time_is_one_read(january):
    last = january.last_event_before("APPROVED→PUBLISHED", "2027-01-01T00:00:00.000Z")
    assert (last["photo_id"], last["at"]) == ("p0", "2026-12-10T12:00:00.000Z")
    assert january.last_event_before("APPROVED→PUBLISHED", "2026-12-01T00:00:00.000Z") is None


def test_photo_facts_reads_records_in_batches_of_a_hundred(store, at):
    for n in range(101):
        _create(store, at, f"q{n:03d}", utc(2027, 1, 3))
    facts = store.photo_facts([f"q{n:03d}" for n in range(101)] + ["q000", "missing"], ("created_at",))
    assert len(facts) == 101 and facts["q100"] == {"id": "q100", "created_at": "2027-01-03T00:00:00.000Z"}


def test_the_outcome_and_comment_events_are_the_ones_the_pipeline_writes():
    assert OUTCOME_EVENTS["published"] == ("APPROVED→PUBLISHED",)
    assert OUTCOME_EVENTS["blocked"] == ("SCRUBBED→BLOCKED",)
    assert OUTCOME_EVENTS["taken_down"] == ("TAKING_DOWN→TAKEN_DOWN",)
    assert set(OUTCOME_EVENTS["rejected"] + OUTCOME_EVENTS["expired"]) == {"NEEDS_APPROVAL→REJECTED",
                                                                          "NEEDS_APPROVAL→EXPIRED"}
    assert COMMENT_EVENTS["comment-question-queued"] == "question" and COMMENT_EVENTS["comment-other-to-check"] == "other"
    assert len(COMMENT_EVENTS) == 16  # each class, sure and unsure


def test_the_month_report_from_the_table(january):
    reports = MonthlyReports(january, Settings(stale_after_days=14), now=lambda: utc(2027, 3, 1))
    r = reports.report(Month(2027, 1))
    assert r.counts == {"uploaded": 4, "published": 2, "blocked": 1, "rejected": 1, "expired": 0, "taken_down": 1}
    assert (r.to_publish, r.to_publish_photos) == (timedelta(hours=14), 2)  # 3 h and 25 h
    assert [(b.line.rule, b.photos) for b in r.blocked_by] == [("dont-children", 1)]  # the warning is not a block
    assert r.comments["question"] == 1 and r.comments["threat"] == 1 and r.comments["other"] == 0
    assert r.responses is None  # the inbox records no answers here
    # stale from 24 December 12:00 until the publish on 2 January, and from 18 January 12:00 on
    assert r.stale_days == [date(2027, 1, 1), date(2027, 1, 2), *[date(2027, 1, d) for d in range(18, 32)]]
    assert reports.report(Month(2027, 2)).counts["uploaded"] == 1


@pytest.fixture
def in_march_2027():
    """The clock of the whole process moved to 1 March 2027 (as the local stack's emulator moves it)."""
    clock.advance(max(timedelta(0), utc(2027, 3, 1) - clock.now()))
    yield
    clock.reset()


def _answer(store, at, cid: str, arrived: datetime, answered: datetime) -> None:
    """A question that reached the inbox at ``arrived``, answered from the desk at ``answered``."""
    at(arrived)
    store.add_to_inbox(InboxItem(comment_id=cid, photo_id="p1", site_photo_id="s1", kind="question", text="When?",
                                 author="u1", author_name="Ann Public", arrived_at=clock.iso(arrived)))
    at(answered)
    desk = Inbox(store, FakeSite(), FakeMail(), lambda: ["press@force.example"], list, OfficeHours(),
                 timedelta(hours=4), now=lambda: answered)
    assert desk.reply(cid, "On Saturday", by="ann@force.example").state == InboxState.ANSWERED


def test_response_times_are_the_inbox_answers_of_the_month_in_office_hours(january, at):
    _answer(january, at, "c1", utc(2027, 1, 8, 16, 55), utc(2027, 1, 11, 9, 10))  # Friday → Monday: 15 min
    _answer(january, at, "c2", utc(2027, 1, 12, 9), utc(2027, 1, 12, 15))  # 6 h: past the 4 h target
    _answer(january, at, "c3", utc(2027, 1, 29, 16), utc(2027, 2, 1, 10))  # answered in February
    at(utc(2027, 1, 20))
    january.add_to_inbox(InboxItem(comment_id="c4", photo_id="p1", site_photo_id="s1", kind="question", text="?",
                                   author="u2", author_name="B", arrived_at="2027-01-20T10:00:00.000Z"))  # unanswered
    settings = Settings(stale_after_days=14, question_target_minutes=240)
    r = MonthlyReports(january, settings, inbox_items=january.inbox_items, now=lambda: utc(2027, 3, 1)).report(
        Month(2027, 1))
    assert r.responses is not None
    assert (r.responses.answered, r.responses.within_target) == (2, 1)
    assert r.responses.median == timedelta(hours=3, minutes=7, seconds=30)  # of 15 min and 6 h
    february = MonthlyReports(january, settings, inbox_items=january.inbox_items, now=lambda: utc(2027, 3, 1))
    assert february.report(Month(2027, 2)).responses.answered == 1
    assert january.inbox_items(["c1", "nope", "c1"])[0].comment_id == "c1" and len(january.inbox_items(["c1"])) == 1


def test_pressroom_report_prints_the_month_and_its_csv(january, in_march_2027, capsys):
    assert main(["report", "--month", "2027-01"]) == 0
    text = capsys.readouterr().out
    assert "Pressroom report: January 2027 (the whole month)" in text and "Stale days (14 days without a publish)" in text
    assert main(["report", "--month", "2027-01", "--csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("\ufeffmonth,figure,detail,value,unit,description\r\n")
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert {r["figure"]: r["value"] for r in rows if not r["detail"]}["photos_uploaded"] == "4"
    (line,) = [r for r in rows if r["figure"] == "blocked_by_guidance_line"]
    assert line["detail"] == "dont-children" and line["description"].startswith("'=HYPERLINK")


def test_pressroom_report_refuses_a_month_it_cannot_read(in_march_2027, capsys):
    assert main(["report", "--month", "2027-1"]) == 2
    assert "month '2027-1' is not a month like 2027-01" in capsys.readouterr().err
    assert main(["report", "--month", "2999-01"]) == 2
    assert "January 2999 has not begun yet" in capsys.readouterr().err


def test_the_reports_calls_map_to_the_iam_requests_a_desk_role_must_allow(january, at):
    """What the desk function's role needs for a report: Query on index by-event, BatchGetItem of
    photo records and inbox items (tests/permissions.py checks the role once the desk routes call
    the use case)."""
    calls = []

    class Recorded:
        def __getattr__(self, operation):
            def call(**params):
                calls.append((operation, params))
                return getattr(aws.client("dynamodb"), operation)(**params)
            return call

    _answer(january, at, "c1", utc(2027, 1, 8, 16, 55), utc(2027, 1, 11, 9, 10))
    recorded = PhotoStore(Recorded(), get_settings().table_name)
    MonthlyReports(recorded, Settings(), inbox_items=recorded.inbox_items, now=lambda: utc(2027, 3, 1)).report(
        Month(2027, 1))
    names = {"query": "Query", "batch_get_item": "BatchGetItem"}
    wanted = {(r.action, r.resource.rsplit(":", 1)[-1], r.context.get("dynamodb:LeadingKeys", ("",))[0].split("#")[0])
              for operation, params in calls for r in requests_of("DeskFunction", "dynamodb", names[operation], params)}
    assert wanted == {("dynamodb:Query", "table/pressroom-PhotoTable/index/by-event", ""),
                      ("dynamodb:BatchGetItem", "table/pressroom-PhotoTable", "PHOTO"),
                      ("dynamodb:BatchGetItem", "table/pressroom-PhotoTable", "INBOX")}
