"""The Flickr guidance as policy: rules from ``rules.toml`` judged over a photo's facts.

``evaluate`` returns a ``Report``: ``blocked`` if any finding blocks, otherwise ``needs_approval``
(nothing is ever published without an approver), with findings naming the guidance line each
enforces and the approver's checklist of what no machine can judge.
"""
from __future__ import annotations

from pressroom.guidance.caption import published_caption
from pressroom.guidance.checks import judge
from pressroom.guidance.declared import declared_facts
from pressroom.guidance.detector import (
    NOT_RUN_NOTE,
    Detections,
    Detector,
    OfflineDetector,
    RekognitionDetector,
)
from pressroom.guidance.model import (
    SEVERITIES,
    Facts,
    Finding,
    Report,
)
from pressroom.guidance.rules import RuleBook, load_rulebook
from pressroom.guidance.text import findings as text_findings
from pressroom.guidance.text import scan, text_fields

__all__ = [
    "Detections",
    "Detector",
    "Facts",
    "Finding",
    "OfflineDetector",
    "RekognitionDetector",
    "Report",
    "declared_facts",
    "evaluate",
    "published_caption",
]


def evaluate(facts: Facts, detections: Detections | None = None, book: RuleBook | None = None) -> Report:
    """Judge one photo. ``detections=None`` means no image analysis ran (the approver is told)."""
    book = book or load_rulebook()
    seen = detections if detections is not None else Detections(available=False, note=NOT_RUN_NOTE)
    fields = text_fields(facts, seen)
    judgement = judge(facts, seen, fields, book)
    order = {rule.id: index for index, rule in enumerate(book.rules)}
    found = sorted(
        text_findings(scan(fields, seen.labels, book), seen.lines) + judgement.findings,
        key=lambda finding: (SEVERITIES.index(finding.severity), order[finding.rule]),
    )
    checklist = list(dict.fromkeys(judgement.questions + [item.question for item in book.checklist]))
    verdict = "blocked" if any(finding.severity == "block" for finding in found) else "needs_approval"
    return Report(verdict, found, checklist)
