"""Response times for the monthly report from the comment inbox's records (stages.reports.responses_of)."""
from datetime import timedelta

from pressroom.domain.inbox import InboxItem, OfficeHours
from pressroom.domain.reports import Month, Response
from pressroom.stages.reports import responses_of

HOURS = OfficeHours()  # Monday to Friday, 09:00 to 17:00 in London
TARGET = timedelta(hours=4)


def item(cid: str, arrived: str, answered: str = "", kind: str = "question") -> InboxItem:
    return InboxItem(comment_id=cid, photo_id="p", site_photo_id="s", kind=kind, text="?", author="a",
                     author_name="A", arrived_at=arrived, answered_at=answered)


def test_answers_are_timed_in_office_hours_and_measured_against_the_target():
    items = [
        item("weekend", "2027-01-08T16:55:00.000Z", "2027-01-11T09:10:00.000Z"),  # Friday 16:55 → Monday 09:10
        item("slow", "2027-01-12T09:00:00.000Z", "2027-01-12T15:00:00.000Z", kind="removal-request"),
        item("unanswered", "2027-01-13T09:00:00.000Z"),
    ]
    assert responses_of(items, Month(2027, 1), HOURS, TARGET) == [
        Response("question", timedelta(minutes=15), True), Response("removal-request", timedelta(hours=6), False)]


def test_an_answer_belongs_to_the_london_month_it_was_given_in():
    items = [item("july", "2027-06-30T15:00:00.000Z", "2027-06-30T23:30:00.000Z")]  # 00:30 BST on 1 July
    assert [r.kind for r in responses_of(items, Month(2027, 7), HOURS, TARGET)] == ["question"]
    assert responses_of(items, Month(2027, 6), HOURS, TARGET) == []
