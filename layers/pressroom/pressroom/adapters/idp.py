"""The desk's identity provider (the Cognito user pool, or the local stack's development sign-in):
its keys, and the code-for-token exchange of its hosted login.

The keys: the user pool's JSON Web Key Set, fetched over HTTPS and kept.

Cognito publishes its keys at ``<issuer>/.well-known/jwks.json`` and rotates them rarely; the set is
kept for an hour, and fetched again early (at most once a minute) when a token names a key it does
not hold, so a rotation is picked up without letting forged key ids make a request each.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping

from pressroom.domain.idtokens import RsaKey, keys_from_jwks

KEEP_SECONDS = 3600
REFETCH_AFTER_SECONDS = 60
_TIMEOUT_SECONDS = 5
_MAX_BYTES = 64 * 1024


def _checked(url: str) -> str:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise ValueError(f"refusing to talk to {url!r}: not https")
    return url


def fetch_json(url: str) -> dict:
    """GET ``url`` (https, or the local stack's http) and parse it as JSON."""
    with urllib.request.urlopen(_checked(url), timeout=_TIMEOUT_SECONDS) as reply:
        return json.loads(reply.read(_MAX_BYTES))


def exchange_code(token_url: str, form: Mapping[str, str]) -> dict:
    """POST the authorization code (with its PKCE verifier) to the token endpoint; its JSON reply.
    An error reply raises ``urllib.error.HTTPError``."""
    data = urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(_checked(token_url), data=data, method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as reply:
        return json.loads(reply.read(_MAX_BYTES))


class KeySet:
    """The issuer's keys, by key id, fetched when first needed and kept."""

    def __init__(self, url: str, fetch: Callable[[str], dict] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self._url = url
        self._fetch = fetch
        self._clock = clock
        self._keys: dict[str, RsaKey] = {}
        self._fetched = float("-inf")
        self._lock = threading.Lock()

    def keys(self, kid: str = "") -> Mapping[str, RsaKey]:
        """The keys, fetched again when they are old, or when ``kid`` is not among them (at most once a minute)."""
        with self._lock:
            age = self._clock() - self._fetched
            if age >= KEEP_SECONDS or (kid and kid not in self._keys and age >= REFETCH_AFTER_SECONDS):
                self._keys = keys_from_jwks((self._fetch or fetch_json)(self._url))
                self._fetched = self._clock()
            return dict(self._keys)
