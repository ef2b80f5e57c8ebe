"""publish-at is read in UK time (pressroom.domain.schedule)."""
from datetime import UTC, datetime

import pytest

from pressroom.domain.schedule import london, publish_at


@pytest.mark.parametrize(("value", "utc"), [
    ("2027-01-05T09:00", datetime(2027, 1, 5, 9, 0, tzinfo=UTC)),      # GMT
    ("2027-07-05T09:00", datetime(2027, 7, 5, 8, 0, tzinfo=UTC)),      # BST
    ("2027-07-05 09:00:30", datetime(2027, 7, 5, 8, 0, 30, tzinfo=UTC)),
    ("2027-03-28T01:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),    # skipped by the clocks: as GMT
    ("2027-10-31T01:30", datetime(2027, 10, 31, 0, 30, tzinfo=UTC)),   # repeated: the first, BST
])
def test_publish_at_is_uk_time(value, utc):
    assert publish_at(value) == utc


@pytest.mark.parametrize("value", ["", "tomorrow", "2027-01-05", "05/01/2027 09:00", "2027-13-05T09:00",
                                   "2027-01-05T25:00", "2027-01-05T09:00Z"])
def test_anything_else_is_refused(value):
    with pytest.raises(ValueError):
        publish_at(value)


def test_london_says_which_clock():
    assert london(datetime(2027, 7, 5, 8, 0, tzinfo=UTC)) == "5 July 2027 at 09:00 BST"
    assert london(datetime(2027, 1, 5, 9, 0, tzinfo=UTC)) == "5 January 2027 at 09:00 GMT"
