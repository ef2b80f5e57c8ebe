"""Approval links: signed, expiring, naming one photo and one approver; anything else refused."""
import base64
import struct
from datetime import UTC, datetime, timedelta

import pytest

from pressroom.domain import links
from pressroom.web.csrf import csrf_ok, csrf_token, same_origin_request

KEY = b"k" * 48
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
PHOTO = "3f1c2a9b7d4e5f60718293a4"
ALICE, BOB = "alice@press-office.example", "bob@press-office.example"


def _token(photo=PHOTO, approver=ALICE, ttl=timedelta(days=7), key=KEY):
    return links.issue(key, photo, approver, NOW + ttl)


def _raw(token):
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))


def _enc(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _status(token, now=NOW, key=KEY):
    with pytest.raises(links.LinkError) as err:
        links.verify(key, token, now)
    return err.value.status


def test_a_link_round_trips_and_names_photo_approver_and_expiry():
    token = _token()
    claims = links.verify(KEY, token, NOW)
    assert claims.photo_id == PHOTO
    assert claims.expires_at == NOW + timedelta(days=7)
    assert links.find_approver(claims, [BOB, ALICE.upper()]) == ALICE.upper()
    assert links.find_approver(claims, [BOB]) is None
    assert len(token) < 120 and all(c.isalnum() or c in "-_" for c in token)


def test_a_link_sealed_with_the_previous_key_is_verified_under_that_key():
    old = b"o" * 48
    claims = links.verify(KEY, _token(key=old), NOW, older=[old])
    assert claims.key == old and links.find_approver(claims, [BOB, ALICE]) == ALICE
    assert "key=" not in repr(claims)  # never printed
    assert _status(_token(key=old)) == 403  # without it: forged


def test_the_previous_key_is_read_only_for_a_link_the_current_key_did_not_seal():
    def unreadable():
        raise AssertionError("the previous key was read")
        yield

    assert links.verify(KEY, _token(), NOW, older=unreadable()).key == KEY


def test_links_carry_no_address_and_fresh_nonces():
    first, second = _token(), _token()
    assert first != second
    assert links.verify(KEY, first, NOW).nonce != links.verify(KEY, second, NOW).nonce
    assert b"alice" not in _raw(first)


def test_expired_link_is_gone():
    token = _token(ttl=timedelta(hours=1))
    assert links.verify(KEY, token, NOW + timedelta(minutes=59)).photo_id == PHOTO
    assert _status(token, now=NOW + timedelta(hours=1)) == 410
    with pytest.raises(links.LinkError) as err:
        links.verify(KEY, token, NOW + timedelta(hours=1))
    # a link ends with its photo's approval request: no reminder comes after it
    assert "reminder" not in err.value.message and "not published" in err.value.message


def test_forged_signature_and_other_key_are_refused():
    token = _token()
    raw = bytearray(_raw(token))
    raw[-1] ^= 0x01
    assert _status(_enc(bytes(raw))) == 403
    assert _status(_token(key=b"x" * 48)) == 403


@pytest.mark.parametrize("offset, value", [
    (30, b"0"),            # photo id altered
    (17, b"\x00" * 12),    # approver tag altered
])
def test_altered_payload_is_refused(offset, value):
    raw = bytearray(_raw(_token()))
    raw[offset:offset + len(value)] = value
    assert _status(_enc(bytes(raw))) == 403


def test_extended_expiry_is_refused():
    raw = bytearray(_raw(_token(ttl=timedelta(hours=1))))
    raw[1:5] = struct.pack(">I", int((NOW + timedelta(days=365)).timestamp()))
    assert _status(_enc(bytes(raw)), now=NOW + timedelta(days=2)) == 403


@pytest.mark.parametrize("token", [
    "", "abc", "not a token!", "A" * 500, _token()[:-5], _token() + "=", _token()[:-1] + "+", _token()[:-1] + ".",
])
def test_malformed_links_are_bad_requests(token):
    assert _status(token) == 400


def test_non_canonical_encoding_is_refused():
    token = _token()
    raw = _raw(token)
    spare = (len(raw) * 8) % 6
    assert spare, "the token length leaves spare bits in its last character"
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    tweaked = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    assert _raw(tweaked) == raw  # decodes to the same bytes ...
    assert _status(tweaked) == 400  # ... but is not the token we issued


def test_csrf_token_is_bound_to_the_link():
    token, other = _token(), _token()
    assert csrf_ok(KEY, token, csrf_token(KEY, token))
    assert not csrf_ok(KEY, token, csrf_token(KEY, other))
    assert not csrf_ok(KEY, token, "")


@pytest.mark.parametrize("headers, ok", [
    ({}, True),
    ({"origin": "https://review.example"}, True),
    ({"Origin": "https://evil.example"}, False),
    ({"sec-fetch-site": "cross-site"}, False),
    ({"sec-fetch-site": "same-site"}, False),
    ({"origin": "null", "sec-fetch-site": "same-origin"}, True),
    ({"origin": "null"}, True),  # Safari before 16.4: no Sec-Fetch-* headers at all
    ({"origin": "null", "sec-fetch-site": "cross-site"}, False),
    ({"origin": "null", "sec-fetch-site": "same-site"}, False),
    ({"origin": "null", "sec-fetch-site": "none"}, False),
])
def test_origin_signals(headers, ok):
    assert same_origin_request(headers, "https://review.example") is ok
