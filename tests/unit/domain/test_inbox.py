"""The comment inbox's rules: office hours, response time, past target, transitions."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from pressroom.domain.inbox import (
    TRANSITIONS,
    FollowUp,
    FollowUpAction,
    InboxItem,
    InboxRefused,
    InboxState,
    OfficeHours,
    PendingReply,
    check_approval,
    check_move,
    check_reply,
    due_by,
    past_target,
    response_time,
)
from pressroom.settings import Settings

HOURS = OfficeHours()  # Monday to Friday, 09:00-17:00 in London
LONDON_WINTER = UTC  # in December London keeps UTC


def at(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=LONDON_WINTER)


def item(**changes) -> InboxItem:
    base = {"comment_id": "c1", "photo_id": "p1", "site_photo_id": "s1", "kind": "question",
            "text": "When is the next open day?", "author": "u1", "author_name": "Ann", "arrived_at": "2026-12-04T16:55:00Z"}
    return InboxItem(**{**base, **changes})


def test_a_comment_on_friday_afternoon_answered_on_monday_morning_took_fifteen_minutes():
    # Friday 4 December 16:55 to Monday 7 December 09:10
    assert HOURS.working_time(at(4, 16, 55), at(7, 9, 10)) == timedelta(minutes=15)
    answered = item(answered_at="2026-12-07T09:10:00Z", state=InboxState.ANSWERED)
    assert response_time(answered, HOURS) == timedelta(minutes=15)
    assert response_time(item(), HOURS) is None


def test_time_outside_the_hours_counts_for_nothing():
    assert HOURS.working_time(at(5, 10), at(6, 23)) == timedelta(0)  # the weekend
    assert HOURS.working_time(at(7, 17, 30), at(8, 8, 59)) == timedelta(0)  # overnight
    assert HOURS.working_time(at(7, 8), at(7, 18)) == timedelta(hours=8)
    assert HOURS.working_time(at(7, 12), at(7, 11)) == timedelta(0)
    assert HOURS.working_time(at(7, 9), at(14, 9)) == timedelta(hours=40)


def test_bank_holidays_are_closed():
    hours = OfficeHours(holidays=frozenset({date(2026, 12, 25), date(2026, 12, 28)}))
    # Thursday 24 December 16:00 to Tuesday 29 December 10:00: an hour on Thursday, an hour on Tuesday
    assert hours.working_time(at(24, 16), at(29, 10)) == timedelta(hours=2)


def test_the_hours_are_london_time_across_the_clock_change():
    # 29 March 2027 (British Summer Time): 09:00 in London is 08:00 UTC
    monday = datetime(2027, 3, 29, 8, 0, tzinfo=UTC)
    assert HOURS.working_time(monday - timedelta(minutes=30), monday + timedelta(minutes=30)) == timedelta(minutes=30)
    assert HOURS.working_time(monday, monday + timedelta(hours=10)) == timedelta(hours=8)


def test_a_deadline_runs_on_in_office_hours():
    assert HOURS.deadline(at(4, 16, 55), timedelta(minutes=15)) == at(7, 9, 10)
    assert HOURS.deadline(at(5, 12), timedelta(hours=1)) == at(7, 10)
    assert HOURS.deadline(at(7, 10), timedelta(hours=4)) == at(7, 14)


def test_an_unanswered_question_is_past_target_after_the_target_of_office_time():
    question = item(arrived_at="2026-12-04T16:00:00Z")
    target = timedelta(hours=2)
    assert not past_target(question, HOURS, target, at(7, 9, 59))  # 1 h on Friday + 59 min on Monday
    assert past_target(question, HOURS, target, at(7, 10, 1))
    assert due_by(question, HOURS, target) == at(7, 10)
    for done in (item(arrived_at="2026-12-04T16:00:00Z", state=InboxState.ESCALATED),
                 item(arrived_at="2026-12-04T16:00:00Z", kind="other"),
                 item(arrived_at="2026-12-04T16:00:00Z", state=InboxState.RESOLVED)):
        assert not past_target(done, HOURS, target, at(8, 16))
        assert due_by(done, HOURS, target) is None


def test_office_hours_read_from_settings_text():
    hours = Settings(office_days="mon-thu, sat", office_opens="08:30", office_closes="16:00",
                     bank_holidays="2026-12-25 2026-12-28").office_hours()
    assert hours.days == frozenset({0, 1, 2, 3, 5})
    assert (hours.opens, hours.closes) == (time(8, 30), time(16))
    assert hours.holidays == frozenset({date(2026, 12, 25), date(2026, 12, 28)})
    assert OfficeHours.parse("fri-mon", "09:00", "17:00", "Europe/London").days == frozenset({4, 5, 6, 0})
    assert Settings(question_target_minutes=90).question_target() == timedelta(minutes=90)


@pytest.mark.parametrize("days,opens,closes,zone,holidays", [
    ("funday", "09:00", "17:00", "Europe/London", ""),
    ("mon-fri", "17:00", "09:00", "Europe/London", ""),
    ("mon-fri", "9am", "17:00", "Europe/London", ""),
    ("mon-fri", "09:00", "17:00", "Europe/London", "25/12/2026"),
    ("", "09:00", "17:00", "Europe/London", ""),
])
def test_wrong_office_hours_are_refused_clearly(days, opens, closes, zone, holidays):
    with pytest.raises(ValueError, match="office hours"):
        OfficeHours.parse(days, opens, closes, zone, holidays)


def test_a_target_of_no_time_is_refused():
    with pytest.raises(ValueError, match="QUESTION_TARGET_MINUTES"):
        Settings(question_target_minutes=0).question_target()


ALLOWED = {(a, b) for a, targets in TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("start", list(InboxState))
@pytest.mark.parametrize("to", list(InboxState))
def test_only_the_listed_moves_are_allowed(start, to):
    comment = item(state=start, kind="other")
    if (start, to) in ALLOWED:
        check_move(comment, to)
    else:
        with pytest.raises(InboxRefused, match=f"is {start.value}"):
            check_move(comment, to)


def test_resolved_is_final_and_deleted_may_still_be_escalated():
    assert TRANSITIONS[InboxState.RESOLVED] == frozenset()
    assert InboxState.ESCALATED in TRANSITIONS[InboxState.DELETED]


def test_an_offensive_comment_is_resolved_only_once_its_follow_up_is_recorded():
    offensive = item(kind="offensive", state=InboxState.DELETED)
    with pytest.raises(InboxRefused, match="follow-up"):
        check_move(offensive, InboxState.RESOLVED)
    followed = item(kind="offensive", state=InboxState.DELETED,
                    follow_ups=(FollowUp(FollowUpAction.REPORTED, "bo", "2026-12-07T10:00:00Z", "hate crime ref 12"),))
    check_move(followed, InboxState.RESOLVED)


def test_a_waiting_reply_blocks_every_move_but_its_answer():
    waiting = item(pending=PendingReply("Thanks", "ann", "2026-12-07T10:00:00Z", True))
    for to in (InboxState.ESCALATED, InboxState.DELETED, InboxState.RESOLVED):
        with pytest.raises(InboxRefused, match="waiting"):
            check_move(waiting, to)
    check_move(waiting, InboxState.ANSWERED)
    with pytest.raises(InboxRefused, match="already waiting"):
        check_reply(waiting, "Another")


def test_a_reply_needs_words_a_replyable_state_and_a_second_officer_to_approve():
    with pytest.raises(InboxRefused, match="Write"):
        check_reply(item(), "  ")
    with pytest.raises(InboxRefused, match="at most"):
        check_reply(item(), "x" * 2001)
    with pytest.raises(InboxRefused, match="answered"):
        check_reply(item(state=InboxState.ANSWERED), "Thanks")
    waiting = item(pending=PendingReply("Thanks", "ann", "2026-12-07T10:00:00Z", True))
    with pytest.raises(InboxRefused, match="you wrote it"):
        check_approval(waiting, "ann")
    assert check_approval(waiting, "bo").text == "Thanks"


def test_an_item_survives_its_json_form():
    full = item(state=InboxState.ESCALATED, monitor_did=("replied",), assignee="bo",
                pending=PendingReply("Thanks", "ann", "2026-12-07T10:00:00Z", True, "bo", "2026-12-07T10:05:00Z"),
                follow_ups=(FollowUp(FollowUpAction.HIDDEN, "bo", "2026-12-07T10:00:00Z"),), revision=4)
    assert InboxItem.from_json(full.as_json()) == full
