"""Load the rules data file (``rules.toml``) into compiled, validated rules.

The data file is the policy: a press officer extends it without touching code. This module only
turns words into regular expressions and checks that every entry is well formed.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pressroom.guidance.checklist import Question, Route, parse_questions, parse_routes
from pressroom.guidance.model import SEVERITIES

#: The checks judged in code, and the outcomes each must define in the data file.
CODE_CHECKS: dict[str, frozenset[str]] = {
    "category": frozenset({"undeclared", "other-without-reason", "other-with-reason"}),
    "people": frozenset(
        {"undeclared", "identifiable-without-forms", "faces-without-forms", "named-but-not-identifiable", "forms-declared"}
    ),
    "children": frozenset(
        {
            "undeclared",
            "present-without-permission",
            "child-face",
            "possible-child-face",
            "ages-not-estimated",
            "mentioned-but-declared-absent",
            "school",
            "permission-declared",
        }
    ),
    "credit": frozenset({"missing", "not-force"}),
    "uploader": frozenset({"undeclared", "not-an-address", "declaration-refused"}),
    "title": frozenset({"missing", "file-name"}),
    "image-analysis": frozenset({"unavailable", "partial"}),
}
CODE_CHECK_LISTS: dict[str, frozenset[str]] = {"children": frozenset({"children", "school"}), "credit": frozenset({"force"})}

FIELDS = (
    "title",
    "description",
    "tags",
    "file name",
    "album",
    "location",
    "credit",
    "image text",
    "embedded title",
    "embedded description",
    "embedded tags",
)
_TEXT_KEYS = {
    "id", "guidance", "severity", "message", "check", "words", "replace", "patterns", "ignore",
    "ignore_patterns", "labels", "fields", "skip_fields", "escalate_when", "escalate_to", "escalate_message",
}
_CODE_KEYS = {"id", "guidance", "check", "outcomes", "lists"}


class _Found:
    """Where a ``PhoneNumbers`` finder found a number, shaped like the ``re.Match`` the rules read."""

    def __init__(self, start: int, end: int, text: str) -> None:
        self._span, self._text = (start, end), text

    def span(self, group: int | str = 0) -> tuple[int, int]:
        return self._span

    def start(self, group: int | str = 0) -> int:
        return self._span[0]

    def end(self, group: int | str = 0) -> int:
        return self._span[1]

    def group(self, group: int | str = 0) -> str:
        return self._text[self._span[0] : self._span[1]] if group in (0, "") else ""


class PhoneNumbers:
    """Phone numbers as the ``phonenumbers`` library (Google's libphonenumber data) finds them, in
    every format people write them, where a regular expression guesses. A pattern entry with
    ``parser = "phonenumbers"`` uses it, with ``region`` (default GB) for numbers without a
    country code. Kept: numbers written from their trunk or international prefix (``0``, ``+``,
    ``00``) with a possible length for their country, and for UK numbers at least 9 national digits,
    so years, counts and references ("until 2031", "12 000 people") are never taken for numbers.
    Numbers reserved for drama (07700 900xxx, 01632 960xxx) are possible but not valid, and are
    kept: they stand for real ones in tests."""

    groupindex: dict[str, int] = {}

    def __init__(self, region: str = "GB") -> None:
        import phonenumbers

        self._phonenumbers = phonenumbers
        self.region = region
        self.pattern = f"phonenumbers:{region}"

    def finditer(self, text: str) -> list[_Found]:
        lib = self._phonenumbers
        found = []
        for match in lib.PhoneNumberMatcher(text, self.region, leniency=lib.Leniency.POSSIBLE):
            raw = match.raw_string.lstrip("(").lstrip()
            if not raw.startswith(("0", "+")):
                continue
            number = match.number
            if number.country_code == 44 and len(str(number.national_number)) < 9:
                continue
            if lib.is_possible_number(number):
                found.append(_Found(match.start, match.end, text))
        return found

    def search(self, text: str) -> _Found | None:
        found = self.finditer(text)
        return found[0] if found else None


@dataclass(frozen=True)
class Matcher:
    """One compiled expression; ``label`` names it in evidence, ``suggestion`` is plain English."""

    regex: re.Pattern[str] | PhoneNumbers
    label: str = ""
    suggestion: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a code check's outcome does: a finding (``severity`` and ``message``), a question for
    the approver about what no check judges (``question``), or both."""

    severity: str
    message: str
    question: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    guidance: str
    check: str = "text"
    severity: str = ""
    message: str = ""
    matchers: tuple[Matcher, ...] = ()
    ignore: tuple[re.Pattern[str] | PhoneNumbers, ...] = ()
    labels: frozenset[str] = frozenset()
    fields: frozenset[str] = frozenset(FIELDS)
    escalate_when: tuple[re.Pattern[str], ...] = ()
    escalate_to: str = ""
    escalate_message: str = ""
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    lists: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RuleBook:
    rules: tuple[Rule, ...]
    questions: tuple[Question, ...]
    routes: tuple[Route, ...]
    url_mask: re.Pattern[str]
    caption: dict[str, str]

    def for_check(self, check: str) -> Rule:
        return next(rule for rule in self.rules if rule.check == check)

    @property
    def text_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.check == "text")


