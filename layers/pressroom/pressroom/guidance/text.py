"""Text rules: find the words and patterns of ``rules.toml`` in a photo's text fields."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from pressroom.domain.boxes import Box
from pressroom.guidance.detector import Detections, Label, TextLine
from pressroom.guidance.model import SEVERITIES, Facts, Finding
from pressroom.guidance.rules import Matcher, PhoneNumbers, Rule, RuleBook

_PUNCTUATION = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "‐": "-", "‑": "-"})
#: Cyrillic and Greek letters drawn like Latin ones ("ОFFICIAL" with a Cyrillic О reads as OFFICIAL).
_LOOK_ALIKES = str.maketrans(
    "АВЕЅІЈКМНОРСТХУаеіјорсхуѕԁԛԝΑΒΕΖΗΙΚΜΝΟΡΤΥΧικορυχ",
    "ABESIJKMHOPCTXYaeijopcxysdqwABEZHIKMNOPTYXikopux",
)
_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_EVIDENCE_CHARS = 80
IMAGE_TEXT = "image text"


@dataclass(frozen=True)
class Hit:
    """One match of one rule in one field."""

    rule: Rule
    severity: str
    message: str
    field: str
    start: int
    end: int
    text: str
    label: str = ""


def normalise(text: str) -> str:
    """Unicode-normalised text with typographic quotes and dashes made plain, invisible characters
    (soft hyphens, zero-width spaces) removed and Latin look-alike letters made Latin."""
    text = unicodedata.normalize("NFKC", text)
    visible = "".join(char for char in text if unicodedata.category(char) != "Cf")
    return visible.translate(_PUNCTUATION).translate(_LOOK_ALIKES)


def text_fields(facts: Facts, detections: Detections) -> dict[str, str]:
    """The photo's text, by field name (see ``rules.FIELDS``); embedded caption fields only when
    they differ from what will be published."""
    captions = facts.captions
    fields = {
        "title": facts.title,
        "description": facts.description,
        "tags": "\n".join(facts.tags),
        "file name": re.sub(r"[_+]+", " ", facts.filename),
        "album": facts.album,
        "location": _text(captions.get("location")),
        "credit": facts.declared.get("credit") or _text(captions.get("credit")),
        IMAGE_TEXT: "\n".join(detections.text),
    }
    for key in ("title", "description", "tags"):
        embedded = _text(captions.get(key))
        if embedded and normalise(embedded) != normalise(fields[key]):
            fields[f"embedded {key}"] = embedded
    return {name: normalise(value) for name, value in fields.items() if value and value.strip()}


def _text(value: object) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(str(item) for item in value)
    return "" if value is None else str(value)


def mask(text: str, book: RuleBook) -> str:
    """``text`` with web addresses blanked (same length, so positions still match)."""
    return book.url_mask.sub(lambda match: " " * len(match.group()), text)


def _spans(regex: re.Pattern[str] | PhoneNumbers, text: str) -> list[tuple[int, int]]:
    return [match.span() for match in regex.finditer(text)]


def _matches(matcher: Matcher, text: str) -> list[tuple[int, int]]:
    spans = []
    for match in matcher.regex.finditer(text):
        group = "evidence" if "evidence" in matcher.regex.groupindex and match.group("evidence") else 0
        spans.append(match.span(group))
    return spans


def scan(fields: dict[str, str], labels: tuple[Label, ...], book: RuleBook) -> list[Hit]:
    """Every match of every text rule, weaker matches that overlap a stronger one of the same
    guidance line dropped."""
    masked = {name: mask(text, book) for name, text in fields.items()}
    everything = "\n".join(masked.values())
    hits: list[Hit] = []
    for rule in book.text_rules:
        escalated = any(regex.search(everything) for regex in rule.escalate_when)
        severity = rule.escalate_to if escalated else rule.severity
        template = rule.escalate_message if escalated and rule.escalate_message else rule.message
        for name, text in masked.items():
            if name not in rule.fields:
                continue
            harmless = [span for regex in rule.ignore for span in _spans(regex, text)]
            for matcher in rule.matchers:
                for start, end in _matches(matcher, text):
                    if any(low <= start and end <= high for low, high in harmless):
                        continue
                    found = fields[name][start:end]
                    message = template.format(match=found, suggestion=matcher.suggestion, label=matcher.label or "match")
                    hits.append(Hit(rule, severity, message, name, start, end, found, matcher.label))
        for label in labels:
            if label.name.casefold() in rule.labels:
                found = f"{label.name} ({label.confidence:.0f}%)"
                message = template.format(match=found, suggestion="", label="image analysis label")
                hits.append(Hit(rule, severity, message, "image analysis", 0, 0, found, "Rekognition label"))
    return _drop_outranked(hits)


def _drop_outranked(hits: list[Hit]) -> list[Hit]:
    """Drop a hit when a more severe hit of the same guidance line overlaps it in the same field."""
    by_place: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        by_place.setdefault((hit.rule.guidance, hit.field), []).append(hit)
    stronger: dict[tuple[str, str, str], list[tuple[int, int]]] = {
        (*place, severity): [(o.start, o.end) for o in group if _RANK[o.severity] < _RANK[severity]]
        for place, group in by_place.items()
        for severity in {hit.severity for hit in group}
    }
    return [
        hit
        for hit in hits
        if not any(start < hit.end and hit.start < end for start, end in stronger[(hit.rule.guidance, hit.field, hit.severity)])
    ]


def line_places(lines: tuple[TextLine, ...]) -> list[tuple[int, int, Box]]:
    """Where each line of the ``image text`` field starts and ends in it, and its box."""
    places, offset = [], 0
    for line in lines:
        length = len(normalise(line.text))  # the field is the normalised lines joined by newlines
        places.append((offset, offset + length, line.box))
        offset += length + 1
    return places


def findings(hits: list[Hit], lines: tuple[TextLine, ...] = ()) -> list[Finding]:
    """One finding per rule and matched text, naming every field it was found in; text read in the
    picture says where (``lines`` are the detector's, whose text makes the ``image text`` field)."""
    places = line_places(lines)
    grouped: dict[tuple[str, str, str], list[Hit]] = {}
    for hit in hits:
        grouped.setdefault((hit.rule.id, hit.label, " ".join(hit.text.casefold().split())), []).append(hit)
    result = []
    for group in grouped.values():
        first = group[0]
        fields = ", ".join(dict.fromkeys(hit.field for hit in group))
        shown = " ".join(first.text.split())
        shown = shown if len(shown) <= _EVIDENCE_CHARS else shown[: _EVIDENCE_CHARS - 1] + "…"
        label = f"{first.label} " if first.label else ""
        severity = min((hit.severity for hit in group), key=_RANK.__getitem__)
        where = tuple(dict.fromkeys(
            box for hit in group if hit.field == IMAGE_TEXT for start, end, box in places if start < hit.end and hit.start < end
        ))
        seen = f" ({', '.join(dict.fromkeys(box.where() for box in where))} of the picture)" if where else ""
        result.append(Finding(first.rule.id, severity, first.message, f'{fields}: {label}"{shown}"{seen}', first.rule.guidance, where=where))
    return result
