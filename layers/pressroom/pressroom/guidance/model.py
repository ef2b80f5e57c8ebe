"""What the policy reads (Facts) and what it says (Finding, Report)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pressroom.domain.boxes import Box

SEVERITIES = ("block", "warn", "info")


@dataclass(frozen=True)
class Finding:
    """One reason an approver must look: ``rule`` names the guidance line it enforces."""

    rule: str
    severity: str
    message: str
    evidence: str
    guidance: str
    #: which outcome of a check judged in code ("" for a text rule)
    outcome: str = ""
    #: where in the picture it was seen (faces, text read in the image); empty for everything else
    where: tuple[Box, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """The finding as the photo record keeps it (places as whole ten-thousandths)."""
        record: dict[str, Any] = {k: getattr(self, k) for k in ("rule", "severity", "message", "evidence", "guidance", "outcome")}
        if self.where:
            record["where"] = [box.as_record() for box in self.where]
        return record


@dataclass(frozen=True)
class Report:
    """The policy's verdict on one photo: ``blocked`` if any finding blocks, else ``needs_approval``;
    ``checklist`` holds the questions the approver will be asked."""

    verdict: str
    findings: list[Finding]
    checklist: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict,
            "findings": [finding.as_record() for finding in self.findings],
            "checklist": list(self.checklist),
        }


@dataclass(frozen=True)
class Facts:
    """Everything known about one photo before a person looks at it.

    ``captions`` are the caption fields the scrubber read from the image (title, description, tags,
    creator, credit, copyright, location, persons, release_ids, release_status, minor_age);
    ``declared`` are the uploader's declarations (see :mod:`pressroom.guidance.declared`).
    """

    title: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    filename: str = ""
    album: str = ""
    captions: dict[str, Any] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)
    #: declarations the upload carried that could not be used (unknown keys), each a line for a person
    declaration_problems: tuple[str, ...] = ()