def phrase(words: str) -> re.Pattern[str]:
    """A whole-word, any-case expression for ``words``; a space also matches ``-`` or ``_``, a
    trailing ``*`` any ending."""
    parts = [re.escape(part.rstrip("*")) + (r"\w*" if part.endswith("*") else "") for part in words.split()]
    if not parts:
        raise ValueError("empty word")
    return re.compile(r"(?<!\w)" + r"[\s_-]+".join(parts) + r"(?!\w)", re.IGNORECASE)


def _guidance(value: Any, where: str) -> str:
    lines = [value] if isinstance(value, str) else value
    if not lines or not all(isinstance(line, str) and line.strip() for line in lines):
        raise ValueError(f"{where}: guidance must quote the guidance line(s)")
    return " / ".join(lines)


def _compile_patterns(table: dict[str, Any]) -> dict[str, Matcher]:
    compiled: dict[str, Matcher] = {}
    for name, entry in table.items():
        flags = 0 if entry.get("case_sensitive") else re.IGNORECASE
        if "parser" in entry:
            if entry["parser"] != "phonenumbers" or "regex" in entry:
                raise ValueError(f"pattern {name!r}: parser must be \"phonenumbers\", without a regex")
            compiled[name] = Matcher(PhoneNumbers(entry.get("region", "GB")), name, entry.get("suggestion", ""))
            continue
        try:
            compiled[name] = Matcher(re.compile(entry["regex"], flags), name, entry.get("suggestion", ""))
        except (KeyError, re.error) as exc:
            raise ValueError(f"pattern {name!r}: {exc}") from exc
    return compiled


def _text_rule(raw: dict[str, Any], patterns: dict[str, Matcher], word_lists: dict[str, list[str]], where: str) -> Rule:
    unknown = set(raw) - _TEXT_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    severity = raw.get("severity")
    if severity not in SEVERITIES:
        raise ValueError(f"{where}: severity must be one of {SEVERITIES}")
    if raw.get("escalate_when") and raw.get("escalate_to") not in SEVERITIES:
        raise ValueError(f"{where}: escalate_to must be one of {SEVERITIES}")

    def named(names: list[str]) -> list[Matcher]:
        missing = [name for name in names if name not in patterns]
        if missing:
            raise ValueError(f"{where}: no such pattern {missing}")
        return [patterns[name] for name in names]

    escalate_when = raw.get("escalate_when", [])
    if isinstance(escalate_when, str):
        if escalate_when not in word_lists:
            raise ValueError(f"{where}: no such word list {escalate_when!r}")
        escalate_when = word_lists[escalate_when]
    matchers = [Matcher(phrase(word)) for word in raw.get("words", [])]
    matchers += [Matcher(phrase(word), suggestion=suggestion) for word, suggestion in raw.get("replace", {}).items()]
    matchers += named(raw.get("patterns", []))
    fields_ = set(raw.get("fields", FIELDS)) - set(raw.get("skip_fields", []))
    if not fields_ <= set(FIELDS) or not set(raw.get("skip_fields", [])) <= set(FIELDS):
        raise ValueError(f"{where}: fields must be among {FIELDS}")
    if not matchers and not raw.get("labels"):
        raise ValueError(f"{where}: a text rule needs words, replace, patterns or labels")
    return Rule(
        id=raw["id"],
        guidance=_guidance(raw.get("guidance"), where),
        severity=severity,
        message=raw.get("message", ""),
        matchers=tuple(matchers),
        ignore=tuple(phrase(word) for word in raw.get("ignore", [])) + tuple(m.regex for m in named(raw.get("ignore_patterns", []))),
        labels=frozenset(label.casefold() for label in raw.get("labels", [])),
        fields=frozenset(fields_),
        escalate_when=tuple(phrase(word) for word in escalate_when),
        escalate_to=raw.get("escalate_to", ""),
        escalate_message=raw.get("escalate_message", ""),
    )


