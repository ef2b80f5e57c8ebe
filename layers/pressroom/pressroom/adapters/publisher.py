"""The publisher port: what the pipeline needs from a photo-sharing site, and its errors."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Published:
    """Where a photo ended up: its id on the site, its page, and its album's photoset."""

    photo_id: str
    url: str
    photoset_id: str = ""


@dataclass(frozen=True)
class Comment:
    """A comment someone else left on one of the account's photos."""

    id: str
    photo_id: str
    author: str
    author_name: str
    text: str
    created_at: str = ""
    permalink: str = ""


class PublisherUnavailable(Exception):
    """The site could not be reached or failed (network, 5xx, API error): try again later."""


class PublishRefused(Exception):
    """The site refused this photo for good (e.g. it does not recognise the file)."""


class Publisher(Protocol):
    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str) -> Published:
        """Upload a public photo tagged with ``machine_tag`` (in no photoset yet)."""

    def find(self, machine_tag: str) -> Published | None:
        """The account's photo carrying ``machine_tag``, if an earlier attempt uploaded it."""

    def add_to_album(self, photo_id: str, album: str, photoset_id: str | None) -> str:
        """Put an uploaded photo in photoset ``photoset_id`` (idempotent) and return its id, or ""
        if that photoset no longer exists. Without ``photoset_id``: in ``album``'s photoset found
        by its title, or a new one with this photo as its cover. The caller makes sure only one
        delivery at a time calls it without ``photoset_id`` for an album."""

    def comments(self, photo_ids: Iterable[str]) -> list[Comment]:
        """Comments by others (never the account's own replies) on these photos, oldest first."""

    def commented_since(self, since: datetime) -> set[str]:
        """Ids of the account's photos, of any age, that got a comment at ``since`` or later (more,
        never fewer: a site may name photos with other recent activity too)."""

    def reply(self, photo_id: str, text: str) -> str:
        """Comment on the account's own photo as the account; return the new comment's id."""

    def delete_comment(self, comment_id: str) -> None:
        """Remove a comment from one of the account's photos (already gone is fine)."""


class Unconfigured:
    """The publisher of a deployment whose Flickr secret is not filled in: every call is
    unavailable, so publishing is retried, then marked PUBLISH_FAILED with this reason."""

    def __init__(self, secret: str):
        self._reason = f"Flickr is not configured: fill in the {secret} secret, then `pressroom retry` the photo"

    def _unavailable(self, *_: object, **__: object) -> None:
        raise PublisherUnavailable(self._reason)

    publish = find = add_to_album = comments = commented_since = reply = delete_comment = _unavailable
