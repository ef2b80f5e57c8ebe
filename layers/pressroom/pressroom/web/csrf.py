"""Cross-site request forgery defences for the decision form.

The form carries a CSRF token derived from the link token (HMAC under the signing key with its own
purpose label), and a POST is refused unless it echoes it. Browsers' own signals are checked too
when present: ``Sec-Fetch-Site`` must be ``same-origin``, and ``Origin`` must be ours. The review
page is served with ``Referrer-Policy: no-referrer``, under which browsers send ``Origin: null`` on
a form POST. ``null`` is therefore accepted with a same-origin ``Sec-Fetch-Site``, or with none at
all: older Safari (before 16.4) sends no ``Sec-Fetch-*`` headers, and the CSRF token still guards
its form. A cross-site ``Sec-Fetch-Site`` or a foreign ``Origin`` is always refused.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import urlsplit


def csrf_token(key: bytes, link_token: str) -> str:
    mac = hmac.new(key, b"pressroom/csrf\x00decide\x00" + link_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def csrf_ok(key: bytes, link_token: str, submitted: str) -> bool:
    return bool(submitted) and hmac.compare_digest(csrf_token(key, link_token).encode(), submitted.encode())


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of ``url``."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same_origin_request(headers: Mapping[str, str], own_origin: str) -> bool:
    """False when the browser tells us the POST came from another site."""
    lowered = {k.lower(): v for k, v in headers.items()}
    fetch_site = lowered.get("sec-fetch-site", "").strip().lower()
    if fetch_site and fetch_site != "same-origin":
        return False
    origin = lowered.get("origin", "").strip().lower()
    if not origin:
        return True
    if origin == "null":
        return fetch_site in ("", "same-origin")  # no Sec-Fetch-Site: a browser that predates it
    return origin == own_origin.lower()