def _code_rule(raw: dict[str, Any], where: str) -> Rule:
    check = raw["check"]
    if check not in CODE_CHECKS:
        raise ValueError(f"{where}: check must be 'text' or one of {sorted(CODE_CHECKS)}")
    unknown = set(raw) - _CODE_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    outcomes: dict[str, Outcome] = {}
    for name, entry in raw.get("outcomes", {}).items():
        if set(entry) - {"severity", "message", "question"}:
            raise ValueError(f"{where}: outcome {name}: unknown keys "
                             f"{sorted(set(entry) - {'severity', 'message', 'question'})}")
        severity = entry.get("severity", "")
        if not severity and not entry.get("question"):
            raise ValueError(f"{where}: outcome {name}: needs a severity and message, or a question")
        if severity and severity not in SEVERITIES:
            raise ValueError(f"{where}: outcome {name}: severity must be one of {SEVERITIES}")
        if severity and not entry.get("message"):
            raise ValueError(f"{where}: outcome {name}: a severity needs a message")
        outcomes[name] = Outcome(severity, entry.get("message", ""), entry.get("question", ""))
    if set(outcomes) != CODE_CHECKS[check]:
        raise ValueError(f"{where}: check {check!r} needs exactly the outcomes {sorted(CODE_CHECKS[check])}")
    lists = {name: tuple(phrase(word) for word in words) for name, words in raw.get("lists", {}).items()}
    if set(lists) != CODE_CHECK_LISTS.get(check, frozenset()):
        raise ValueError(f"{where}: check {check!r} needs exactly the lists {sorted(CODE_CHECK_LISTS.get(check, ()))}")
    return Rule(id=raw["id"], guidance=_guidance(raw.get("guidance"), where), check=check, outcomes=outcomes, lists=lists)


def parse_rulebook(data: dict[str, Any]) -> RuleBook:
    """Validate and compile the parsed data file; raise ``ValueError`` naming the faulty entry."""
    patterns = _compile_patterns(data.get("patterns", {}))
    word_lists = data.get("word_lists", {})
    rules: list[Rule] = []
    for index, raw in enumerate(data.get("rule", [])):
        where = f"rule {raw.get('id') or index}"
        if not raw.get("id"):
            raise ValueError(f"{where}: every rule needs an id")
        check = raw.get("check", "text")
        rules.append(_text_rule(raw, patterns, word_lists, where) if check == "text" else _code_rule(raw, where))
    ids = [rule.id for rule in rules]
    duplicates = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
    if duplicates:
        raise ValueError(f"duplicate rule ids {duplicates}")
    missing_checks = set(CODE_CHECKS) - {rule.check for rule in rules}
    if missing_checks:
        raise ValueError(f"no rule for the checks {sorted(missing_checks)}")
    if "checklist" in data:
        raise ValueError("[[checklist]] items are [[question]]s now, each answered yes or no")
    questions = parse_questions(data.get("question", []), set(ids), _guidance)
    compiled_lists = {name: tuple(phrase(word) for word in words) for name, words in word_lists.items()}
    routes = parse_routes(data.get("route", []), set(ids), questions, compiled_lists, _guidance)
    caption = data.get("caption", {})
    if not {"link", "crime", "credit"} <= set(caption):
        raise ValueError("[caption] needs link, crime and credit")
    return RuleBook(tuple(rules), questions, routes, re.compile(data["masks"]["url"]), dict(caption))


def load_rulebook(path: Path | None = None) -> RuleBook:
    """The rules in ``path``, or the packaged ``rules.toml`` (cached) when no path is given."""
    if path is None:
        return _packaged()
    with open(path, "rb") as handle:
        return parse_rulebook(tomllib.load(handle))


@lru_cache(maxsize=1)
def _packaged() -> RuleBook:
    with resources.files("pressroom.guidance").joinpath("rules.toml").open("rb") as handle:
        return parse_rulebook(tomllib.load(handle))
