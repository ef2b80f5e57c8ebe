"""Checks judged in code: declared facts and image analysis (their outcomes are in ``rules.toml``)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pressroom.domain.addresses import is_address
from pressroom.domain.boxes import Box
from pressroom.guidance.declared import (
    choice,
    minor_age,
    problem,
    references,
)
from pressroom.guidance.detector import Detections, Face
from pressroom.guidance.model import Facts, Finding
from pressroom.guidance.rules import Rule, RuleBook
from pressroom.guidance.text import mask

ADULT_AGE = 18


@dataclass
class Judgement:
    """Findings and questions for the approver, collected check by check."""

    findings: list[Finding] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)

    def add(self, rule: Rule, outcome: str, evidence: str = "", where: tuple[Box, ...] = (), **values: Any) -> None:
        result = rule.outcomes[outcome]
        if result.severity:
            message = result.message.format(**values)
            self.findings.append(Finding(rule.id, result.severity, message, evidence, rule.guidance, outcome, where))
        if result.question:
            self.questions.append(result.question.format(**values))


def judge(facts: Facts, detections: Detections, fields: dict[str, str], book: RuleBook) -> Judgement:
    """Run every code check over the declared facts, the caption fields and image analysis."""
    out = Judgement()
    declared = facts.declared
    _category(book.for_check("category"), declared, out)
    _people(book.for_check("people"), declared, facts.captions, detections, out)
    _children(book.for_check("children"), declared, facts.captions, detections, _masked(fields, book), out)
    _credit(book.for_check("credit"), declared, out)
    _uploader(book.for_check("uploader"), declared, facts.declaration_problems, out)
    _title(book.for_check("title"), facts, out)
    if not detections.available:
        out.add(book.for_check("image-analysis"), "unavailable", "image analysis", note=detections.note)
    elif detections.unchecked:
        what = " or ".join(detections.unchecked)
        out.add(book.for_check("image-analysis"), "partial", f"image analysis does not judge {what}", what=what)
    return out


def _masked(fields: dict[str, str], book: RuleBook) -> dict[str, str]:
    return {name: mask(text, book) for name, text in fields.items() if name != "credit"}


def _category(rule: Rule, declared: dict[str, str], out: Judgement) -> None:
    category = choice(declared, "category")
    reason = declared.get("category-reason", "").strip()
    if not category:
        out.add(rule, "undeclared", _declared_as(declared, "category"), problem=problem(declared, "category"))
    elif category == "other":
        evidence = f'category=other; category-reason="{reason}"' if reason else "category=other; no category-reason"
        out.add(rule, "other-with-reason" if reason else "other-without-reason", evidence, reason=reason)


def _people(rule: Rule, declared: dict[str, str], captions: dict[str, Any], detections: Detections, out: Judgement) -> None:
    people = choice(declared, "people")
    forms = references(declared.get("release-forms"))
    named = [str(person) for person in captions.get("persons") or [] if str(person).strip()]
    if not people:
        out.add(rule, "undeclared", _declared_as(declared, "people"), problem=problem(declared, "people"))
    if people == "identifiable" and not forms:
        detail = f"the image's caption names {', '.join(named)}" if named else "declared people=identifiable"
        out.add(rule, "identifiable-without-forms", f"{detail}; release-forms not declared", detail=detail)
    if detections.faces and not forms and people != "identifiable":
        count = len(detections.faces)
        out.add(rule, "faces-without-forms", f"image analysis: {count} face(s){_placed(detections.faces)}",
                where=tuple(face.box for face in detections.faces if face.box), count=count, people=people or "not declared")
    if named and people in {"none", "not-identifiable"}:
        names = ", ".join(named)
        out.add(rule, "named-but-not-identifiable", f"embedded persons: {names}; people={people}", names=names, people=people)
    if forms:
        out.add(rule, "forms-declared", forms=", ".join(forms))


def _children(
    rule: Rule, declared: dict[str, str], captions: dict[str, Any], detections: Detections, fields: dict[str, str], out: Judgement
) -> None:
    children = choice(declared, "children")
    permission = references(declared.get("parental-permission"))
    mentions = _words(rule, "children", fields)
    school = _words(rule, "school", fields)
    young = [face for face in detections.faces if face.age_low is not None and face.age_low < ADULT_AGE]
    unaged = [face for face in detections.faces if face.age_low is None]
    age = minor_age(captions.get("minor_age"))
    if not children:
        evidence = _declared_as(declared, "children") + (f"; {mentions}" if mentions else "")
        out.add(rule, "undeclared", evidence, problem=problem(declared, "children"))
    if children == "yes" and not permission:
        embedded = age is not None and age < ADULT_AGE
        detail = f"the image's minor-model age is {captions.get('minor_age')}" if embedded else "declared children=yes"
        out.add(rule, "present-without-permission", f"{detail}; parental-permission not declared", detail=detail)
    if not permission:
        for outcome, faces in (
            ("child-face", [face for face in young if face.age_high is not None and face.age_high < ADULT_AGE]),
            ("possible-child-face", [face for face in young if face.age_high is None or face.age_high >= ADULT_AGE]),
        ):
            if faces:
                out.add(rule, outcome, f"image analysis: {_ages(faces)}", where=tuple(f.box for f in faces if f.box),
                        count=len(faces), ages=_ages(faces))
    if unaged and not permission:
        out.add(rule, "ages-not-estimated", f"image analysis: {len(unaged)} face(s), age not estimated",
                where=tuple(f.box for f in unaged if f.box), count=len(unaged))
    if children == "no":
        signs = [sign for sign in (
            mentions and f"the text mentions {mentions}",
            young and f"image analysis estimates {_ages(young)}",
            age is not None and age < ADULT_AGE and f"the image's minor-model age is {captions.get('minor_age')}",
        ) if sign]
        if signs:
            out.add(rule, "mentioned-but-declared-absent", "; ".join(signs), detail="; ".join(signs))
    if school and (children == "yes" or young or mentions):
        out.add(rule, "school", school, detail=school)
    if permission:
        out.add(rule, "permission-declared", permission=", ".join(permission))


def _credit(rule: Rule, declared: dict[str, str], out: Judgement) -> None:
    credit = declared.get("credit", "").strip()
    owner = declared.get("copyright", "").strip()
    missing = [name for name, value in (("credit", credit), ("copyright", owner)) if not value]
    if missing:
        what = " and ".join(missing) + (" are" if len(missing) == 2 else " is")
        out.add(rule, "missing", f"{' and '.join(missing)} not declared", missing=what)
    if owner and not any(regex.search(owner) for regex in rule.lists["force"]):
        out.add(rule, "not-force", f'copyright="{owner}"', copyright=owner)


def _uploader(rule: Rule, declared: dict[str, str], problems: tuple[str, ...], out: Judgement) -> None:
    uploader = declared.get("uploader", "").strip()
    if not uploader:
        out.add(rule, "undeclared", "uploader not declared")
    elif not is_address(uploader):
        out.add(rule, "not-an-address", f'uploader="{uploader}"', uploader=uploader)
    for problem_ in problems:
        out.add(rule, "declaration-refused", problem_, problem=problem_)


def _title(rule: Rule, facts: Facts, out: Judgement) -> None:
    """A photo published untitled, or under its file name (which the scrub stage gives one with none)."""
    title = " ".join(facts.title.split())
    if not title:
        out.add(rule, "missing", "no title")
    elif facts.filename and _plain(title) == _plain(PurePosixPath(facts.filename).stem):
        out.add(rule, "file-name", f'title="{title}"; file name "{facts.filename}"', title=title)


def _plain(text: str) -> str:
    return "".join(char for char in text.lower() if char.isalnum())


def _declared_as(declared: dict[str, str], key: str) -> str:
    return f'{key}="{declared[key]}" (not understood)' if declared.get(key, "").strip() else f"{key} not declared"


def _words(rule: Rule, name: str, fields: dict[str, str]) -> str:
    found = {
        " ".join(match.group().split()).lower(): field_name
        for field_name, text in fields.items()
        for regex in rule.lists[name]
        for match in regex.finditer(text)
    }
    return ", ".join(f'{field_name}: "{word}"' for word, field_name in found.items())


def _placed(faces: tuple[Face, ...]) -> str:
    """Where the faces are and how big, for the evidence ("top left, 12% of the picture's height")."""
    places = [f"{face.box.where()}, {face.box.height:.0%} of the picture's height" for face in faces if face.box]
    return f" ({'; '.join(places)})" if places else ""


def _ages(faces: list[Face]) -> str:
    return ", ".join(f"face aged {face.age_low}-{face.age_high}" for face in faces)
