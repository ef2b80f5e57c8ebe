"""The uploader's notice: where it goes (their address only when it is a plain one) and what it says."""
from __future__ import annotations

from dataclasses import replace

import pytest

from pressroom.adapters.mail import Email, to_mime
from pressroom.domain.photos import Photo, State
from pressroom.stages.notify import notice, uploader_addresses

PRESS_OFFICE = ["press.office@example.org"]


@pytest.fixture(autouse=True)
def _press_office(monkeypatch):
    monkeypatch.setattr("pressroom.adapters.parameters.press_office", lambda: PRESS_OFFICE)


def photo(uploader: str) -> Photo:
    return Photo(id="p1", state=State.QUARANTINED, album="a", original_bucket="raw", original_key="incoming/a/x.jpg",
                 original_version="v1", uploader=uploader)


@pytest.mark.parametrize("address", ["pc.jane.doe@west-midlands.police.uk", "john.o'brien@example.org",
                                     "ops+photos@example.co.uk"])
def test_a_plain_address_is_told_and_is_the_only_recipient(address):
    assert uploader_addresses(photo(address)) == [address]
    message = to_mime(Email(to=uploader_addresses(photo(address)), subject="s", text="t"), "p@example.org")
    assert message["To"] == address


@pytest.mark.parametrize("address", [
    "=?utf-8?q?x?=@example.org",  # Python decodes it: the notice went to x@example.org
    "=?utf-8?q?x=0ABcc=3A_evil=40example.org?=@example.org",  # refused with a ValueError: never sent
    "jo,hn@example.org", "a;b@example.org", 'a"b@example.org', "josé@example.org", "a@b@example.org",
    "someone", "", "a@localhost", "a b@example.org",
])
def test_any_other_address_sends_the_notice_to_the_press_office(address):
    assert uploader_addresses(photo(address)) == PRESS_OFFICE


def test_a_quarantine_notice_says_in_plain_words_what_to_do():
    quarantined = photo("pc.jane.doe@west-midlands.police.uk")
    text = notice(quarantined, "quarantined", ["JPEG segment 0xFFED runs past the end of the file"]).text
    assert "JPEG segment 0xFFED" in text and "export it again as a JPEG" in text and quarantined.id in text
    blocked = replace(quarantined, state=State.BLOCKED)
    assert "Fix what is listed" in notice(blocked, "blocked", ["a juvenile is named"]).text
