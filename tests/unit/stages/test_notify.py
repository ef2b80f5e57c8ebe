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


class _Outbox:
    """A mailer that keeps what it sent; ``during_send`` runs inside the first send (a second delivery
    of the same event arriving while the first is still sending)."""

    def __init__(self, during_send=None):
        self.sent: list[Email] = []
        self._during = during_send

    def send(self, email: Email) -> str:
        if self._during is not None:
            during, self._during = self._during, None
            during()
        self.sent.append(email)
        return f"m{len(self.sent)}"


def _quarantined(store) -> Photo:
    assert store.create(photo("pc.jane.doe@west-midlands.police.uk"), actor="test")
    return store.get("p1")


def test_two_deliveries_at_once_send_the_notice_once(store):
    """Two deliveries of one event both found the photo quarantined and the notice not yet recorded:
    both sent it (the soak saw "your photo was quarantined" twice). The second now waits for the first."""
    from pressroom.stages.notify import NoticeInFlight, notify_once

    current = _quarantined(store)
    second: list[object] = []

    def second_delivery() -> None:
        try:
            second.append(notify_once(store, mailer, store.get("p1"), "quarantined", ["bad file"]))
        except NoticeInFlight as exc:
            second.append(exc)

    mailer = _Outbox(during_send=second_delivery)
    assert notify_once(store, mailer, current, "quarantined", ["bad file"]) is True
    assert len(mailer.sent) == 1 and isinstance(second[0], NoticeInFlight)
    assert notify_once(store, mailer, store.get("p1"), "quarantined", ["bad file"]) is False  # the retry
    assert len(mailer.sent) == 1


def test_a_notice_whose_send_failed_is_sent_by_the_retry(store):
    from pressroom.stages.notify import notify_once

    current = _quarantined(store)

    class Throttled(_Outbox):
        def send(self, email: Email) -> str:
            raise RuntimeError("Throttling: Maximum sending rate exceeded")

    with pytest.raises(RuntimeError):
        notify_once(store, Throttled(), current, "quarantined", ["bad file"])
    mailer = _Outbox()
    assert notify_once(store, mailer, store.get("p1"), "quarantined", ["bad file"]) is True
    assert len(mailer.sent) == 1


def test_a_claim_left_by_a_sender_that_died_is_taken_over_after_its_lease(store):
    from datetime import timedelta

    from pressroom.domain import clock
    from pressroom.stages.notify import NOTICE_LEASE, NoticeInFlight, notify_once

    current = _quarantined(store)
    now = clock.now()
    assert store.claim_notice("p1", "notified_at", clock.iso(now), clock.iso(now - NOTICE_LEASE))  # then it died
    with pytest.raises(NoticeInFlight):
        notify_once(store, _Outbox(), current, "quarantined", ["bad file"])
    clock.advance(NOTICE_LEASE + timedelta(seconds=1))
    try:
        mailer = _Outbox()
        assert notify_once(store, mailer, store.get("p1"), "quarantined", ["bad file"]) is True
        assert len(mailer.sent) == 1
    finally:
        clock.reset()
