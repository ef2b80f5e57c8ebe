"""The local stack's development sign-in (local only): the hosted login's flow, and its checks."""
import base64
import hashlib
import json
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from pressroom.domain.idtokens import keys_from_jwks, verify
from pressroom_local.signin import CLIENT_ID, DevSignIn

BASE = "http://127.0.0.1:8787"
STAFF = "pcso@example.org"


@pytest.fixture(scope="module")
def signer() -> DevSignIn:
    return DevSignIn(BASE)


def _call(signer, method, path, fields):
    return signer.handle({"rawPath": "/local/cognito" + path, "requestContext": {"http": {"method": method}},
                          "rawQueryString": urlencode(fields) if method == "GET" else "",
                          "body": urlencode(fields) if method == "POST" else ""})


def test_codes_go_only_to_the_desks_callback(signer):
    """As Cognito checks the app client's callback URLs: no code for another address."""
    def authorize(method, **fields):
        return _call(signer, method, "/oauth2/authorize", fields)

    ask = {"client_id": CLIENT_ID, "state": "s", "code_challenge": "c", "as": f"{STAFF}|Sam|staff"}
    assert authorize("GET", **ask, redirect_uri=BASE + "/auth/callback")["statusCode"] == 200
    assert authorize("GET", **ask, redirect_uri="https://elsewhere.example/cb")["statusCode"] == 400
    assert authorize("POST", **ask, redirect_uri="https://elsewhere.example/cb")["statusCode"] == 400
    sent = authorize("POST", **ask, redirect_uri=BASE + "/auth/callback")
    assert sent["statusCode"] == 303 and sent["headers"]["Location"].startswith(BASE + "/auth/callback?code=")


def test_a_code_is_exchanged_once_with_its_verifier_for_a_token_the_desk_verifies(signer):
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    sent = _call(signer, "POST", "/oauth2/authorize", {
        "client_id": CLIENT_ID, "redirect_uri": signer.callback, "state": "s", "code_challenge": challenge,
        "as": "", "name": "Ann", "email": "ann@force.example", "group": "approvers"})
    code = parse_qs(urlsplit(sent["headers"]["Location"]).query)["code"][0]
    exchange = {"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code,
                "redirect_uri": signer.callback}
    assert _call(signer, "POST", "/oauth2/token", {**exchange, "code_verifier": "wrong"})["statusCode"] == 400
    sent = _call(signer, "POST", "/oauth2/authorize", {
        "client_id": CLIENT_ID, "redirect_uri": signer.callback, "state": "s", "code_challenge": challenge,
        "as": "", "name": "Ann", "email": "ann@force.example", "group": "approvers"})
    code = parse_qs(urlsplit(sent["headers"]["Location"]).query)["code"][0]
    reply = _call(signer, "POST", "/oauth2/token", {**exchange, "code": code, "code_verifier": verifier})
    token = json.loads(reply["body"])["id_token"]
    from datetime import UTC, datetime

    claims = verify(token, keys_from_jwks(signer.jwks()), issuer=signer.issuer, audience=CLIENT_ID,
                    now=datetime.fromtimestamp(time.time(), UTC))
    assert claims["email"] == "ann@force.example" and claims["cognito:groups"] == ["approvers"]
    assert _call(signer, "POST", "/oauth2/token", {**exchange, "code": code, "code_verifier": verifier})[
        "statusCode"] == 400  # once


def test_the_page_says_it_is_local_only(signer):
    page = _call(signer, "GET", "/oauth2/authorize", {"client_id": CLIENT_ID, "redirect_uri": signer.callback,
                                                      "state": "s", "code_challenge": "c"})
    assert "Local only" in page["body"] and "default-src 'none'" in page["headers"]["Content-Security-Policy"]
