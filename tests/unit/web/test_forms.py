"""The decision form as read from a POST: what to blur, and the blurred copy the page showed."""
from urllib.parse import urlencode

from pressroom.web.forms import read_decision

ORIGIN = "https://review.example"
HEADERS = {"content-type": "application/x-www-form-urlencoded", "origin": ORIGIN, "sec-fetch-site": "same-origin"}


def _read(*fields):
    return read_decision(urlencode([("t", "T"), ("csrf", "C"), ("decision", "approve"), *fields]), HEADERS, ORIGIN)


def test_the_ticked_blur_boxes_are_read_once_each_in_the_pages_order():
    form = _read(("blur", "text"), ("blur", "faces"), ("blur", "text"), ("blurred", "faces,text:ab"))
    assert form.blur == ("faces", "text") and form.blurred == "faces,text:ab"


def test_an_unknown_blur_value_is_no_choice_and_none_ticked_is_none():
    assert _read(("blur", "eyes"), ("blur", "plates")).blur == ("plates",)
    form = _read()
    assert form.blur == () and form.blurred == ""
