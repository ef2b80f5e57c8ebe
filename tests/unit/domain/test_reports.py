"""A month's figures on hand-made histories (pressroom.domain.reports)."""
from datetime import UTC, date, datetime, timedelta

import pytest

from pressroom.domain.reports import (
    NO_LINE,
    CommentSeen,
    Happening,
    Line,
    Month,
    Response,
    day_bounds,
    duration,
    month_report,
)

KINDS = ["threat", "question", "other"]
FORTNIGHT = timedelta(days=14)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def report(month="2027-01", *, now=utc(2028, 1, 1), happenings=(), uploaded_at=None, blocked_lines=None,
           published_before=None, comments=(), responses=None):
    return month_report(Month.parse(month), now=now, happenings=happenings, uploaded_at=uploaded_at or {},
                        blocked_lines=blocked_lines or {}, published_before=published_before, stale_after=FORTNIGHT,
                        comment_classes=KINDS, comments=comments, responses=responses)


def test_a_month_is_a_london_month_in_gmt_and_in_bst():
    assert (Month.parse("2027-01").start, Month.parse("2027-01").end) == (utc(2027, 1, 1), utc(2027, 2, 1))
    assert (Month.parse("2027-07").start, Month.parse("2027-07").end) == (utc(2027, 6, 30, 23), utc(2027, 7, 31, 23))
    assert Month.parse("2027-03").end == utc(2027, 3, 31, 23)  # BST from 28 March
    assert Month.parse("2027-10").end == utc(2027, 11, 1)  # GMT again from 31 October
    assert Month.parse("2027-12").next == Month(2028, 1) and Month.parse("2027-12").end == utc(2028, 1, 1)
    assert Month.of(utc(2027, 6, 30, 23, 30)) == Month(2027, 7)
    assert len(Month.parse("2028-02").days()) == 29 and Month.parse("2027-01").label == "January 2027"


def test_the_days_the_clocks_change_are_23_and_25_hours():
    start, end = day_bounds(date(2027, 3, 28))
    assert (start, end - start) == (utc(2027, 3, 28), timedelta(hours=23))
    start, end = day_bounds(date(2027, 10, 31))
    assert (start, end - start) == (utc(2027, 10, 30, 23), timedelta(hours=25))


@pytest.mark.parametrize("value", ["2027-13", "2027-00", "27-01", "2027-1", "January", "", "2027-01-05", "1999-12"])
def test_a_month_that_is_not_yyyy_mm_is_refused_clearly(value):
    with pytest.raises(ValueError, match="is not a month like 2027-01"):
        Month.parse(value)


def test_happenings_fall_in_the_london_month_either_side_of_the_boundary():
    late_june_utc = Happening("p1", "uploaded", utc(2027, 6, 30, 23, 30))  # 00:30 BST on 1 July
    last_july_utc = Happening("p2", "uploaded", utc(2027, 7, 31, 23, 30))  # 00:30 BST on 1 August
    in_july = Happening("p3", "uploaded", utc(2027, 7, 31, 22, 59))
    counts = report("2027-07", happenings=[late_june_utc, last_july_utc, in_july]).counts
    assert counts["uploaded"] == 2
    assert report("2027-06", happenings=[late_june_utc]).counts["uploaded"] == 0
    assert report("2027-08", happenings=[last_july_utc]).counts["uploaded"] == 1
    january = [Happening("p4", "uploaded", utc(2027, 1, 31, 23, 59)), Happening("p5", "uploaded", utc(2027, 2, 1))]
    assert report("2027-01", happenings=january).counts["uploaded"] == 1  # GMT: UTC midnight is the boundary


