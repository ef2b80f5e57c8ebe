"""Where an uploader's notice goes: their address only when it is a plain one."""
from __future__ import annotations

import pytest

from pressroom.mail import Email, to_mime
from pressroom.notices import uploader_addresses
from pressroom.photos import Photo, State

PRESS_OFFICE = ["press.office@example.org"]


@pytest.fixture(autouse=True)
def _press_office(monkeypatch):
    monkeypatch.setattr("pressroom.config.press_office", lambda: PRESS_OFFICE)


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
