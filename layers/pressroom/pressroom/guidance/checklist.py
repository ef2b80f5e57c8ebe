"""The approver's questions and the routes to a second approver, from ``rules.toml``.

A question is answered Yes or No (or Not applicable where that makes sense) and is phrased so
that its safe answer is obvious. The other answer refuses approval (the guidance line is quoted),
needs a note saying why the photo may still go (where the guidance allows it with care), or is
allowed, and may then route the photo to a second approver. What the uploader declared answers
a question before anyone is asked, unless a finding of the question's rules says otherwise.

Each finding is shown with the first question whose ``rules`` name its rule, so the approver
reads it where it matters and once; the findings no question names are shown on their own.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

YES, NO, NA = "yes", "no", "na"
LABELS = {YES: "Yes", NO: "No", NA: "Not applicable"}
UNSAFE = ("refuse", "note", "allow")
_QUESTION_KEYS = {"id", "ask", "guidance", "safe", "unsafe", "na", "na_refused_when", "declared", "note_from", "rules",
                  "contradicted_by"}
_ROUTE_KEYS = {"id", "group", "who", "why", "guidance", "declared", "answered", "found", "words"}
_GROUP = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
#: the longest note kept (the form's textarea allows as much)
MAX_NOTE = 1000


@dataclass(frozen=True)
class Question:
    id: str
    ask: str
    guidance: str
    safe: str
    unsafe: str
    na: str = ""
    na_refused_when: tuple[str, str] | None = None
    declared: Mapping[str, str] = field(default_factory=dict)
    note_from: str = ""
    rules: tuple[str, ...] = ()
    #: findings ("rule:outcome") that contradict a declared answer, which is then asked again
    contradicted_by: tuple[str, ...] = ()

    @property
    def unsafe_answer(self) -> str:
        return NO if self.safe == YES else YES

    @property
    def choices(self) -> tuple[str, ...]:
        return (YES, NO, NA) if self.na else (YES, NO)

    def label(self, answer: str) -> str:
        return self.na if answer == NA and self.na else LABELS.get(answer, answer)


@dataclass(frozen=True)
class Route:
    """Photos that need a second approval, from someone in ``group`` (SSM ``/<stack>/groups/<group>``)."""

    id: str
    group: str
    who: str
    why: str
    guidance: str
    declared: tuple[str, ...] = ()
    answered: tuple[tuple[str, str], ...] = ()
    found: tuple[str, ...] = ()
    words: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class Item:
    """One question as it is put about one photo."""

    question: Question
    findings: tuple[dict[str, Any], ...] = ()
    declared: str = ""  # the answer the uploader's declarations give, when it stands
    declared_as: str = ""  # the declaration that gives it, e.g. "children=no"
    note: str = ""  # a declared note for a declared unsafe answer

    @property
    def id(self) -> str:
        return self.question.id


@dataclass(frozen=True)
class Problem:
    """Why an approval cannot count yet: ``kind`` is missing, na, refused or note."""

    question: str
    kind: str
    message: str


@dataclass(frozen=True)
class Judged:
    answers: dict[str, str]
    notes: dict[str, str]
    problems: list[Problem]

    @property
    def refused(self) -> list[Problem]:
        return [p for p in self.problems if p.kind == "refused"]


def checklist(questions: Sequence[Question], declared: Mapping[str, str],
              findings: Iterable[dict[str, Any]]) -> tuple[list[Item], list[dict[str, Any]]]:
    """The questions about one photo, each with its findings, and the findings no question names."""
    remaining = list(findings)
    found = {f"{f.get('rule')}:{f.get('outcome', '')}" for f in remaining}
    items = []
    for question in questions:
        mine = [f for f in remaining if f.get("rule") in question.rules]
        remaining = [f for f in remaining if f not in mine]
        answer, declared_as = _declared_answer(question, declared)
        if found & set(question.contradicted_by):
            answer = declared_as = ""
        note = declared.get(question.note_from, "").strip() if answer == question.unsafe_answer else ""
        items.append(Item(question, tuple(mine), answer, declared_as, note))
    return items, remaining


def judge(items: Sequence[Item], answers: Mapping[str, str], notes: Mapping[str, str]) -> Judged:
    """The answers to ``items`` (declared ones stand), and what stops them approving the photo."""
    given: dict[str, str] = {}
    kept: dict[str, str] = {}
    for item in items:
        answer = item.declared or answers.get(item.id, "")
        if answer in item.question.choices:
            given[item.id] = answer
        note = item.note if item.declared else " ".join(notes.get(item.id, "").split())[:MAX_NOTE]
        if note:
            kept[item.id] = note
    problems = []
    for item in items:
        question, answer = item.question, given.get(item.id, "")
        if not answer:
            problems.append(Problem(item.id, "missing", f"Answer this question: {question.ask}"))
        elif answer == NA and question.na_refused_when and given.get(question.na_refused_when[0]) == question.na_refused_when[1]:
            problems.append(Problem(item.id, "na", "Your other answers say this applies: answer Yes or No."))
        elif answer == question.unsafe_answer and question.unsafe == "refuse":
            problems.append(Problem(item.id, "refused", f"You answered {question.label(answer)}, and the guidance "
                                    f"says not to publish: \u201c{question.guidance}\u201d Reject the photo with a "
                                    "reason, or change the caption if that is what is wrong."))
        elif answer == question.unsafe_answer and question.unsafe == "note" and not kept.get(item.id):
            problems.append(Problem(item.id, "note", f"You answered {question.label(answer)}: say in the note why it "
                                    "can still be published."))
    return Judged(given, {k: v for k, v in kept.items() if k in given}, problems)


def routes_for(routes: Sequence[Route], declared: Mapping[str, str], findings: Iterable[dict[str, Any]],
               answers: Iterable[Mapping[str, str]], text: str) -> list[Route]:
    """The routes ``routes`` a photo meets: by its declarations, its findings, any approver's answers
    or the words of its title, description and tags (``text``)."""
    facts = {f"{k}={str(v).strip().lower()}" for k, v in declared.items()}
    found = set()
    for finding in findings:
        found.add(str(finding.get("rule", "")))
        if finding.get("outcome"):
            found.add(f"{finding.get('rule')}:{finding['outcome']}")
    given = {(q, a) for each in answers for q, a in each.items()}
    return [route for route in routes if facts & set(route.declared) or found & set(route.found)
            or given & set(route.answered) or any(word.search(text) for word in route.words)]


# -- loading ---------------------------------------------------------------------------------------
def parse_questions(entries: list[dict[str, Any]], rule_ids: set[str], guidance: Any) -> tuple[Question, ...]:
    """Validate the ``[[question]]`` entries; ``guidance`` joins a quoted line or lines."""
    questions: list[Question] = []
    for index, raw in enumerate(entries):
        where = f"question {raw.get('id') or index}"
        unknown = set(raw) - _QUESTION_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if not raw.get("id") or not raw.get("ask"):
            raise ValueError(f"{where}: every question needs an id and what to ask")
        if raw.get("safe") not in (YES, NO):
            raise ValueError(f"{where}: safe must be yes or no")
        if raw.get("unsafe") not in UNSAFE:
            raise ValueError(f"{where}: unsafe must be one of {UNSAFE}")
        missing = (set(raw.get("rules", [])) | {c.split(":", 1)[0] for c in raw.get("contradicted_by", [])}) - rule_ids
        if missing:
            raise ValueError(f"{where}: no such rules {sorted(missing)}")
        declared = dict(raw.get("declared", {}))
        choices = (YES, NO, NA) if raw.get("na") else (YES, NO)
        if any("=" not in key or value not in choices for key, value in declared.items()):
            raise ValueError(f"{where}: declared maps key=value to one of {choices}")
        questions.append(Question(
            id=raw["id"], ask=raw["ask"], guidance=guidance(raw.get("guidance"), where), safe=raw["safe"],
            unsafe=raw["unsafe"], na=raw.get("na", ""), na_refused_when=_pair(raw.get("na_refused_when"), where),
            declared=declared, note_from=raw.get("note_from", ""), rules=tuple(raw.get("rules", [])),
            contradicted_by=tuple(raw.get("contradicted_by", []))))
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate question ids")
    for question in questions:
        if question.na_refused_when and question.na_refused_when[0] not in ids:
            raise ValueError(f"question {question.id}: na_refused_when names no question")
    return tuple(questions)


def parse_routes(entries: list[dict[str, Any]], rule_ids: set[str], questions: Sequence[Question],
                 word_lists: Mapping[str, tuple[re.Pattern[str], ...]], guidance: Any) -> tuple[Route, ...]:
    """Validate the ``[[route]]`` entries against the rules, questions and word lists they name."""
    answers = {(q.id, a) for q in questions for a in q.choices}
    routes = []
    for index, raw in enumerate(entries):
        where = f"route {raw.get('id') or index}"
        unknown = set(raw) - _ROUTE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if not _GROUP.match(str(raw.get("group", ""))):
            raise ValueError(f"{where}: group must be lower-case letters, digits and hyphens (an SSM name)")
        if not raw.get("id") or not raw.get("who") or not raw.get("why"):
            raise ValueError(f"{where}: a route needs an id, who and why")
        answered = tuple(_pair(pair, where) or ("", "") for pair in raw.get("answered", []))
        if not set(answered) <= answers:
            raise ValueError(f"{where}: answered names no question's answer")
        found = tuple(raw.get("found", []))
        if not {f.split(":", 1)[0] for f in found} <= rule_ids:
            raise ValueError(f"{where}: found names no rule")
        words = raw.get("words", "")
        if words and words not in word_lists:
            raise ValueError(f"{where}: no such word list {words!r}")
        routes.append(Route(id=raw["id"], group=raw["group"], who=raw["who"], why=raw["why"],
                            guidance=guidance(raw.get("guidance"), where), declared=tuple(raw.get("declared", [])),
                            answered=answered, found=found, words=word_lists[words] if words else ()))
    return tuple(routes)


def _pair(value: Any, where: str) -> tuple[str, str] | None:
    if value is None:
        return None
    name, sep, answer = str(value).partition("=")
    if not sep:
        raise ValueError(f"{where}: {value!r} is not question=answer")
    return name, answer


def _declared_answer(question: Question, declared: Mapping[str, str]) -> tuple[str, str]:
    for fact, answer in question.declared.items():
        key, _, value = fact.partition("=")
        if declared.get(key, "").strip().lower() == value:
            return answer, fact
    return "", ""

