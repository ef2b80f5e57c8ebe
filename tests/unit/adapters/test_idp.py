"""The user pool's keys, fetched and kept (pressroom.adapters.idp.KeySet)."""
from pressroom.adapters.idp import KEEP_SECONDS, REFETCH_AFTER_SECONDS, KeySet

JWKS = {"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k1", "n": "AQAB", "e": "AQAB"},
                 {"kty": "RSA", "alg": "RS512", "kid": "k2", "n": "AQAB", "e": "AQAB"},
                 {"kty": "EC", "kid": "k3"}]}


def test_keys_are_kept_an_hour_and_fetched_early_at_most_once_a_minute_for_an_unknown_key():
    now, fetched = [0.0], []
    keys = KeySet("https://issuer.example/.well-known/jwks.json",
                  fetch=lambda url: fetched.append(url) or JWKS, clock=lambda: now[0])
    assert set(keys.keys("k1")) == {"k1"}  # only RS256 signing keys
    keys.keys("k1")
    keys.keys("unknown")  # within the minute: not fetched again
    assert len(fetched) == 1
    now[0] = REFETCH_AFTER_SECONDS
    keys.keys("k1")
    assert len(fetched) == 1
    keys.keys("unknown")
    assert len(fetched) == 2
    now[0] += KEEP_SECONDS
    keys.keys()
    assert len(fetched) == 3
