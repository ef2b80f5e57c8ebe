"""``pressroom flickr auth`` and ``pressroom flickr check``: connect the press office's Flickr account.

``auth`` runs Flickr's OAuth 1.0a flow out of band, through flickrapi: a request token (callback
``oob``), the address where the account's owner grants Pressroom "delete" access (a take-down
deletes photos), the verifier code Flickr then shows them, pasted back here, and the access token.
It checks the token with ``flickr.test.login`` before keeping anything, then stores the four values
(API key and secret, token and token secret) where the publisher reads them:

* a deployed stack (``PRESSROOM_*`` set, no local endpoint): its Secrets Manager secret
  (``PRESSROOM_FLICKR_SECRET``, ``<stack>/flickr``);
* this machine: ``.pressroom/flickr.json`` (readable by its owner only), which ``pressroom local
  up`` loads into its own secret, and the running local stack's secret if one runs.

No secret is printed, logged or echoed: the API secret is typed at a hidden prompt, the libraries'
loggers (which write tokens at debug level) are held at WARNING while the flow runs, and only the
account's name and where the values went are printed.

``check`` says which account the stored values act as, what they may do and the account's upload
allowance (``flickr.people.getUploadStatus``).
"""
from __future__ import annotations

import getpass
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flickrapi
import requests
from flickrapi.exceptions import FlickrError

from pressroom.adapters import flickr
from pressroom.adapters.parameters import FlickrCredentials
from pressroom.adapters.publisher import PublisherUnavailable

LOCAL_FILE = Path(".pressroom/flickr.json")
#: loggers that write request tokens, verifiers, signed requests or (botocore) a request's parameters,
#: the secret's value among them, at debug level
_CHATTY = ("flickrapi", "oauthlib", "requests_oauthlib", "urllib3", "botocore", "boto3")


class AuthFailed(Exception):
    """The flow could not finish; the message says why and what to do (and holds no secret)."""


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Hold the OAuth libraries' loggers at WARNING, whatever the caller configured."""
    saved = {name: logging.getLogger(name).level for name in _CHATTY}
    for name in _CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@dataclass(frozen=True)
class Authorised:
    credentials: FlickrCredentials
    nsid: str
    username: str


def authorise(api_key: str, api_secret: str, ask_verifier: Callable[[str], str],
              timeout: float = 60.0) -> Authorised:
    """Flickr's out-of-band OAuth flow: ``ask_verifier(url)`` shows the address to open and returns
    the code Flickr showed there. The token is checked with ``flickr.test.login``."""
    api = flickrapi.FlickrAPI(api_key, api_secret, store_token=False, format="etree", timeout=timeout)
    with quiet_libraries():
        try:
            api.get_request_token(oauth_callback="oob")
            url = api.auth_url(perms=flickr.PERMS)
            verifier = "".join(ask_verifier(url).split())
            if not verifier:
                raise AuthFailed("no verifier code was given: run `pressroom flickr auth` again")
            api.get_access_token(verifier)
            token = api.token_cache.token
            user = api.do_flickr_call("flickr.test.login").find("user")
        except FlickrError as exc:
            raise AuthFailed(f"Flickr refused: {_safe(exc)}. Check the API key and secret, and paste the code "
                             "Flickr shows after you allow access") from None
        except (requests.RequestException, KeyError) as exc:
            raise AuthFailed(f"the exchange with Flickr failed ({type(exc).__name__})") from None
    if user is None or not user.get("id"):
        raise AuthFailed("flickr.test.login named no account: the token does not work")
    return Authorised(FlickrCredentials(api_key, api_secret, token.token, token.token_secret),
                      user.get("id", ""), user.findtext("username") or "")


def _safe(exc: Exception) -> str:
    """Flickr's error without anything that looks like a token or secret (it echoes form bodies)."""
    text = str(exc)
    return text if "oauth_token" not in text and "secret" not in text.lower() else f"error {getattr(exc, 'code', '?')}"


def _as_json(credentials: FlickrCredentials) -> str:
    return json.dumps({"api_key": credentials.api_key, "api_secret": credentials.api_secret,
                       "oauth_token": credentials.oauth_token, "oauth_token_secret": credentials.oauth_token_secret})


def deployed() -> bool:
    """Whether this process talks to a deployed stack: one named by ``PRESSROOM_*`` (infra/README.md),
    not the local stack (whose endpoint and album are set too)."""
    named = os.environ.get("PRESSROOM_TABLE_NAME") or os.environ.get("PRESSROOM_FLICKR_SECRET")
    local = os.environ.get("PRESSROOM_AWS_ENDPOINT_URL") or os.environ.get("PRESSROOM_LOCAL_ALBUM_DIR")
    return bool(named) and not local


