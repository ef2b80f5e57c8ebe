"""The Flickr guidance as policy: rules from ``rules.toml`` judged over a photo's facts.

``evaluate`` returns a ``Report``: ``blocked`` if any finding blocks, otherwise ``needs_approval``
(nothing is ever published without an approver), with findings naming the guidance line each
enforces and the questions about what no machine can judge that the approver will be asked
(those the uploader's declarations answer are not among them). Given a ``judge`` (the policy
stage and ``pressroom check`` pass the packaged caption judge, ``judged.packaged_judge()``), the
caption is also read for meaning (``judged``), and its unsure verdicts become questions too.
"""
from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING

from pressroom.guidance.caption import published_caption
from pressroom.guidance.checklist import checklist
from pressroom.guidance.checks import judge
from pressroom.guidance.declared import declared_facts
from pressroom.guidance.detector import (
    NOT_RUN_NOTE,
    Detections,
    Detector,
    OfflineDetector,
)
from pressroom.guidance.judged import meaning_findings
from pressroom.guidance.model import (
    SEVERITIES,
    Facts,
    Finding,
    Report,
)
from pressroom.guidance.rules import RuleBook, load_rulebook
from pressroom.guidance.text import findings as text_findings
from pressroom.guidance.text import scan, text_fields

if TYPE_CHECKING:
    from pressroom.guidance.meaning import Judge

__all__ = [
    "Detections",
    "Detector",
    "Facts",
    "Finding",
    "OfflineDetector",
    "Report",
    "declared_facts",
    "evaluate",
    "published_caption",
]


def evaluate(
    facts: Facts, detections: Detections | None = None, book: RuleBook | None = None, judge_of_meaning: Judge | None = None
) -> Report:
    """Judge one photo. ``detections=None`` means no image analysis ran (the approver is told);
    ``judge_of_meaning=None`` means the rules alone (the caption is not read for meaning)."""
    book = book or load_rulebook()
    seen = detections if detections is not None else Detections(available=False, note=NOT_RUN_NOTE)
    fields = text_fields(facts, seen)
    judgement = judge(facts, seen, fields, book)
    order = {rule.id: index for index, rule in enumerate(book.rules)}
    found = text_findings(scan(fields, seen.labels, book), seen.lines) + judgement.findings
    questions: list[str] = []
    if judge_of_meaning is not None:
        meant, questions = meaning_findings(judge_of_meaning, facts, found)
        found += meant
    found = sorted(
        found,
        key=lambda finding: (SEVERITIES.index(finding.severity), order.get(finding.rule.removeprefix("meaning:"), len(order))),
    )
    items, _ = checklist(book.questions, facts.declared, [asdict(finding) for finding in found])
    asked = list(dict.fromkeys(questions + judgement.questions + [item.question.ask for item in items if not item.declared]))
    verdict = "blocked" if any(finding.severity == "block" for finding in found) else "needs_approval"
    return Report(verdict, found, asked)
