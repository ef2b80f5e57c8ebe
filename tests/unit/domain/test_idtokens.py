"""ID token verification (pressroom.domain.idtokens): RS256 against the issuer's keys, and the claims."""
import base64
import json
import time
from datetime import UTC, datetime

import pytest

from pressroom.domain.idtokens import TokenError, keys_from_jwks, rsa_pkcs1_sha256_valid, verify
from pressroom_local.signin import CLIENT_ID, DevSignIn

NOW = time.time()


@pytest.fixture(scope="module")
def signer() -> DevSignIn:
    return DevSignIn("https://issuer.example")


def _verify(signer, token, **kwargs):
    return verify(token, keys_from_jwks(signer.jwks()), issuer=kwargs.get("issuer", signer.issuer),
                  audience=kwargs.get("audience", CLIENT_ID), now=datetime.fromtimestamp(NOW, UTC))


def _b64(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def test_a_token_the_issuer_signed_gives_its_claims(signer):
    claims = _verify(signer, signer.token("Ann@Force.example", "Ann", ("staff", "approvers"), now=NOW))
    assert claims["email"] == "ann@force.example" and claims["cognito:groups"] == ["staff", "approvers"]


@pytest.mark.parametrize(("change", "why"), [
    (lambda s: s.token("a@b.example", "A", (), now=NOW - 3700), "expired"),
    (lambda s: s.token("a@b.example", "A", (), now=NOW + 3600), "future"),
    (lambda s: s.token("a@b.example", "A", (), now=NOW, audience="other"), "another client"),
    (lambda s: DevSignIn("https://other.example", key=s.key, kid=s.kid).token("a@b.example", "A", ()), "another issuer"),
    (lambda s: DevSignIn("https://issuer.example", kid=s.kid).token("a@b.example", "A", ()), "signature"),
    (lambda s: DevSignIn("https://issuer.example").token("a@b.example", "A", ()), "key the issuer does not publish"),
])
def test_a_token_that_must_not_count_is_refused(signer, change, why):
    with pytest.raises(TokenError, match=why):
        _verify(signer, change(signer))


def test_altered_claims_break_the_signature(signer):
    head, body, sig = signer.token("a@b.example", "A", ("staff",), now=NOW).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    forged = _b64({**claims, "cognito:groups": ["staff", "approvers"]})
    with pytest.raises(TokenError, match="signature"):
        _verify(signer, f"{head}.{forged}.{sig}")


@pytest.mark.parametrize("alg", ["none", "HS256", "RS512", None])
def test_only_rs256_is_accepted_whatever_the_header_says(signer, alg):
    _, body, sig = signer.token("a@b.example", "A", (), now=NOW).split(".")
    with pytest.raises(TokenError, match="not RS256"):
        _verify(signer, f"{_b64({'alg': alg, 'kid': signer.kid})}.{body}.{sig}")


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", "!!.??.**", "e30.e30.", "W10.e30.AA", "x" * 9000])
def test_what_is_not_a_signed_token_is_refused(signer, token):
    with pytest.raises(TokenError):
        _verify(signer, token)


def test_an_id_token_only(signer):
    head, body, _ = signer.token("a@b.example", "A", (), now=NOW).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    access = _b64({**claims, "token_use": "access"})
    signature = signer.key.sign(f"{head}.{access}".encode(), padding.PKCS1v15(), hashes.SHA256())
    with pytest.raises(TokenError, match="not an ID token"):
        _verify(signer, f"{head}.{access}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}")


def test_the_rsa_check_refuses_short_keys_and_out_of_range_signatures(signer):
    key = keys_from_jwks(signer.jwks())[signer.kid]
    assert not rsa_pkcs1_sha256_valid(type(key)(n=key.n % (1 << 1024), e=key.e), b"m", b"\x00" * 128)
    assert not rsa_pkcs1_sha256_valid(key, b"m", key.n.to_bytes(256, "big"))
    assert not rsa_pkcs1_sha256_valid(key, b"m", b"\x01" * 255)
