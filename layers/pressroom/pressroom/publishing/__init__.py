"""Publishing approved photos: the publisher port, its Flickr and local-album adapters, the stage."""
from __future__ import annotations

from pathlib import Path

from pressroom.config import FlickrCredentials
from pressroom.publishing.port import (
    Comment,
    Published,
    Publisher,
    PublisherUnavailable,
    PublishRefused,
    Unconfigured,
)
from pressroom.settings import Settings

def make_publisher(credentials: FlickrCredentials | None, settings: Settings) -> Publisher:
    """Flickr when ``credentials`` are given; else the local album when ``settings.local_album_dir``
    is set (the local stack); else a deployment with no Flickr yet, which publishes nothing."""
    if credentials is not None:
        from pressroom.publishing.flickr import connect

        return connect(credentials)
    if settings.local_album_dir:
        from pressroom.publishing.local_album import LocalAlbum

        return LocalAlbum(Path(settings.local_album_dir))
    return Unconfigured(settings.flickr_secret)


__all__ = ["Comment", "Published", "Publisher", "PublisherUnavailable", "PublishRefused", "make_publisher"]
