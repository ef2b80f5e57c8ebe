"""What image analysis saw, drawn on the review preview; and the redacted copy an approver may ask for.

Both are pure functions of the scrubbed bytes and the photo record's ``analysis`` and ``findings``
(boxes as whole ten-thousandths of the upright picture, see ``domain.boxes.Box``). Both write a
fresh JPEG with no metadata at all. The redacted copy is, besides HEIC, the one path that re-encodes
the published photo: only on the approver's request, and the scrubbed copy is kept as it was.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from pressroom.domain.boxes import Box
from pressroom.domain.redaction import CHOICES, ordered

_FACE = (255, 176, 0)  # amber: a face
_FINDING = (220, 20, 60)  # red: text that became a finding
_TEXT = (30, 144, 255)  # blue: other text read
_PLATE_LABEL = "vehicle registration"
#: the findings that say faces were found and no release form covers them
_WITHOUT_FORMS = ("faces-without-forms", "identifiable-without-forms")


def _upright(data: bytes, max_pixels: int, edge: int | None) -> Image.Image:
    try:
        from pillow_heif import register_heif_opener

        register_heif_opener()
    except ImportError:  # pragma: no cover - pillow-heif is a dependency
        pass
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > max_pixels:
                raise ValueError(f"{img.width}x{img.height} is more than {max_pixels} pixels")
            if edge:
                img.draft("RGB", (edge, edge))
            picture = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise ValueError(f"not a readable image: {exc}") from exc
    if edge:
        picture.thumbnail((edge, edge), Image.Resampling.LANCZOS)
    return picture


def _pixels(box: Box, size: tuple[int, int], pad: float = 0.0) -> tuple[int, int, int, int]:
    width, height = size
    grow_x, grow_y = (box.right - box.left) * pad, (box.bottom - box.top) * pad
    return (
        max(0, int((box.left - grow_x) * width)), max(0, int((box.top - grow_y) * height)),
        min(width, int(round((box.right + grow_x) * width))), min(height, int(round((box.bottom + grow_y) * height))),
    )


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality, optimize=True)  # no exif=, icc_profile=: nothing carried over
    return out.getvalue()


def finding_boxes(findings: Iterable[dict[str, Any]]) -> list[Box]:
    """Every place in the picture a finding points at."""
    return [Box.from_record(where) for finding in findings for where in finding.get("where", [])]


def annotated_preview(data: bytes, analysis: dict[str, Any], findings: list[dict[str, Any]],
                      max_pixels: int, edge: int = 1600) -> bytes:
    """A preview JPEG (at most ``edge`` a side) with boxes: amber around faces, red around text
    that became a finding, blue around other text read. ``ValueError`` if the image is unreadable."""
    picture = _upright(data, max_pixels, edge)
    draw = ImageDraw.Draw(picture)
    line = max(2, round(max(picture.size) / 400))
    flagged = set(map(tuple, (box.as_record() for box in finding_boxes(findings))))
    for text_line in analysis.get("lines", []):
        box = Box.from_record(text_line["box"])
        colour = _FINDING if tuple(box.as_record()) in flagged else _TEXT
        draw.rectangle(_pixels(box, picture.size, 0.05), outline=colour, width=line)
    for face in analysis.get("faces", []):
        draw.rectangle(_pixels(Box.from_record(face["box"]), picture.size, 0.1), outline=_FACE, width=line)
    return _jpeg(picture, 85)


def redaction_boxes(analysis: dict[str, Any], findings: list[dict[str, Any]], choices: Iterable[str]) -> list[Box]:
    """The places to blur for the approver's ``choices`` (see ``CHOICES``): every face found; every
    number plate a finding points at; every line of text read."""
    chosen = ordered(choices)
    boxes: list[Box] = []
    if "faces" in chosen:
        boxes += [Box.from_record(face["box"]) for face in analysis.get("faces", [])]
    if "plates" in chosen:
        plates = [f for f in findings if _PLATE_LABEL in str(f.get("evidence", ""))]
        boxes += finding_boxes(plates)
    if "text" in chosen:
        boxes += [Box.from_record(line["box"]) for line in analysis.get("lines", [])]
    return list(dict.fromkeys(boxes))


def blurrable(analysis: dict[str, Any], findings: list[dict[str, Any]]) -> dict[str, int]:
    """What an approver may ask to blur in this photo, each with how many places it covers: faces
    when image analysis found some and no release form is declared, number plates a finding points
    at, and every line of text read."""
    offered = {choice: len(redaction_boxes(analysis, findings, [choice])) for choice in CHOICES}
    if not any(f.get("outcome") in _WITHOUT_FORMS for f in findings):
        offered["faces"] = 0
    return {choice: count for choice, count in offered.items() if count}


def redacted(data: bytes, boxes: list[Box], max_pixels: int, quality: int = 92) -> bytes:
    """The whole picture, upright, with each box (grown by a fifth, so hair, plate edges and
    descenders go too) pixelated to about five cells across its shorter side and then blurred by a
    cell: what was there cannot be read back. A fresh JPEG with no metadata."""
    picture = _upright(data, max_pixels, None)
    for box in boxes:
        left, top, right, bottom = _pixels(box, picture.size, 0.2)
        if right - left < 2 or bottom - top < 2:
            continue
        region = picture.crop((left, top, right, bottom))
        cell = max(6, min(right - left, bottom - top) // 5)
        small = region.resize((max(1, region.width // cell), max(1, region.height // cell)), Image.Resampling.BOX)
        coarse = small.resize(region.size, Image.Resampling.NEAREST).filter(ImageFilter.GaussianBlur(cell))
        picture.paste(coarse, (left, top))
    return _jpeg(picture, quality)
