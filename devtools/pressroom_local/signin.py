"""The local stack's development sign-in: a stand-in for the Cognito hosted login, LOCAL ONLY.

It answers the hosted login's endpoints under ``<api>/local/cognito`` (``/oauth2/authorize``,
``/oauth2/token``, ``/logout``, ``/.well-known/jwks.json``) with the same flow and the same kind of
token: an ID token signed RS256 with a key made when the stack starts, naming the user and groups
chosen on its page, for the desk's local app client. The desk verifies it exactly as it verifies
Cognito's (pressroom.domain.idtokens, against the keys published here), and the local API puts the
desk routes behind the same authorizer function. Nothing here is deployed: template.yaml has the
user pool instead, and this module is not in the layer.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from pressroom.web.desk import GROUPS
from pressroom_local.resources import Names

PREFIX = "/local/cognito"
CLIENT_ID = "pressroom-desk-local"
TOKEN_SECONDS = 3600
CODE_SECONDS = 300


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def people() -> list[tuple[str, str, tuple[str, ...]]]:
    """The local stack's people, for the sign-in page's quick choices: name, address, groups."""
    names = Names()
    one, two = names.approvers
    lead = dict(names.groups)["safeguarding-leads"][0]
    return [("Sam Staff", "pcso@example.org", ("staff",)), ("Approver One", one, ("approvers",)),
            ("Approver Two", two, ("approvers",)), ("Safeguarding Lead", lead, ("safeguarding",)),
            ("Press Office", "press.office@press-office.example", ("press-office", "staff"))]


@dataclass
class DevSignIn:
    """The development identity provider of one local stack (its key lives as long as the stack)."""

    api_url: str
    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537,
                                                                                     key_size=2048))
    kid: str = field(default_factory=lambda: secrets.token_hex(8))
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def issuer(self) -> str:
        return self.api_url.rstrip("/") + PREFIX

    @property
    def callback(self) -> str:
        """The one address a code is sent back to (the app client's callback URL, as Cognito checks it)."""
        return self.api_url.rstrip("/") + "/auth/callback"

    def env(self) -> dict[str, str]:
        """The desk's settings for this sign-in."""
        return {"PRESSROOM_DESK_ISSUER": self.issuer, "PRESSROOM_DESK_CLIENT_ID": CLIENT_ID,
                "PRESSROOM_DESK_LOGIN_URL": self.issuer}

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        n = numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")
        return {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "n": _b64(n),
                          "e": _b64(numbers.e.to_bytes(3, "big"))}]}

    def token(self, email: str, name: str, groups: tuple[str, ...], *, now: float | None = None,
              lasts: int = TOKEN_SECONDS, audience: str = CLIENT_ID) -> str:
        """An ID token as Cognito issues one: RS256, the pool's issuer, the app client as audience."""
        now = time.time() if now is None else now
        claims = {"sub": hashlib.sha256(email.lower().encode()).hexdigest()[:32], "email": email.lower(),
                  "email_verified": True, "name": name, "cognito:groups": list(groups), "iss": self.issuer,
                  "aud": audience, "token_use": "id", "auth_time": int(now), "iat": int(now),
                  "exp": int(now) + lasts}
        head = _b64(json.dumps({"alg": "RS256", "kid": self.kid, "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims).encode())
        signature = self.key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{head}.{body}.{_b64(signature)}"

    # -- the hosted login's endpoints, as API Gateway (payload 2.0) events ------------------------
    def handle(self, event: dict[str, Any], _context: Any = None) -> dict[str, Any]:
        path = event["rawPath"].removeprefix(PREFIX)
        method = event["requestContext"]["http"]["method"]
        query = dict(parse_qsl(event.get("rawQueryString") or ""))
        pairs = parse_qsl(event.get("body") or "") if method == "POST" else []
        form = dict(pairs)
        form["groups"] = ",".join(v for k, v in pairs if k == "group")
        if path == "/.well-known/jwks.json":
            return _json(200, self.jwks())
        if path == "/oauth2/authorize" and method == "GET":
            return self._page(query)
        if path == "/oauth2/authorize" and method == "POST":
            return self._authorize(form)
        if path == "/oauth2/token" and method == "POST":
            return self._exchange(form)
        if path == "/logout":  # back to the desk, as the app client's sign-out URL allows
            return {"statusCode": 303, "headers": {"Location": self.api_url.rstrip("/") + "/desk"}, "body": ""}
        return _json(404, {"error": "not_found"})

    def _page(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("client_id") != CLIENT_ID or query.get("redirect_uri") != self.callback or not query.get("state"):
            return _json(400, {"error": "invalid_request"})
        hidden = "".join(f'<input type="hidden" name="{k}" value="{html.escape(query.get(k, ""))}">'
                         for k in ("client_id", "redirect_uri", "state", "code_challenge"))
        quick = "".join(
            f'<li><button type="submit" name="as" value="{html.escape(email)}|{html.escape(name)}|{",".join(groups)}">'
            f'{html.escape(name)} <span>({html.escape(email)}; {", ".join(groups)})</span></button></li>'
            for name, email, groups in people())
        boxes = "".join(f'<label><input type="checkbox" name="group" value="{g}"> {g}</label>' for g in GROUPS)
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Local sign-in (local only)</title>
<style>{_CSS}</style></head><body><main>
<p class="local" role="note"><strong>Local only.</strong> This development sign-in exists only on the local stack.
A deployed desk signs in through the force's identity provider.</p>
<h1>Sign in to the desk</h1>
<form method="post" action="{PREFIX}/oauth2/authorize">{hidden}
<h2>As one of the local stack's people</h2><ul>{quick}</ul>
<h2>As someone else</h2>
<label for="name">Name</label><input id="name" name="name" autocomplete="off">
<label for="email">Email address</label><input id="email" name="email" type="email" autocomplete="off">
<fieldset><legend>Groups</legend>{boxes}</fieldset>
<button type="submit" name="as" value="">Sign in</button>
</form></main></body></html>"""
        return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
                                               "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"},
                "body": page}

    def _authorize(self, form: dict[str, str]) -> dict[str, Any]:
        if (form.get("client_id") != CLIENT_ID or form.get("redirect_uri") != self.callback
                or not form.get("code_challenge")):
            return _json(400, {"error": "invalid_request"})
        chosen = form.get("as", "")
        if chosen:
            email, name, groups = chosen.split("|", 2)
            chosen_groups = tuple(g for g in groups.split(",") if g in GROUPS)
        else:
            email, name = form.get("email", "").strip(), form.get("name", "").strip() or form.get("email", "")
            chosen_groups = tuple(g for g in GROUPS if g in form["groups"].split(","))
        if "@" not in email:
            return _json(400, {"error": "invalid_request", "error_description": "an email address is needed"})
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = {"email": email, "name": name, "groups": chosen_groups,
                                 "challenge": form["code_challenge"], "redirect_uri": form["redirect_uri"],
                                 "until": time.time() + CODE_SECONDS}
        location = f"{form['redirect_uri']}?{urlencode({'code': code, 'state': form.get('state', '')})}"
        return {"statusCode": 303, "headers": {"Location": location}, "body": ""}

    def _exchange(self, form: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            grant = self._codes.pop(form.get("code", ""), None)
        verifier = form.get("code_verifier", "")
        if (grant is None or grant["until"] < time.time() or form.get("client_id") != CLIENT_ID
                or form.get("redirect_uri") != grant["redirect_uri"]
                or _b64(hashlib.sha256(verifier.encode()).digest()) != grant["challenge"]):
            return _json(400, {"error": "invalid_grant"})
        token = self.token(grant["email"], grant["name"], grant["groups"])
        return _json(200, {"id_token": token, "token_type": "Bearer", "expires_in": TOKEN_SECONDS})


def _json(status: int, value: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json", "Cache-Control": "no-store"},
            "body": json.dumps(value)}


_CSS = ("body{font:16px/1.45 system-ui,sans-serif;margin:0;background:#f6f8fa;color:#1b1f24}"
        "main{max-width:560px;margin:0 auto;padding:12px 14px;background:#fff}"
        ".local{border:3px solid #a40e26;background:#ffebe9;padding:8px 10px;border-radius:8px}"
        "ul{list-style:none;padding:0}li{margin:6px 0}"
        "button{width:100%;min-height:48px;font:inherit;font-weight:600;border:0;border-radius:6px;"
        "background:#003d7a;color:#fff;text-align:left;padding:8px 12px}button span{font-weight:400}"
        "label{display:block;margin:8px 0 2px}input[type=email],input:not([type]){width:100%;min-height:44px;"
        "font:inherit;padding:8px;border:1px solid #d0d7de;border-radius:6px}"
        "fieldset label{display:flex;gap:8px;align-items:center;min-height:44px;margin:0}")
