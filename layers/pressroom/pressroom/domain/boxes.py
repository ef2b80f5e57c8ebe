"""Places in a picture: boxes as fractions of the upright image, so they hold at any size."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Box:
    """A place in the upright picture, as fractions (0..1) of its width and height."""

    left: float
    top: float
    right: float
    bottom: float

    def __post_init__(self) -> None:
        if not (0.0 <= self.left <= self.right <= 1.0 and 0.0 <= self.top <= self.bottom <= 1.0):
            raise ValueError(f"not a box inside the picture: {self}")

    @classmethod
    def clipped(cls, left: float, top: float, right: float, bottom: float) -> Box:
        """The part of a box inside the picture (a detector may reach past an edge)."""
        def inside(value: float) -> float:
            return min(1.0, max(0.0, value))

        left, right = sorted((inside(left), inside(right)))
        top, bottom = sorted((inside(top), inside(bottom)))
        return cls(left, top, right, bottom)

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def where(self) -> str:
        """Where the box is, in words an approver can find it by ("top left", "centre")."""
        middle_x, middle_y = (self.left + self.right) / 2, (self.top + self.bottom) / 2
        row = "top" if middle_y < 1 / 3 else "bottom" if middle_y > 2 / 3 else "middle"
        column = "left" if middle_x < 1 / 3 else "right" if middle_x > 2 / 3 else "centre"
        return "centre" if (row, column) == ("middle", "centre") else f"{row} {column}"

    def as_record(self) -> list[int]:
        """Whole ten-thousandths (the photo record holds no floats)."""
        return [round(value * 10_000) for value in (self.left, self.top, self.right, self.bottom)]

    @classmethod
    def from_record(cls, values: list[Any]) -> Box:
        return cls.clipped(*(int(value) / 10_000 for value in values))
