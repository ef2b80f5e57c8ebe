"""Publishing approved photos: the publisher port, its Flickr and local-album adapters, the stage."""
from __future__ import annotations

from pathlib import Path

from pressroom.config import FlickrCredentials
from pressroom.publishing.port import Comment, Published, Publisher, PublisherUnavailable, PublishRefused
from pressroom.settings import Settings

DEFAULT_LOCAL_ALBUM = Path(".pressroom/flickr")


def make_publisher(credentials: FlickrCredentials | None, settings: Settings) -> Publisher:
    """Flickr when ``credentials`` are given, otherwise the local album (``settings.local_album_dir``,
    or ``.pressroom/flickr`` under the working directory)."""
    if credentials is not None:
        from pressroom.publishing.flickr import connect

        return connect(credentials)
    from pressroom.publishing.local_album import LocalAlbum

    return LocalAlbum(Path(settings.local_album_dir) if settings.local_album_dir else DEFAULT_LOCAL_ALBUM)


__all__ = ["Comment", "Published", "Publisher", "PublisherUnavailable", "PublishRefused", "make_publisher"]
