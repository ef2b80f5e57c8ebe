"""The image-analysis port: what a machine can see in a photo (faces, moderation labels, text).

Three adapters: ``LocalVisionDetector`` (:mod:`pressroom.adapters.local_vision`) looks in the force's
own account with models shipped inside registry packages, and is the default; ``RekognitionDetector``
(:mod:`pressroom.adapters.rekognition`) asks Amazon Rekognition; ``OfflineDetector`` analyses nothing and says so, the gap becoming an
approver's checklist item. Places in the picture are ``Box`` es: fractions of the upright image.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any, Protocol

from pressroom.domain.boxes import Box

CHECK = "the approver must check faces, children, graphic content and visible text"
OFFLINE_NOTE = f"No automatic image analysis offline: {CHECK}"
NOT_RUN_NOTE = f"No automatic image analysis was run: {CHECK}"

#: Rekognition accepts JPEG or PNG image bytes up to 5 MB.
REKOGNITION_MAX_BYTES = 5 * 1024 * 1024
_ANALYSIS_EDGE = 4096
_SMALLEST_EDGE = 256


@dataclass(frozen=True)
class Face:
    """A face; ``age_low``/``age_high`` are ``None`` when the detector does not estimate ages."""

    age_low: int | None
    age_high: int | None
    confidence: float
    box: Box | None = None


@dataclass(frozen=True)
class TextLine:
    """One line of text read in the picture, and where."""

    text: str
    box: Box
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
    #: where each of ``text`` was read, when the detector says (``text`` is then the lines' text)
    lines: tuple[TextLine, ...] = ()
    #: what this detector does not judge ("ages", "graphic content"): the approver is asked instead
    unchecked: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.lines and self.text != tuple(line.text for line in self.lines):
            raise ValueError("text must be the lines' text, in order")

    @classmethod
    def seen(cls, faces: tuple[Face, ...], lines: tuple[TextLine, ...], unchecked: tuple[str, ...] = ()) -> Detections:
        return cls(faces=faces, text=tuple(line.text for line in lines), lines=lines, unchecked=unchecked)


def analysis_record(detections: Detections) -> dict[str, Any]:
    """What the photo record keeps of an analysis, for the review page's boxes and for redaction."""
    if not detections.available:
        return {"available": False, "note": detections.note}
    return {
        "available": True,
        "faces": [
            {"box": face.box.as_record(), "confidence": face.confidence}
            | ({"age": [face.age_low, face.age_high]} if face.age_low is not None else {})
            for face in detections.faces if face.box
        ],
        "lines": [{"text": line.text, "box": line.box.as_record()} for line in detections.lines],
        "unchecked": list(detections.unchecked),
    }


def detections_from_record(record: dict[str, Any]) -> Detections:
    """The ``Detections`` an ``analysis_record`` was made from (boxes to a ten-thousandth)."""
    if not record.get("available"):
        return Detections(available=False, note=str(record.get("note") or NOT_RUN_NOTE))
    faces = tuple(
        Face(*_ages(face.get("age")), float(face.get("confidence", 0.0)), Box.from_record(face["box"]))
        for face in record.get("faces", [])
    )
    lines = tuple(TextLine(str(line["text"]), Box.from_record(line["box"]), 0.0) for line in record.get("lines", []))
    return Detections.seen(faces, lines, tuple(str(what) for what in record.get("unchecked", [])))


def _ages(value: Any) -> tuple[int | None, int | None]:
    return (int(value[0]), int(value[1])) if value else (None, None)


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
    return bounded_jpeg(analysis_image(image, _ANALYSIS_EDGE), REKOGNITION_MAX_BYTES)


def bounded_jpeg(picture: Any, max_bytes: int) -> bytes:
    """``picture`` as a JPEG of at most ``max_bytes``, halving its edge until it fits."""
    edge = max(picture.size)
    while edge >= _SMALLEST_EDGE:
        picture.thumbnail((edge, edge))
        for quality in (90, 75):
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=quality)
            if buffer.tell() <= max_bytes:
                return buffer.getvalue()
        edge //= 2
    raise ValueError("too large to analyse even after resizing")


def analysis_image(image: bytes, edge: int) -> Any:
    """An upright RGB Pillow image of ``image`` at most ``edge`` pixels a side (for analysis only).

    Raises ``OSError`` or ``ValueError`` for bytes Pillow cannot read.
    """
    from PIL import Image, ImageOps
    from pillow_heif import register_heif_opener

    register_heif_opener()
    with Image.open(io.BytesIO(image)) as opened:
        # shrink first, and only the small copy is turned: a still WebP is scaled by libwebp as it
        # decodes; a JPEG decodes at the smallest of 1/2 to 1/8 scale that keeps half the analysis
        # edge, instead of whole and then resized
        if opened.format == "WEBP" and not getattr(opened, "is_animated", False):
            from pressroom.imaging import libwebp

            shrunk = libwebp.decode_scaled(image, edge)
            shrunk.info["exif"] = opened.info.get("exif", b"")  # its orientation
        else:
            shrink = min(1.0, edge / 2 / max(opened.size))
            opened.draft("RGB", (max(1, int(opened.width * shrink)), max(1, int(opened.height * shrink))))
            opened.thumbnail((edge, edge))
            shrunk = opened
        picture = ImageOps.exif_transpose(shrunk)
        return picture.convert("RGB") if picture.mode != "RGB" else picture.copy()
