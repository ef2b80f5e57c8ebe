"""Cross-posting a batch announcement to the networks with open APIs: Mastodon and Bluesky.

Off unless configured: the secret ``PRESSROOM_CROSSPOST_SECRET`` names holds, as JSON, a section
for each network to post to, and nothing is posted for a network whose section is missing or
empty::

    {"mastodon": {"instance": "https://mastodon.example", "token": "<access token, scope write:statuses>"},
     "bluesky": {"handle": "force.bsky.social", "app_password": "<app password>",
                 "service": "https://bsky.social"}}

X, Facebook, Instagram and YouTube have no API a press office can use without an approved app, so
their texts are in the batch email, ready to paste. Every post is public text only; the texts
come from :mod:`pressroom.domain.posts` and fit each network's limit.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from pressroom.domain import clock

_LINK = re.compile(r"https?://[^\s<>\"]+")
TIMEOUT = 20.0


class CrosspostFailed(Exception):
    """A network refused the post or could not be reached."""


class Poster(Protocol):
    network: str

    def post(self, text: str) -> str:
        """Publish ``text`` publicly; return the post's address (or id)."""


@dataclass
class MastodonPoster:
    """``POST /api/v1/statuses`` with a bearer token (an access token with ``write:statuses``)."""

    instance: str
    token: str = field(repr=False)
    network: str = "mastodon"
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def post(self, text: str) -> str:
        try:
            reply = self.session.post(f"{self.instance.rstrip('/')}/api/v1/statuses", timeout=TIMEOUT,
                                      headers={"Authorization": f"Bearer {self.token}",
                                               "Idempotency-Key": str(uuid.uuid4())},
                                      data={"status": text, "visibility": "public", "language": "en"})
        except requests.RequestException as exc:
            raise CrosspostFailed(f"cannot reach Mastodon ({type(exc).__name__})") from exc
        if reply.status_code != 200:
            raise CrosspostFailed(f"Mastodon refused the post: {reply.status_code} {_error(reply)}")
        status = reply.json()
        return str(status.get("url") or status.get("uri") or status.get("id") or "")


@dataclass
class BlueskyPoster:
    """An app-password session (``com.atproto.server.createSession``), then one
    ``app.bsky.feed.post`` record whose links are marked as link facets (by UTF-8 byte offsets)."""

    handle: str
    app_password: str = field(repr=False)
    service: str = "https://bsky.social"
    network: str = "bluesky"
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def post(self, text: str) -> str:
        auth = self._call("com.atproto.server.createSession", {"identifier": self.handle, "password": self.app_password})
        record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": clock.iso(), "langs": ["en"]}
        facets = link_facets(text)
        if facets:
            record["facets"] = facets
        created = self._call("com.atproto.repo.createRecord",
                             {"repo": auth["did"], "collection": "app.bsky.feed.post", "record": record},
                             token=str(auth["accessJwt"]))
        return str(created.get("uri", ""))

    def _call(self, method: str, body: dict[str, Any], token: str = "") -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            reply = self.session.post(f"{self.service.rstrip('/')}/xrpc/{method}", json=body, headers=headers,
                                      timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise CrosspostFailed(f"cannot reach Bluesky ({type(exc).__name__})") from exc
        if reply.status_code != 200:
            raise CrosspostFailed(f"Bluesky {method} failed: {reply.status_code} {_error(reply)}")
        return dict(reply.json())


def link_facets(text: str) -> list[dict[str, Any]]:
    """Bluesky's link facets for the web addresses in ``text`` (offsets in UTF-8 bytes)."""
    facets = []
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:!?)")
        start = len(text[: match.start()].encode())
        facets.append({"index": {"byteStart": start, "byteEnd": start + len(url.encode())},
                       "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}]})
    return facets


def _error(reply: requests.Response) -> str:
    """A network's error reply in a few words (never the request, which carries the credentials)."""
    try:
        body = reply.json()
    except ValueError:
        return reply.reason or ""
    if isinstance(body, dict):
        return str(body.get("error_description") or body.get("message") or body.get("error") or "")[:200]
    return ""


def configured(settings: dict[str, Any] | None) -> list[Poster]:
    """The posters a crosspost secret's value configures (none for a missing or empty section)."""
    settings = settings or {}
    found: list[Poster] = []
    mastodon = settings.get("mastodon") or {}
    if mastodon.get("instance") and mastodon.get("token"):
        found.append(MastodonPoster(str(mastodon["instance"]), str(mastodon["token"])))
    bluesky = settings.get("bluesky") or {}
    if bluesky.get("handle") and bluesky.get("app_password"):
        found.append(BlueskyPoster(str(bluesky["handle"]), str(bluesky["app_password"]),
                                   str(bluesky.get("service") or "https://bsky.social")))
    return found
