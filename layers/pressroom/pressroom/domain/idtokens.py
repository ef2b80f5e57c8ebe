"""Verifying the ID tokens that sign people in to the desk (JSON Web Tokens, RS256).

Amazon Cognito signs an ID token with one of the user pool's RSA keys, published as a JSON Web
Key Set at ``<issuer>/.well-known/jwks.json``; the local stack's development sign-in signs the same
kind of token with a key of its own and publishes it the same way. A token counts only when all of
these hold, as the HTTP API's JWT authorizer checks them:

* its header names RS256 and a key id (``kid``) of the set, and the RSA PKCS#1 v1.5 signature over
  ``header.payload`` verifies under that key (SHA-256; no other algorithm is accepted, so a token
  saying ``none`` or ``HS256`` is refused before anything else is read);
* ``iss`` is the pool's issuer, ``aud`` the desk's app client, ``token_use`` is ``id``;
* ``exp`` is in the future and ``iat`` not (a minute's leeway for clocks).

RSA verification is a modular exponentiation and a comparison, written out here so the layer needs
no cryptography package: verifying uses only the public key, and nothing secret is computed.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

#: DER prefix of a DigestInfo holding a SHA-256 digest (RFC 8017, section 9.2, note 1)
_SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
LEEWAY_SECONDS = 60
MAX_TOKEN_CHARS = 8192


class TokenError(ValueError):
    """A token that does not sign anyone in; the message says why (for logs, never the token)."""


@dataclass(frozen=True)
class RsaKey:
    """A public RSA key of the set: modulus and exponent."""

    n: int
    e: int

    @classmethod
    def from_jwk(cls, jwk: Mapping[str, Any]) -> RsaKey:
        return cls(int.from_bytes(_b64decode(str(jwk["n"])), "big"), int.from_bytes(_b64decode(str(jwk["e"])), "big"))


def keys_from_jwks(document: Mapping[str, Any]) -> dict[str, RsaKey]:
    """The RS256 signing keys of a JSON Web Key Set, by key id."""
    return {str(k["kid"]): RsaKey.from_jwk(k) for k in document.get("keys", [])
            if k.get("kty") == "RSA" and k.get("alg", "RS256") == "RS256" and k.get("use", "sig") == "sig"
            and k.get("kid") and k.get("n") and k.get("e")}


def header_of(token: str) -> dict[str, Any]:
    """The token's header (which key signed it), read before anything is trusted."""
    parts = _parts(token)
    return _json(parts[0])


def verify(token: str, keys: Mapping[str, RsaKey], *, issuer: str, audience: str, now: datetime) -> dict[str, Any]:
    """The claims of a valid ID token for ``audience`` from ``issuer``; :class:`TokenError` otherwise."""
    head, body, signature = _parts(token)
    header = _json(head)
    if header.get("alg") != "RS256":
        raise TokenError(f"algorithm {header.get('alg')!r} is not RS256")
    key = keys.get(str(header.get("kid", "")))
    if key is None:
        raise TokenError("signed by a key the issuer does not publish")
    if not rsa_pkcs1_sha256_valid(key, f"{head}.{body}".encode(), _b64decode(signature)):
        raise TokenError("the signature does not verify")
    claims = _json(body)
    if claims.get("iss") != issuer:
        raise TokenError("another issuer")
    audiences = claims.get("aud")
    if audience not in (audiences if isinstance(audiences, list) else [audiences]):
        raise TokenError("for another client")
    if claims.get("token_use") != "id":
        raise TokenError("not an ID token")
    stamp = now.timestamp()
    exp, iat = claims.get("exp"), claims.get("iat", 0)
    if not isinstance(exp, (int, float)) or not isinstance(iat, (int, float)):
        raise TokenError("no expiry")
    if stamp >= exp + LEEWAY_SECONDS:
        raise TokenError("expired")
    if iat > stamp + LEEWAY_SECONDS:
        raise TokenError("issued in the future")
    return claims


def rsa_pkcs1_sha256_valid(key: RsaKey, message: bytes, signature: bytes) -> bool:
    """RSASSA-PKCS1-v1_5 verification with SHA-256 (RFC 8017, 8.2.2): the signature, raised to the
    public exponent, must be exactly the padded DigestInfo of the message's digest."""
    size = (key.n.bit_length() + 7) // 8
    if size < 256 or len(signature) != size:  # 2048-bit keys or larger, signature of the key's length
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    encoded = pow(s, key.e, key.n).to_bytes(size, "big")
    info = _SHA256_INFO + hashlib.sha256(message).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(info) - 3) + b"\x00" + info
    return hmac.compare_digest(encoded, expected)


def _parts(token: str) -> tuple[str, str, str]:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise TokenError("no token, or too long")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise TokenError("not a signed JSON Web Token")
    return parts[0], parts[1], parts[2]


def _json(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("a part is not base64url JSON") from None
    if not isinstance(value, dict):
        raise TokenError("a part is not a JSON object")
    return value


def _b64decode(text: str) -> bytes:
    if not text.replace("-", "").replace("_", "").isalnum():
        raise TokenError("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise TokenError("not base64url") from None
