"""The caption judge's verdicts as policy findings, beside the rules' findings.

The rules keep what is exact (protective markings, phone numbers, postcodes, number plates, the
crime-reporting line); the judge reads the caption for meaning. A verdict becomes a finding whose
rule is ``meaning:<guidance rule id>``, naming the guidance line, the sentence it read, the
labelled captions it resembles and how sure it is. A sure verdict blocks; an unsure one warns and
puts its question at the top of the approver's checklist. A verdict adds nothing when a rule has
already found the same guidance line at least as severely (the rule's exact phrase says more).
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from pressroom.guidance.model import SEVERITIES, Facts, Finding

if TYPE_CHECKING:
    from pressroom.guidance.meaning import Judge, Verdict

PREFIX = "meaning:"
_EXAMPLES_SHOWN = 2
_PHRASE_CHARS = 100


@lru_cache(maxsize=1)
def packaged_judge() -> Judge:
    """The caption judge shipped in the layer, loaded once per process (about 100 MB, 0.5 s)."""
    from pressroom.guidance.meaning import Judge

    return Judge.load()


def caption_text(facts: Facts) -> tuple[str, str]:
    """(title, description) the judge reads: what will be published, or the image's own caption
    when nothing else is given."""
    title = facts.title or str(facts.captions.get("title") or "")
    description = facts.description or str(facts.captions.get("description") or "")
    return title, description


def meaning_findings(judge: Judge, facts: Facts, found: list[Finding]) -> tuple[list[Finding], list[str]]:
    """(findings, approver's questions) from the judge's verdicts on the photo's caption."""
    title, description = caption_text(facts)
    verdicts = judge.assess(description, title=title)
    findings: list[Finding] = []
    questions: list[str] = []
    for verdict in verdicts:
        if _already_found(verdict, found):
            continue
        findings.append(_finding(verdict))
        if verdict.severity == "warn":
            questions.append(verdict.question)
    return findings, questions


def _already_found(verdict: Verdict, found: list[Finding]) -> bool:
    rank = SEVERITIES.index(verdict.severity)
    return any(
        verdict.guidance and verdict.guidance in finding.guidance and SEVERITIES.index(finding.severity) <= rank
        for finding in found
    )


def _finding(verdict: Verdict) -> Finding:
    sure = f"{verdict.confidence:.0%} sure"
    if verdict.severity == "block":
        message = f"{verdict.message} (The caption judge is {sure}.)"
    else:
        message = f"Please check: {verdict.question} The caption judge is {sure} the caption may break this guidance line."
    resembles = "; ".join(
        f'"{_short(example.text)}" ({example.similarity:.2f})' for example in verdict.examples[:_EXAMPLES_SHOWN]
    )
    evidence = f'title, description: meaning ({sure}): "{_short(verdict.phrase, _PHRASE_CHARS)}"'
    if resembles:
        evidence += f" resembles labelled captions {resembles}"
    return Finding(PREFIX + verdict.label, verdict.severity, message, evidence, verdict.guidance)


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
