"""``pressroom flickr auth`` and ``pressroom flickr check`` against a double of Flickr's OAuth and
REST endpoints: the four values go to the stack's secret (or a private local file), and no secret
is ever printed or logged, even with every logger at DEBUG."""
from __future__ import annotations

import json
import logging
import stat

import boto3
import pytest
import responses

from pressroom.adapters.parameters import FlickrCredentials
from pressroom_local import cli
from tests.unit.adapters.test_flickr import CREDENTIALS, ME, FakeFlickr

#: the app's secret, the request token's secret and the access token (its key too: half a credential);
#: the request token's key is in the address the person must open, as Flickr's flow has it
SECRETS = (CREDENTIALS.api_secret, FakeFlickr.REQUEST_TOKEN[1], *FakeFlickr.ACCESS_TOKEN)


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeFlickr(mock, FlickrCredentials(CREDENTIALS.api_key, CREDENTIALS.api_secret, "", ""))


@pytest.fixture
def person(monkeypatch):
    """Types the API secret at the hidden prompt and pastes Flickr's code; records what was shown."""
    shown: list[str] = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": shown.append(prompt) or CREDENTIALS.api_secret)
    monkeypatch.setattr("builtins.input", lambda prompt="": shown.append(prompt) or f" {FakeFlickr.VERIFIER} ")
    return shown


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("flickrapi", "oauthlib", "requests_oauthlib", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    return caplog


def _no_secret_in(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"a secret was shown: {secret[:4]}…"


def test_auth_on_this_machine_keeps_the_values_in_a_private_file(fake, person, everything_logged, capsys, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["flickr", "auth", "--api-key", CREDENTIALS.api_key]) == 0
    out, err = capsys.readouterr()
    stored = tmp_path / ".pressroom" / "flickr.json"
    assert json.loads(stored.read_text()) == {"api_key": CREDENTIALS.api_key, "api_secret": CREDENTIALS.api_secret,
                                              "oauth_token": FakeFlickr.ACCESS_TOKEN[0],
                                              "oauth_token_secret": FakeFlickr.ACCESS_TOKEN[1]}
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert f"Connected to Flickr as West Midlands Police ({ME})" in out and ".pressroom/flickr.json" in out
    assert fake.authorize_url() in out and any("not shown" in p for p in person)
    _no_secret_in(out, err, everything_logged.text, "\n".join(person))
    assert fake.bad_signatures == 0


def test_auth_for_a_deployed_stack_fills_in_its_secret(aws, fake, person, everything_logged, capsys, tmp_path,
                                                       monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PRESSROOM_LOCAL_ALBUM_DIR")  # what a deployed stack's environment looks like
    assert cli.main(["flickr", "auth", "--api-key", CREDENTIALS.api_key]) == 0
    out, err = capsys.readouterr()
    _no_secret_in(out, err, everything_logged.text)  # before this test reads the secret itself
    value = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId="pressroom/flickr")["SecretString"])
    assert (value["oauth_token"], value["oauth_token_secret"]) == FakeFlickr.ACCESS_TOKEN
    assert not (tmp_path / ".pressroom").exists()
    assert "Secrets Manager secret pressroom/flickr" in out


def test_a_wrong_code_stores_nothing(fake, monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": CREDENTIALS.api_secret)
    monkeypatch.setattr("builtins.input", lambda prompt="": "999-999-999")
    assert cli.main(["flickr", "auth", "--api-key", CREDENTIALS.api_key]) == 1
    assert "Flickr refused" in capsys.readouterr().err and not (tmp_path / ".pressroom").exists()


def test_check_names_the_account_its_access_and_its_allowance(fake, person, capsys, tmp_path, monkeypatch,
                                                               everything_logged):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["flickr", "check"]) == 2  # nothing stored yet
    assert "pressroom flickr auth" in capsys.readouterr().err
    assert cli.main(["flickr", "auth", "--api-key", CREDENTIALS.api_key]) == 0
    capsys.readouterr()
    assert cli.main(["flickr", "check"]) == 0
    out, err = capsys.readouterr()
    assert f"Connected to Flickr as West Midlands Police ({ME}), a Pro account." in out
    assert "access      delete\n" in out and "374.7 KB of 2.0 GB uploaded, 2.0 GB left" in out
    assert "200.0 MB a photo" in out and "27 made" in out
    fake.perms = "write"
    assert cli.main(["flickr", "check"]) == 0
    assert "take-downs need \"delete\"" in capsys.readouterr().out
    _no_secret_in(out, err, everything_logged.text)
