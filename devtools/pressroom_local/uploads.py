"""Uploading a photo to the raw bucket the way staff do, with declared facts as object metadata."""
from __future__ import annotations

import mimetypes
import re
from email.header import Header, decode_header, make_header
from pathlib import Path

from pressroom.adapters import aws
from pressroom.domain.photos import photo_id
from pressroom.settings import get_settings

_ALBUM = re.compile(r"^[\w][\w .()&'-]{0,99}$")
MAX_METADATA_BYTES = 2048  # S3's limit for all user metadata together


class UploadError(ValueError):
    pass


def encode_metadata(value: str) -> str:
    """S3 metadata is ASCII: other text travels RFC 2047-encoded, as S3 itself returns it, its
    encoded words on one line (a header value holds no line break)."""
    return value if value.isascii() else Header(value, "utf-8").encode(linesep=" ")


def decode_metadata(value: str) -> str:
    """The text of an S3 metadata value, RFC 2047-encoded or not."""
    return str(make_header(decode_header(value))) if "=?" in value else value


def upload(path: Path, album: str, declared: dict[str, str]) -> str:
    """Put ``path`` at ``incoming/<album>/<name>``; return the photo id it will have."""
    if not _ALBUM.match(album) or "/" in album:
        raise UploadError(f"album name {album!r} must be letters, digits, spaces or .()&'- (no slashes)")
    metadata = {k.lower(): encode_metadata(v) for k, v in declared.items()}
    if sum(len(k) + len(v) for k, v in metadata.items()) > MAX_METADATA_BYTES:
        raise UploadError("declared facts exceed S3's 2 KB of object metadata: shorten the description")
    settings = get_settings()
    key = f"incoming/{album}/{path.name}"
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    with path.open("rb") as body:
        put = aws.client("s3").put_object(Bucket=settings.raw_bucket, Key=key, Body=body,
                                          ContentType=content_type, Metadata=metadata)
    return photo_id(settings.raw_bucket, key, put.get("VersionId"))
