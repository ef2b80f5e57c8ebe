"""What the public will see of a photo once it is published: the one description of it that the
approver is shown and the publisher sends."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Publication:
    title: str
    #: the whole description as the site shows it: the caption, credit, link back and crime line
    description: str
    tags: tuple[str, ...]
    credit: str
    licence: str
    album: str
    visibility: str
    #: the lines every photo's description ends with (credit, link back, crime line)
    footer: str = ""

    @property
    def body(self) -> str:
        """The description as written for this photo, without the footer every photo gets."""
        if self.footer and self.description.endswith(self.footer):
            return self.description[:-len(self.footer)].rstrip()
        return self.description
