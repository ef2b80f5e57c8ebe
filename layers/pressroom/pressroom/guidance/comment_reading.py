"""Reading a comment: the rules' exact findings and the judge's sense of its meaning, together.

The rules are trusted for what they find exactly: abuse and slurs (however masked), personal
details (a phone number, an email address, a plate), the threat phrases of ``THREAT_TERMS``. The
judge decides what a comment means: a threat, a disclosure of harm, a crime report... When the
judge is sure, its kind is acted on; when it is unsure (between its warn and act thresholds),
nothing public is done and the press office is asked to look; below, the comment is "other" and
goes into the daily digest. A crime the rules' patterns find but the judge does not is unsure too:
an innocent joke with crime words never gets the crime-reporting reply in public.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from .comment_judge import JudgeReading
from .comment_rules import Kind, RuleFindings, read_rules

#: kinds whose harm outranks abuse: a threat or a disclosure that swears is still a threat or a disclosure
_GRAVE = (Kind.THREAT, Kind.DISCLOSURE)
#: a grave kind the judge gives this share of its weight to, when another kind wins, is flagged as well
#: ("it may also be a threat"): the alert is urgent and the comment kept as evidence. Chosen on the
#: development folds: threats caught rise from 84% to 89% with nothing more done to innocent comments.
GRAVE_SHARE = 0.3


class Judge(Protocol):
    def read(self, text: str) -> JudgeReading: ...


@dataclass(frozen=True)
class Reading:
    """What a comment is, how sure Pressroom is, and why (the words and examples, never the
    personal details themselves)."""

    kind: Kind
    confidence: float
    #: acted on as its kind; else the press office is asked to look and nothing public is done
    sure: bool
    #: who decided: "rules", "judge" or "rules+judge"
    by: str
    signals: tuple[str, ...] = ()
    #: the kinds of personal details it holds ("UK phone number")
    private: tuple[str, ...] = ()
    #: how it names or places somebody ("street", "a titled name")
    locates: tuple[str, ...] = ()
    judge: JudgeReading | None = field(default=None, compare=False)
    #: grave kinds it may also be (the judge's second thought): the press office is alerted urgently
    also: tuple[Kind, ...] = ()

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "confidence": self.confidence, "sure": self.sure, "by": self.by,
               "signals": list(self.signals), "private": list(self.private), "locates": list(self.locates),
               "also": [kind.value for kind in self.also]}
        if self.judge is not None:
            out["judge"] = {"kind": self.judge.kind.value, "needs_something": self.judge.needs,
                            "share": self.judge.share, "resembles": [
                                {"text": r.text, "kind": r.label, "similarity": r.similarity} for r in self.judge.resembles]}
        return out


def read(text: str, judge: Judge | None) -> Reading:
    """The rules and (when given) the judge together."""
    rules = read_rules(text)
    verdict = judge.read(text) if judge is not None else None
    return combine(rules, verdict)


def combine(rules: RuleFindings, judged: JudgeReading | None) -> Reading:
    def reading(kind: Kind, confidence: float, sure: bool, by: str, extra: tuple[str, ...] = ()) -> Reading:
        said = (f"judge: {judged.kind.value} ({judged.confidence:.0%})",) if judged is not None and judged.flagged else ()
        also = tuple(grave for grave in _GRAVE if grave != kind and judged is not None and judged.flagged
                     and judged.share_of(grave) >= GRAVE_SHARE)
        return Reading(kind, round(confidence, 3), sure, by, rules.signals() + extra + said, rules.private,
                       rules.locates, judged, also)

    if judged is None:
        return _rules_alone(rules)
    if rules.threat:
        return reading(Kind.THREAT, 1.0, True, "rules" if judged.kind != Kind.THREAT else "rules+judge")
    if judged.flagged and judged.kind in _GRAVE:
        return reading(judged.kind, judged.confidence, judged.sure, "judge")
    if rules.offensive:
        return reading(Kind.OFFENSIVE, 1.0, True, "rules+judge" if judged.kind == Kind.OFFENSIVE else "rules")
    if judged.flagged and judged.kind == Kind.CRIME_REPORT:  # the rules' crime words and the judge agreeing is sure
        return reading(Kind.CRIME_REPORT, judged.confidence, judged.sure or bool(rules.crime),
                       "rules+judge" if rules.crime else "judge")
    if rules.private:
        return reading(Kind.PERSONAL_DETAILS, 1.0, True, "rules")
    if judged.flagged:
        return reading(judged.kind, judged.confidence, judged.sure, "judge")
    if rules.crime:  # crime words the judge does not read as a crime report: a person looks, nothing public,
        # unless someone asks in earnest to report a crime here (the guidance's very case for the reply)
        return reading(Kind.CRIME_REPORT, 1.0 if rules.asking_to_report else judged.confidence, rules.asking_to_report,
                       "rules")
    if rules.removal:
        return reading(Kind.REMOVAL_REQUEST, 1.0, True, "rules")
    if rules.question:
        return reading(Kind.QUESTION, 1.0, True, "rules", ("?",) if rules.question == ("?",) else ())
    return reading(Kind.OTHER, judged.confidence, True, "judge")


def _rules_alone(rules: RuleFindings) -> Reading:
    """The rules with no judge: today's word patterns, every finding taken as sure."""
    kind = rules.kind()
    signals = rules.signals() + (rules.question if kind == Kind.QUESTION else ())
    return Reading(kind, 1.0, True, "rules", signals, rules.private, rules.locates)
