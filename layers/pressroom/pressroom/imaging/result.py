"""What a scrub produces, and how it refuses an input."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class RejectedImage(ValueError):
    """The input is not a supported, well-formed image; ``reason`` is one line for a person."""

    def __init__(self, reason: str) -> None:
        self.reason = " ".join(str(reason).split()) or "rejected"
        super().__init__(self.reason)

    def __str__(self) -> str:
        return self.reason


class TooLarge(RejectedImage):
    """An image with more pixels than the limit: it may be fine, only too large to take."""

    def __init__(self, width: int, height: int, limit: int) -> None:
        super().__init__(f"image is {width}x{height} = {width * height} pixels, over the limit of {limit}")
        self.width, self.height, self.limit = width, height, limit


#: an animation's frames together may hold this many times the pixel limit
FRAMES_LIMIT = 10


def check_pixels(width: int, height: int, max_pixels: int) -> None:
    """Refuse empty or oversized dimensions read from a header, before anything is decoded."""
    if width <= 0 or height <= 0:
        raise RejectedImage(f"image header declares an empty size ({width}x{height})")
    if width * height > max_pixels:
        raise TooLarge(width, height, max_pixels)


class Removals:
    """An ordered tally of what was taken out, rendered as human-readable lines."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def add(self, label: str) -> None:
        self._counts[label] = self._counts.get(label, 0) + 1

    def lines(self) -> list[str]:
        return [label if n == 1 else f"{label} ×{n}" for label, n in self._counts.items()]


@dataclass(frozen=True)
class Scrubbed:
    """A format module's output, before verification: stored (not displayed) size."""

    data: bytes
    format: str
    width: int
    height: int
    orientation: int
    removed: list[str]
    captions: dict[str, Any]


@dataclass(frozen=True)
class ScrubResult:
    """A verified scrubbed image and what was learnt and removed on the way."""

    data: bytes
    format: str
    content_type: str
    extension: str
    width: int
    height: int
    removed: list[str] = field(default_factory=list)
    captions: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "content_type": self.content_type,
            "extension": self.extension,
            "width": self.width,
            "height": self.height,
            "size": len(self.data),
            "removed": list(self.removed),
            "captions": dict(self.captions),
        }