def store(credentials: FlickrCredentials, *, local_file: Path = LOCAL_FILE, local_stack: bool = False) -> list[str]:
    """Keep the credentials where the publisher reads them; where they went, in words."""
    from pressroom import bootstrap
    from pressroom.adapters import aws
    from pressroom.settings import get_settings

    went = []
    if not deployed():
        local_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(local_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(_as_json(credentials))
        os.chmod(local_file, 0o600)
        went.append(f"{local_file} (readable by you only; `pressroom local up` publishes with it)")
    if deployed() or local_stack:
        name = get_settings().flickr_secret
        with quiet_libraries():
            aws.client("secretsmanager").put_secret_value(SecretId=name, SecretString=_as_json(credentials))
        bootstrap.reset()
        where = "the running local stack's secret" if local_stack and not deployed() else "the Secrets Manager secret"
        went.append(f"{where} {name} ({get_settings().region})")
    return went


def stored() -> FlickrCredentials | None:
    """The credentials the publisher would use here: the stack's secret, else the local file."""
    from pressroom.adapters import parameters

    with quiet_libraries():
        found = parameters.flickr_credentials()
    if found is not None or deployed():
        return found
    try:
        value = json.loads(LOCAL_FILE.read_text())
    except (OSError, ValueError):
        return None
    fields = {k: str(value.get(k) or "") for k in FlickrCredentials.__dataclass_fields__} if isinstance(value, dict) else {}
    return FlickrCredentials(**fields) if fields and all(fields.values()) else None


# -- the commands ----------------------------------------------------------------------------------
def run_auth(api_key: str | None, *, local_stack: bool, out: Any = None,
             prompt: Callable[[str], str] | None = None, secret_prompt: Callable[[str], str] | None = None) -> int:
    out, prompt, secret_prompt = out or sys.stdout, prompt or input, secret_prompt or getpass.getpass
    api_key = (api_key or prompt("Flickr API key: ")).strip()
    api_secret = secret_prompt("Flickr API secret (not shown): ").strip()
    if not api_key or not api_secret:
        print("pressroom: both the API key and its secret are needed (https://www.flickr.com/services/apps/create/)",
              file=sys.stderr)
        return 2

    def ask(url: str) -> str:
        print("1. Open this address signed in as the press office's Flickr account, and allow Pressroom "
              f"\"{flickr.PERMS}\" access:\n   {url}", file=out, flush=True)
        return prompt("2. Paste the code Flickr shows (e.g. 123-456-789): ")

    try:
        done = authorise(api_key, api_secret, ask)
    except AuthFailed as exc:
        print(f"pressroom: {exc}", file=sys.stderr)
        return 1
    went = store(done.credentials, local_stack=local_stack)
    print(f"Connected to Flickr as {done.username or '?'} ({done.nsid}). The API key and secret and the access "
          "token went to:", file=out)
    for place in went:
        print(f"  {place}", file=out)
    return 0


def run_check(out: Any = None) -> int:
    out = out or sys.stdout
    credentials = stored()
    if credentials is None:
        print("pressroom: no Flickr credentials here: run `pressroom flickr auth`", file=sys.stderr)
        return 2
    with quiet_libraries():
        try:
            found = flickr.account(credentials)
        except PublisherUnavailable as exc:
            print(f"pressroom: {_safe(exc)}", file=sys.stderr)
            return 1
    print(f"Connected to Flickr as {found.username} ({found.nsid}), {'a Pro' if found.pro else 'a free'} account.",
          file=out)
    print(f"  access      {found.perms or '?'}" + ("" if found.perms == flickr.PERMS else
          f"  (take-downs need \"{flickr.PERMS}\": they make photos private instead; run `pressroom flickr auth`)"),
          file=out)
    if found.bandwidth_max:
        print(f"  this month  {_size(found.bandwidth_used)} of {_size(found.bandwidth_max)} uploaded, "
              f"{_size(found.bandwidth_remaining)} left", file=out)
    else:
        print(f"  this month  {_size(found.bandwidth_used)} uploaded; no monthly limit", file=out)
    if found.filesize_max:
        print(f"  largest     {_size(found.filesize_max)} a photo", file=out)
    if found.sets_created:
        print(f"  albums      {found.sets_created} made", file=out)
    return 0


def _size(count: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
