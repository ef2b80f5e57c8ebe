"""Who is at the desk: signing in through the hosted login, the signed-in visitor of each request,
and signing out. Each sign-in and sign-out is an audit event of the desk.

Every desk request is authenticated here, from the session cookie, whatever the HTTP API's
authorizer decided before: the authorizer keeps requests without a valid token away from the
function, and this is what knows who the visitor is and which groups they are in
(:mod:`pressroom.web.signin`, docs/desk.md).
"""
from __future__ import annotations

import logging
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aws_lambda_powertools.shared.cookies import Cookie

from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock
from pressroom.domain.idtokens import RsaKey, TokenError, header_of, verify
from pressroom.settings import Settings
from pressroom.web.csrf import origin_of, same_origin_request
from pressroom.web.desk import Visitor
from pressroom.web.signin import (
    CALLBACK_PATH,
    SESSION_COOKIE,
    SIGNIN_COOKIE,
    SIGNIN_SECONDS,
    authorize_url,
    clear_cookie,
    cookies,
    desk_csrf,
    desk_csrf_ok,
    logout_url,
    new_sign_in,
    set_cookie,
    visitor_of,
)

log = logging.getLogger(__name__)
HOME = "/desk"


class Keys(Protocol):
    def keys(self, kid: str = "") -> Mapping[str, RsaKey]: ...


@dataclass(frozen=True)
class Session:
    """A verified sign-in: the visitor, the token's claims, and the CSRF token of their forms."""

    visitor: Visitor
    claims: Mapping[str, Any]
    csrf: str


@dataclass(frozen=True)
class Redirect:
    """Send the browser to ``location``, setting ``cookies``."""

    location: str
    cookies: tuple[Cookie, ...] = ()


@dataclass(frozen=True)
class DeskIdentity:
    """Who a request's session cookie signs in: what the API's authorizer and the desk both ask."""

    settings: Settings
    keys: Keys

    def identify(self, cookie_header: str | None, *, now: datetime | None = None) -> tuple[Visitor, dict[str, Any]] | None:
        """The visitor and their token's claims, or None (no cookie, or a token that does not verify)."""
        token = cookies(cookie_header).get(SESSION_COOKIE, "")
        claims = self.verified(token, now or clock.now()) if token else None
        visitor = visitor_of(claims) if claims else None
        return (visitor, claims) if visitor and claims else None

    def verified(self, token: str, now: datetime) -> dict[str, Any] | None:
        if not self.settings.desk_issuer or not self.settings.desk_client_id:
            return None
        try:
            kid = str(header_of(token).get("kid", ""))
            return verify(token, self.keys.keys(kid), issuer=self.settings.desk_issuer,
                          audience=self.settings.desk_client_id, now=now)
        except TokenError as exc:
            log.info("desk token refused: %s", exc)
            return None


@dataclass(frozen=True)
class DeskSignIn:
    settings: Settings
    store: PhotoStore
    identity: DeskIdentity
    csrf_key: Callable[[], bytes]
    exchange: Callable[[str, Mapping[str, str]], dict]

    @property
    def callback_url(self) -> str:
        return self.settings.approval_base_url.rstrip("/") + CALLBACK_PATH

    # -- every request -----------------------------------------------------------------------
    def session(self, cookie_header: str | None, *, now: datetime | None = None) -> Session | None:
        """The signed-in visitor of a request with their forms' CSRF token, or None."""
        found = self.identity.identify(cookie_header, now=now)
        if found is None:
            return None
        visitor, claims = found
        return Session(visitor, claims, desk_csrf(self.csrf_key(), claims))

    def csrf_ok(self, session: Session, submitted: str, headers: Mapping[str, str]) -> bool:
        """A desk form's POST: its CSRF token is this sign-in's, and the browser says it came from here."""
        return desk_csrf_ok(self.csrf_key(), session.claims, submitted) and same_origin_request(
            headers, origin_of(self.settings.approval_base_url))

    # -- signing in and out ------------------------------------------------------------------
    def start(self) -> Redirect:
        """To the hosted login, remembering this sign-in's state and PKCE verifier."""
        state, verifier, challenge = new_sign_in()
        url = authorize_url(self.settings.desk_login_url, self.settings.desk_client_id, self.callback_url, state,
                            challenge)
        return Redirect(url, (set_cookie(SIGNIN_COOKIE, f"{state}.{verifier}", SIGNIN_SECONDS),))

    def finish(self, code: str, state: str, cookie_header: str | None, *, now: datetime | None = None) -> Redirect | str:
        """Back from the hosted login: the code exchanged for an ID token kept in the session cookie,
        then to the desk; or why not (a message for the visitor)."""
        now = now or clock.now()
        remembered, _, verifier = cookies(cookie_header).get(SIGNIN_COOKIE, "").partition(".")
        if not code or not state or not remembered or state != remembered or not verifier:
            return "This sign-in was not started here, or took longer than 10 minutes. Sign in again."
        try:
            reply = self.exchange(self.settings.desk_login_url.rstrip("/") + "/oauth2/token", {
                "grant_type": "authorization_code", "client_id": self.settings.desk_client_id, "code": code,
                "redirect_uri": self.callback_url, "code_verifier": verifier})
        except (urllib.error.URLError, ValueError, OSError) as exc:
            log.warning("sign-in code not exchanged: %s", type(exc).__name__)
            return "The sign-in service did not confirm this sign-in. Sign in again."
        token = str(reply.get("id_token", ""))
        claims = self.identity.verified(token, now) if token else None
        visitor = visitor_of(claims) if claims else None
        if claims is None or visitor is None:
            return "The sign-in service's answer did not name you with an email address. Ask the press office."
        self.store.record_desk(actor=visitor.email, event="desk-signed-in",
                               detail={"groups": sorted(visitor.groups)})
        lasts = int(claims["exp"]) - int(now.timestamp())
        return Redirect(HOME, (set_cookie(SESSION_COOKIE, token, lasts), clear_cookie(SIGNIN_COOKIE)))

    def sign_out(self, session: Session) -> Redirect:
        """Forget the session here and at the hosted login."""
        self.store.record_desk(actor=session.visitor.email, event="desk-signed-out")
        after = self.settings.approval_base_url.rstrip("/") + HOME
        return Redirect(logout_url(self.settings.desk_login_url, self.settings.desk_client_id, after),
                        (clear_cookie(SESSION_COOKIE),))
