"""Signed, expiring, single-use approval links.

A token names one photo and one approver, carries an expiry and a random nonce, and is sealed
with HMAC-SHA256 under the signing key. It is one URL-safe base64 string (no padding):

    version(1) | expires(4, big-endian seconds) | nonce(12) | approver tag(12) | photo id (utf-8) | mac(32)

The approver is named by a keyed tag of their address, not the address itself, so links (which end
up in browser histories and access logs) carry no personal data.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import struct
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain

VERSION = 1
_HEAD = struct.Struct(">BI12s12s")
_MAC_BYTES = 32
_MAX_PHOTO_ID = 64
_SHORTEST = -(-(_HEAD.size + 1 + _MAC_BYTES) * 4 // 3)
_LONGEST = -(-(_HEAD.size + _MAX_PHOTO_ID + _MAC_BYTES) * 4 // 3)
_TOKEN = re.compile(rf"^[A-Za-z0-9_-]{{{_SHORTEST},{_LONGEST}}}$")
_DOMAIN = b"pressroom/approval-link\x00"


class LinkError(Exception):
    """A link that must not be honoured; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, title: str, message: str):
        super().__init__(message)
        self.status = status
        self.title = title
        self.message = message


def malformed() -> LinkError:
    return LinkError(400, "This link is not valid",
                     "The approval link is incomplete or damaged. Open it again from the email, "
                     "copying the whole address.")


def forged() -> LinkError:
    return LinkError(403, "This link is not valid",
                     "The approval link was not issued by Pressroom, or it has been altered. "
                     "Use the link in your approval email.")


@dataclass(frozen=True)
class Claims:
    """What a verified token says."""

    photo_id: str
    approver_tag: bytes
    expires: int
    nonce: str
    #: the key whose MAC the token carries, which also keys its approver tag and CSRF token
    key: bytes = field(repr=False, compare=False)

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def purpose_key(key: bytes, purpose: str) -> bytes:
    """A key of its own for one kind of link, derived from ``key``: a link issued for one purpose
    (taking a photo down) never verifies as a link for another (reviewing a correction)."""
    return hmac.new(key, b"pressroom/link-purpose\x00" + purpose.encode(), hashlib.sha256).digest()


def approver_tag(key: bytes, approver: str) -> bytes:
    """A keyed 96-bit tag naming ``approver`` (case-insensitive) without revealing the address."""
    return hmac.new(key, b"approver\x00" + approver.strip().lower().encode(), hashlib.sha256).digest()[:12]


def issue(key: bytes, photo_id: str, approver: str, expires: datetime) -> str:
    """A new token for ``approver`` to decide on ``photo_id`` until ``expires``."""
    pid = photo_id.encode()
    if not pid or len(pid) > _MAX_PHOTO_ID:
        raise ValueError("a photo id is 1..64 bytes")
    body = _HEAD.pack(VERSION, int(expires.timestamp()), secrets.token_bytes(12), approver_tag(key, approver)) + pid
    return _b64(body + _mac(key, body))


def verify(key: bytes, token: str, now: datetime, *, older: Iterable[bytes] = ()) -> Claims:
    """The claims of an authentic, unexpired ``token``; :class:`LinkError` otherwise.

    A token sealed with none of ``key`` and then ``older`` (tried, and so read, only when ``key``
    fails) is forged.
    """
    if not token or not _TOKEN.match(token):
        raise malformed()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except binascii.Error:
        raise malformed() from None
    if _b64(raw) != token:  # non-canonical encodings (spare bits set) are altered tokens
        raise malformed()
    body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    signer = next((k for k in chain((key,), older) if hmac.compare_digest(mac, _mac(k, body))), None)
    if signer is None:
        raise forged()
    version, expires, nonce, tag = _HEAD.unpack_from(body)
    try:
        photo_id = body[_HEAD.size:].decode()
    except UnicodeDecodeError:
        raise malformed() from None
    if version != VERSION:
        raise malformed()
    if now.timestamp() >= expires:
        raise LinkError(410, "This link has expired",
                        "Approval links work until the photo's approval request runs out, and this one "
                        "has. A photo nobody decided on in time is not published; its uploader is told.")
    return Claims(photo_id=photo_id, approver_tag=tag, expires=expires, nonce=_b64(nonce), key=signer)


def find_approver(claims: Claims, candidates: list[str]) -> str | None:
    """The candidate address that ``claims`` names, compared in constant time per candidate."""
    found = None
    for candidate in candidates:
        if hmac.compare_digest(approver_tag(claims.key, candidate), claims.approver_tag):
            found = candidate
    return found


def _mac(key: bytes, body: bytes) -> bytes:
    return hmac.new(key, _DOMAIN + body, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