def test_counts_median_to_publish_and_photos_never_published():
    h = [
        Happening("a", "uploaded", utc(2027, 1, 4, 9)), Happening("a", "published", utc(2027, 1, 4, 10)),
        Happening("b", "uploaded", utc(2027, 1, 5, 9)), Happening("b", "published", utc(2027, 1, 5, 12)),
        Happening("c", "published", utc(2027, 1, 6, 9)),  # uploaded in December
        Happening("d", "uploaded", utc(2027, 1, 7, 9)),  # never published
        Happening("e", "uploaded", utc(2027, 1, 8, 9)), Happening("e", "rejected", utc(2027, 1, 9, 9)),
        Happening("f", "expired", utc(2027, 1, 9, 9)),
        Happening("c", "taken_down", utc(2027, 1, 20, 9)), Happening("old", "taken_down", utc(2027, 1, 21, 9)),
    ]
    uploaded = {"a": utc(2027, 1, 4, 9), "b": utc(2027, 1, 5, 9), "c": utc(2026, 12, 31, 9)}
    r = report(happenings=h, uploaded_at=uploaded)
    assert r.counts == {"uploaded": 4, "published": 3, "blocked": 0, "rejected": 1, "expired": 1, "taken_down": 2}
    assert (r.to_publish, r.to_publish_photos) == (timedelta(hours=3), 3)  # 1 h, 3 h, 6 d: the median is 3 h


def test_no_photo_published_has_no_median():
    r = report(happenings=[Happening("d", "uploaded", utc(2027, 1, 7, 9))])
    assert r.to_publish is None and r.to_publish_photos == 0 and r.counts["published"] == 0


def test_blocked_photos_are_counted_under_each_guidance_line_that_blocked_them():
    children, credit = Line("dont-children", "Don't show children…"), Line("do-credit", "Credit the photographer")
    h = [Happening(p, "blocked", utc(2027, 1, 10)) for p in ("a", "b", "c")]
    r = report(happenings=h, blocked_lines={"a": [children, credit], "b": [children], "c": []})
    assert r.counts["blocked"] == 3
    assert [(b.line.rule, b.photos) for b in r.blocked_by] == [("dont-children", 2), (NO_LINE, 1), ("do-credit", 1)]


def test_stale_days_follow_the_last_publish_before_and_in_the_month():
    r = report(happenings=[Happening("a", "published", utc(2027, 1, 10, 9))], published_before=utc(2026, 12, 20, 12))
    # stale from 3 January 12:00 until the publish on 10 January 09:00, and again from 24 January 09:00
    assert r.stale_days == [date(2027, 1, d) for d in (*range(3, 11), *range(24, 32))]


def test_a_stale_spell_starting_just_after_midnight_bst_is_on_the_london_day():
    publishes = [Happening("a", "published", utc(2027, 7, 1, 23, 30)),  # 00:30 BST on 2 July
                 Happening("b", "published", utc(2027, 7, 20, 12))]
    r = report("2027-07", happenings=publishes, published_before=utc(2027, 6, 20, 12))
    assert r.stale_days == [date(2027, 7, d) for d in range(16, 21)]  # from 00:30 BST on 16 July (23:30 UTC on the 15th)


def test_an_account_that_never_published_is_stale_every_day_up_to_now():
    r = report(now=utc(2027, 1, 10, 12))
    assert r.stale_days == [date(2027, 1, d) for d in range(1, 11)] and not r.complete
    assert r.until == utc(2027, 1, 10, 12)


def test_a_month_still_to_come_is_cut_at_now():
    r = report(now=utc(2027, 1, 5), happenings=[Happening("a", "uploaded", utc(2027, 1, 6))],
               published_before=utc(2027, 1, 1))
    assert r.counts["uploaded"] == 0 and r.stale_days == []


def test_comments_by_class_each_once_with_every_class_shown():
    seen = [CommentSeen("c1", "question", utc(2027, 1, 3)), CommentSeen("c1", "question", utc(2027, 1, 3)),
            CommentSeen("c2", "threat", utc(2027, 1, 4)), CommentSeen("c3", "question", utc(2027, 2, 1))]
    r = report(comments=seen)
    assert r.comments == {"threat": 1, "question": 1, "other": 0} and r.responses is None


def test_response_times_median_and_share_within_target():
    answered = [Response("question", timedelta(minutes=m), m <= 240) for m in (30, 90, 300)]
    r = report(responses=answered)
    assert (r.responses.answered, r.responses.median, r.responses.within_target) == (3, timedelta(minutes=90), 2)
    assert r.responses.share_within_target == pytest.approx(2 / 3)
    assert report(responses=[]).responses.share_within_target is None


def test_durations_read_as_a_person_says_them():
    assert duration(timedelta(minutes=12)) == "12 min"
    assert duration(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert duration(timedelta(days=2, hours=3)) == "2 d 3 h"
    assert duration(None) == "none"
