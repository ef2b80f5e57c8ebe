"""The publisher port: what the pipeline needs from a photo-sharing site, and its errors."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pressroom.domain.flickr_options import FlickrOptions

#: how every photo is published (Flickr: is_public, safety level "safe", shown in search)
VISIBILITY = "Public: anyone can see it, and it is shown in Flickr's search"
def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as the site keeps them: without double quotes, spaces collapsed, each once, none empty."""
    out: list[str] = []
    for tag in tags:
        clean = " ".join(str(tag).replace('"', "").split())
        if clean and clean not in out:
            out.append(clean)
    return out


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


class NotPermitted(PublisherUnavailable):
    """The site refused because the account's token lacks the access this needs (Flickr's "delete")."""


class PublishRefused(Exception):
    """The site refused this photo for good (e.g. it does not recognise the file)."""


class Publisher(Protocol):
    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str, options: FlickrOptions | None = None) -> Published:
        """Upload a public photo tagged with ``machine_tag`` (in no photoset yet), with the safety
        level and content type of ``options`` (default: :class:`FlickrOptions`'s)."""

    def configure(self, photo_id: str, options: FlickrOptions) -> None:
        """Set an uploaded photo's licence and who may comment (nobody else may add tags or
        notes); repeating it is harmless."""

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

    # -- after publishing (stages.takedown, stages.update) ---------------------------------------
    def remove_from_album(self, photo_id: str, photoset_id: str) -> None:
        """Take a photo out of a photoset; the photo or the photoset already gone is fine."""

    def delete(self, photo_id: str) -> None:
        """Delete a photo from the site for good; already gone is fine."""

    def hide(self, photo_id: str) -> None:
        """Make a photo private (only the account sees it), comments and notes closed; already gone
        is fine."""

    def set_meta(self, photo_id: str, *, title: str, description: str) -> None:
        """Replace a published photo's title and description (plain text, as for ``publish``);
        :class:`PublishRefused` if the photo is no longer on the site."""

    def set_tags(self, photo_id: str, tags: list[str]) -> None:
        """Replace all of a published photo's tags; :class:`PublishRefused` if it is gone."""


class Unconfigured:
    """The publisher of a deployment whose Flickr secret is not filled in: every call is
    unavailable, so publishing is retried, then marked PUBLISH_FAILED with this reason."""

    def __init__(self, secret: str):
        self._reason = f"Flickr is not configured: fill in the {secret} secret, then `pressroom retry` the photo"

    def publish(self, photo: bytes, filename: str, *, title: str, description: str, tags: list[str],
                machine_tag: str, options: FlickrOptions | None = None) -> Published:
        raise PublisherUnavailable(self._reason)

    def configure(self, photo_id: str, options: FlickrOptions) -> None:
        raise PublisherUnavailable(self._reason)

    def find(self, machine_tag: str) -> Published | None:
        raise PublisherUnavailable(self._reason)

    def add_to_album(self, photo_id: str, album: str, photoset_id: str | None) -> str:
        raise PublisherUnavailable(self._reason)

    def comments(self, photo_ids: Iterable[str]) -> list[Comment]:
        raise PublisherUnavailable(self._reason)

    def commented_since(self, since: datetime) -> set[str]:
        raise PublisherUnavailable(self._reason)

    def reply(self, photo_id: str, text: str) -> str:
        raise PublisherUnavailable(self._reason)

    def delete_comment(self, comment_id: str) -> None:
        raise PublisherUnavailable(self._reason)

    def remove_from_album(self, photo_id: str, photoset_id: str) -> None:
        raise PublisherUnavailable(self._reason)

    def delete(self, photo_id: str) -> None:
        raise PublisherUnavailable(self._reason)

    def hide(self, photo_id: str) -> None:
        raise PublisherUnavailable(self._reason)

    def set_meta(self, photo_id: str, *, title: str, description: str) -> None:
        raise PublisherUnavailable(self._reason)

    def set_tags(self, photo_id: str, tags: list[str]) -> None:
        raise PublisherUnavailable(self._reason)
