"""Uploading a photo to the raw bucket the way staff do, with declared facts as object metadata."""
from __future__ import annotations

import mimetypes
import re
import warnings
from pathlib import Path

from pressroom.adapters import aws
from pressroom.domain.metadata import encode_metadata
from pressroom.domain.photos import photo_id
from pressroom.guidance.declared import invalid, normalise_key
from pressroom.settings import Settings, get_settings
from pressroom.stages.scrub import file_size_advice, resize_advice

_ALBUM = re.compile(r"^[\w][\w .()&'-]{0,99}$")
MAX_METADATA_BYTES = 2048  # S3's limit for all user metadata together


class UploadError(ValueError):
    pass


def declaration_problems(declared: dict[str, str]) -> list[str]:
    """What the pipeline could not use of ``declared`` (unknown keys, values outside the choices, an
    uploader that is not a plain email address), each naming what is accepted."""
    return invalid({normalise_key(key): value for key, value in declared.items()})


def size_problem(path: Path, settings: Settings) -> str:
    """Why the scrub stage would quarantine ``path`` for its size (with what to do), or ""; a file
    whose header Pillow cannot read is left for the scrub stage to judge."""
    size = path.stat().st_size
    if size > settings.max_upload_bytes:
        return file_size_advice(size, settings.max_upload_bytes)
    from PIL import Image

    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # pragma: no cover - a dependency; HEIC sizes are then left to the scrub stage
        pass
    try:
        with warnings.catch_warnings():  # only the header is read: its size is what is being judged
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError):
        return ""
    return resize_advice(width, height, settings.max_pixels) if width * height > settings.max_pixels else ""


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
