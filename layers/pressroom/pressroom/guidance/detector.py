"""The image-analysis port: what a machine can see in a photo (faces, moderation labels, text).

``pressroom.adapters.rekognition`` is the deployed adapter. ``OfflineDetector`` is the local stack's: no
CPU detector on PyPI is both download-free at run time and reliable enough for faces with ages
and for text, so it analyses nothing and says so; the gap becomes an approver's checklist item.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Protocol

CHECK = "the approver must check faces, children, graphic content and visible text"
OFFLINE_NOTE = f"No automatic image analysis offline: {CHECK}"
NOT_RUN_NOTE = f"No automatic image analysis was run: {CHECK}"

#: Rekognition accepts JPEG or PNG image bytes up to 5 MB.
REKOGNITION_MAX_BYTES = 5 * 1024 * 1024
_ANALYSIS_EDGE = 4096
_SMALLEST_EDGE = 256


@dataclass(frozen=True)
class Face:
    age_low: int
    age_high: int
    confidence: float


@dataclass(frozen=True)
class Label:
    name: str
    parent: str
    confidence: float


@dataclass(frozen=True)
class Detections:
    """What image analysis found; ``available=False`` with a ``note`` when it could not look."""

    faces: tuple[Face, ...] = ()
    labels: tuple[Label, ...] = ()
    text: tuple[str, ...] = ()
    available: bool = True
    note: str = ""


class Detector(Protocol):
    def detect(self, image: bytes) -> Detections: ...


class OfflineDetector:
    """The local stack's detector: it cannot look, and says what the approver must check instead."""

    def detect(self, image: bytes) -> Detections:
        return Detections(available=False, note=OFFLINE_NOTE)


def analysis_copy(image: bytes) -> bytes:
    """``image`` itself if Rekognition accepts it, else a JPEG copy small enough (for analysis only:
    the published photo is never re-encoded)."""
    jpeg_or_png = image[:3] == b"\xff\xd8\xff" or image[:8] == b"\x89PNG\r\n\x1a\n"
    if jpeg_or_png and len(image) <= REKOGNITION_MAX_BYTES:
        return image
    from PIL import Image, ImageOps
    from pillow_heif import register_heif_opener

    from pressroom.imaging import libwebp

    register_heif_opener()
    with Image.open(io.BytesIO(image)) as opened:
        # shrink first, and only the small copy is turned: a still WebP is scaled by libwebp as it
        # decodes; a JPEG decodes at the smallest of 1/2 to 1/8 scale that keeps half the analysis
        # edge, instead of whole and then resized
        if opened.format == "WEBP" and not getattr(opened, "is_animated", False):
            shrunk = libwebp.decode_scaled(image, _ANALYSIS_EDGE)
            shrunk.info["exif"] = opened.info.get("exif", b"")  # its orientation
        else:
            shrink = min(1.0, _ANALYSIS_EDGE / 2 / max(opened.size))
            opened.draft("RGB", (max(1, int(opened.width * shrink)), max(1, int(opened.height * shrink))))
            opened.thumbnail((_ANALYSIS_EDGE, _ANALYSIS_EDGE))
            shrunk = opened
        picture = ImageOps.exif_transpose(shrunk)
        picture = picture.convert("RGB") if picture.mode != "RGB" else picture
    edge = _ANALYSIS_EDGE
    while edge >= _SMALLEST_EDGE:
        picture.thumbnail((edge, edge))
        for quality in (90, 75):
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= REKOGNITION_MAX_BYTES:
                return buffer.getvalue()
        edge //= 2
    raise ValueError("too large to analyse even after resizing")
