"""An approver's request to blur parts of a photo before it is published, as the records keep it.

The blurred copy is ``redacted/<id>/<sha256>.jpg`` in the clean bucket (not under ``clean/``, whose new
objects start the policy stage). An approval that asks for it records a :class:`Redaction` (what
was blurred, the key and the copy's SHA-256); the publish stage publishes that copy, checked
against the SHA-256, instead of the scrubbed one, which is kept as it is.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: what an approver may ask to blur, in the order the page lists them
CHOICES = ("faces", "plates", "text")
#: each choice in words ("Blur the …", "… blurred")
WORDS = {"faces": "faces", "plates": "number plates", "text": "all readable text"}


def ordered(choices: Iterable[str]) -> tuple[str, ...]:
    """``choices`` once each, in the order of :data:`CHOICES`; ``ValueError`` for any other."""
    chosen = set(choices)
    unknown = chosen - set(CHOICES)
    if unknown:
        raise ValueError(f"unknown redaction choices {sorted(unknown)}; choose from {CHOICES}")
    return tuple(c for c in CHOICES if c in chosen)


def in_words(choices: Sequence[str]) -> str:
    """``("faces", "plates")`` → ``faces and number plates``."""
    words = [WORDS[c] for c in choices]
    return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)


def redacted_key(photo_id: str, sha256: str) -> str:
    """Where a blurred copy of a photo is kept in the clean bucket: one key per copy, so two
    approvers blurring different things at once never overwrite each other's copy."""
    return f"redacted/{photo_id}/{sha256}.jpg"


@dataclass(frozen=True)
class Redaction:
    """What an approval asked to blur, and the copy that was made of it."""

    choices: tuple[str, ...]
    key: str
    sha256: str

    def record(self) -> dict[str, Any]:
        return {"choices": list(self.choices), "key": self.key, "sha256": self.sha256}

    @classmethod
    def from_record(cls, record: Mapping[str, Any] | None) -> Redaction | None:
        if not record or not record.get("choices"):
            return None
        return cls(ordered(record["choices"]), str(record["key"]), str(record["sha256"]))

    @property
    def seen(self) -> str:
        """What the review page carries of the copy it showed: posted back with the approval, so an
        approval counts only for the very copy the approver looked at."""
        return f"{','.join(self.choices)}:{self.sha256}"

    def summary(self) -> str:
        """One line for the audit trail."""
        return f"{in_words(self.choices)} (copy {self.key}, sha256 {self.sha256[:12]}…)"


def chosen_before(approvals: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """What earlier approvals of a photo asked to blur: choice → who asked first. A later approver
    may blur more, never less."""
    chosen: dict[str, str] = {}
    for approval in approvals:
        redaction = Redaction.from_record(approval.get("redaction"))
        for choice in redaction.choices if redaction else ():
            chosen.setdefault(choice, str(approval.get("by", "")))
    return chosen
