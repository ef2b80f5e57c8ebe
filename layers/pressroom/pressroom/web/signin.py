"""Signing in to the desk: the hosted login's authorization-code flow (with PKCE), and the cookies
that carry a signed-in visitor.

A browser navigating server-rendered pages sends cookies, never an ``Authorization`` header, so
the ID token the hosted login issues travels in a cookie: ``__Host-`` (this host only, path ``/``,
``Secure``), ``HttpOnly`` (no script reads it), ``SameSite=Lax`` (not sent on another site's POST),
and kept no longer than the token is valid. The desk verifies it on every request against the user
pool's keys (:mod:`pressroom.domain.idtokens`); the HTTP API's authorizer verifies it before that
(docs/desk.md).

Sign-in: the desk sends the browser to ``<login>/oauth2/authorize`` with a random ``state`` and a
PKCE challenge, both remembered in a short-lived cookie of their own; the login sends it back to
``/auth/callback`` with a code, which is good only with the matching verifier (RFC 7636).
"""
from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from aws_lambda_powertools.shared.cookies import Cookie, SameSite

from pressroom.web.csrf import csrf_ok, csrf_token
from pressroom.web.desk import GROUPS, Visitor

SESSION_COOKIE = "__Host-pressroom-desk"
SIGNIN_COOKIE = "__Host-pressroom-signin"
SIGNIN_SECONDS = 600
CALLBACK_PATH = "/auth/callback"
SCOPES = "openid email profile"


def cookies(header: str | None) -> dict[str, str]:
    """The cookies of a ``Cookie`` header (or API Gateway's ``cookies`` list joined with "; ")."""
    found: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name and name not in found:
            found[name] = value.strip()
    return found


def set_cookie(name: str, value: str, max_age: int) -> Cookie:
    return Cookie(name, value, path="/", secure=True, http_only=True, max_age=max(0, max_age),
                  same_site=SameSite.LAX_MODE)


def clear_cookie(name: str) -> Cookie:
    return set_cookie(name, "", 0)


def visitor_of(claims: Mapping[str, Any]) -> Visitor | None:
    """The visitor an ID token's claims name, or None without an email address (approvals and
    uploads are recorded by address). Groups other than the desk's are ignored."""
    email = str(claims.get("email", "")).strip().lower()
    if not email or "@" not in email or claims.get("email_verified") in (False, "false"):
        return None
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = groups.split(",")
    name = str(claims.get("name") or email)
    return Visitor(sub=str(claims.get("sub", "")), email=email, name=name,
                   groups=frozenset(g for g in (str(g).strip() for g in groups) if g in GROUPS))


def session_name(claims: Mapping[str, Any]) -> str:
    """What a desk form's CSRF token is bound to: this visitor's sign-in (it changes with each)."""
    return f"desk\x00{claims.get('sub', '')}\x00{claims.get('iat', '')}"


def desk_csrf(key: bytes, claims: Mapping[str, Any]) -> str:
    return csrf_token(key, session_name(claims))


def desk_csrf_ok(key: bytes, claims: Mapping[str, Any], submitted: str) -> bool:
    return csrf_ok(key, session_name(claims), submitted)


def new_sign_in() -> tuple[str, str, str]:
    """A fresh ``state``, PKCE verifier and its S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return secrets.token_urlsafe(24), verifier, challenge


def authorize_url(login_url: str, client_id: str, redirect_uri: str, state: str, challenge: str) -> str:
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
                       "scope": SCOPES, "state": state, "code_challenge": challenge,
                       "code_challenge_method": "S256"})
    return f"{login_url.rstrip('/')}/oauth2/authorize?{query}"


def logout_url(login_url: str, client_id: str, after: str) -> str:
    return f"{login_url.rstrip('/')}/logout?{urlencode({'client_id': client_id, 'logout_uri': after})}"
