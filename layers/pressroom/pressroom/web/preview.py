"""What an approver sees of the photo: an emailed thumbnail and a short-lived link to the clean copy."""
from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageOps

from pressroom.domain.photos import Photo

THUMBNAIL_EDGE = 640
#: what browsers show in an ``<img>``; a TIFF only Safari does
BROWSER_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"})
#: the review page shows other photos as a JPEG this large, made as the page is served, when they
#: are at most REVIEW_PIXELS (decoding more would not fit the approval API's memory)
REVIEW_EDGE = 1600
REVIEW_PIXELS = 24_000_000


def thumbnail(data: bytes, max_pixels: int, edge: int = THUMBNAIL_EDGE) -> bytes:
    """A JPEG of at most ``edge`` pixels a side, upright, sRGB, with no metadata at all.

    Raises ``ValueError`` for anything Pillow cannot read or that exceeds ``max_pixels``.
    """
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a dependency; HEIC previews need it
        pass
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > max_pixels:
                raise ValueError(f"{img.width}x{img.height} is more than {max_pixels} pixels")
            img.draft("RGB", (edge, edge))  # JPEG: decode at a reduced scale, much faster
            upright = ImageOps.exif_transpose(img)
            rgb = upright.convert("RGB")
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc
    rgb.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=82, optimize=True)  # no exif=, icc_profile=: nothing carried over
    return out.getvalue()


def fetch_clean(s3: Any, bucket: str, photo: Photo) -> bytes:
    """The scrubbed bytes of ``photo`` from the clean bucket."""
    return s3.get_object(Bucket=bucket, Key=photo.clean_key)["Body"].read()


def preview_url(s3: Any, bucket: str, photo: Photo, seconds: int) -> str:
    """A presigned GET of the clean object, valid for ``seconds``."""
    return s3.generate_presigned_url(
        "get_object",
        Params={"Bucket": bucket, "Key": photo.clean_key, "ResponseContentDisposition": "inline"},
        ExpiresIn=seconds,
    )


def data_url(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
