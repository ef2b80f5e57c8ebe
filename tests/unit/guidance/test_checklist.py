"""The approver's questions: every outcome of every answer, declared answers, and the routes to a
second approver, judged over the packaged rules."""
from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from pressroom.guidance.checklist import NA, NO, YES, checklist, judge, parse_questions, routes_for
from pressroom.guidance.rules import load_rulebook, parse_rulebook

BOOK = load_rulebook()
QUESTIONS = {q.id: q for q in BOOK.questions}
DECLARED = {"category": "campaign", "people": "none", "children": "no", "credit": "PC Smith",
            "copyright": "West Midlands Police", "uploader": "pc.smith@west-midlands.police.uk"}


def _items(declared=None, findings=()):
    return checklist(BOOK.questions, DECLARED if declared is None else declared, list(findings))


def _safe(items, **changes):
    """The safe answer to every question asked, with ``changes`` (question id with _ for -)."""
    answers = {item.id: item.question.safe for item in items if not item.declared}
    answers.update({key.replace("_", "-"): value for key, value in changes.items()})
    return answers


def _data():
    return tomllib.loads(resources.files("pressroom.guidance").joinpath("rules.toml").read_text(encoding="utf-8"))


# -- the questions themselves ---------------------------------------------------------------------
def test_every_question_has_an_obvious_safe_answer_and_no_system_notes():
    for question in BOOK.questions:
        assert question.ask.endswith("?") and question.safe in (YES, NO), question.id
        assert question.unsafe in ("refuse", "note", "allow"), question.id
        assert "image analysis" not in question.ask.lower() and "{" not in question.ask, question.id
    assert {q.safe for q in BOOK.questions} == {YES}  # one convention: Yes is always the safe answer


def test_no_question_is_open():
    openers = ("which ", "who ", "what ", "how ", "where ", "when ")
    assert not [q.ask for q in BOOK.questions if q.ask.lower().startswith(openers)]


def test_not_applicable_is_offered_only_where_it_makes_sense():
    assert {q.id for q in BOOK.questions if q.na} == {"release-forms", "parental-permission", "school", "scene-identity"}


# -- declared answers ------------------------------------------------------------------------------
def test_declared_facts_answer_their_questions_and_are_not_asked():
    items, _ = _items()
    declared = {item.id: (item.declared, item.declared_as) for item in items if item.declared}
    assert declared == {
        "kind": (YES, "category=campaign"), "release-forms": (NA, "people=none"), "children": (YES, "children=no"),
        "parental-permission": (NA, "children=no"), "school": (NA, "children=no")}


def test_nothing_is_answered_when_nothing_was_declared():
    items, _ = _items({})
    assert not [item for item in items if item.declared]


def test_a_finding_that_contradicts_a_declaration_has_the_question_asked_again():
    finding = {"rule": "dont-children-without-permission", "severity": "warn", "outcome": "mentioned-but-declared-absent",
               "message": "The uploader declared children=no, but the text mentions pupils."}
    items, others = _items(findings=[finding])
    children = next(item for item in items if item.id == "children")
    assert children.declared == "" and children.findings == (finding,)
    assert others == []


def test_a_finding_that_does_not_contradict_a_declaration_leaves_it_answered():
    declared = {**DECLARED, "children": "yes", "parental-permission": "PP-1"}
    school = {"rule": "dont-children-without-permission", "severity": "warn", "outcome": "school", "message": "school"}
    items, _ = _items(declared, findings=[school])
    children = next(item for item in items if item.id == "children")
    assert (children.declared, children.findings) == (NO, (school,))  # answered, the finding shown with it


def test_each_finding_is_shown_once_with_its_question_or_else_on_its_own():
    jargon = {"rule": "do-avoid-jargon", "severity": "warn", "message": "RTC is jargon"}
    lonely = {"rule": "management-and-ownership", "severity": "warn", "message": "Nobody named"}
    items, others = _items(findings=[jargon, lonely])
    assert [item.id for item in items if jargon in item.findings] == ["media"]
    assert others == [lonely]


def test_declared_other_category_answers_no_with_its_reason_as_the_note():
    declared = {**DECLARED, "category": "other", "category-reason": "The Chief Constable's retirement"}
    items, _ = _items(declared)
    kind = next(item for item in items if item.id == "kind")
    assert (kind.declared, kind.note) == (NO, "The Chief Constable's retirement")
    assert judge(items, _safe(items), {}).problems == []


# -- every outcome of an answer ----------------------------------------------------------------------
def test_safe_answers_to_every_question_approve():
    items, _ = _items({})
    judged = judge(items, _safe(items), {})
    assert judged.problems == [] and len(judged.answers) == len(BOOK.questions)


@pytest.mark.parametrize("question", [q.id for q in BOOK.questions if q.unsafe == "refuse"])
def test_an_answer_that_breaches_the_guidance_refuses_quoting_it(question):
    items, _ = _items({})
    judged = judge(items, _safe(items, **{question: QUESTIONS[question].unsafe_answer}), {})
    (problem,) = judged.problems
    assert (problem.question, problem.kind) == (question, "refused")
    assert QUESTIONS[question].guidance in problem.message


@pytest.mark.parametrize("question", [q.id for q in BOOK.questions if q.unsafe == "note"])
def test_an_answer_the_guidance_allows_with_care_needs_a_note(question):
    items, _ = _items({})
    answers = _safe(items, **{question: NO})
    assert [(p.question, p.kind) for p in judge(items, answers, {}).problems] == [(question, "note")]
    assert [(p.question, p.kind) for p in judge(items, answers, {question: "   "}).problems] == [(question, "note")]
    judged = judge(items, answers, {question: "  Agreed with  the press office "})
    assert judged.problems == [] and judged.notes == {question: "Agreed with the press office"}


@pytest.mark.parametrize("question", [q.id for q in BOOK.questions if q.unsafe == "allow"])
def test_an_answer_that_only_routes_is_allowed(question):
    items, _ = _items({})
    answers = _safe(items, **{question: NO})
    if question == "children":
        answers["parental-permission"] = answers["school"] = YES
    if question == "crime-scene":
        answers["scene-identity"] = YES
    assert judge(items, answers, {}).problems == []


def test_an_unanswered_question_is_missing_and_a_made_up_answer_is_no_answer():
    items, _ = _items({})
    answers = _safe(items)
    del answers["evidence"]
    answers["libel"] = "maybe"
    answers["purpose"] = NA  # not offered for this question
    problems = judge(items, answers, {}).problems
    assert [(p.question, p.kind) for p in problems] == [("purpose", "missing"), ("evidence", "missing"),
                                                        ("libel", "missing")]
    assert problems[1].message == f"Answer this question: {QUESTIONS['evidence'].ask}"


def test_not_applicable_is_refused_when_the_other_answers_say_it_applies():
    items, _ = _items({})
    answers = _safe(items, children=NO, parental_permission=NA, school=NA, crime_scene=NO, scene_identity=NA)
    problems = judge(items, answers, {}).problems
    assert [(p.question, p.kind) for p in problems] == [("parental-permission", "na"), ("scene-identity", "na")]
    # school children are asked about, but "none of them is a school child" is a fair answer
    assert judge(items, _safe(items, children=NO, school=NA), {}).problems == []


def test_a_declared_answer_stands_whatever_is_posted():
    items, _ = _items()
    judged = judge(items, {**_safe(items), "children": NO, "kind": NO}, {})
    assert judged.answers["children"] == YES and judged.answers["kind"] == YES and judged.problems == []


# -- routes to a second approver --------------------------------------------------------------------
def _routes(declared=None, findings=(), answers=(), text=""):
    return [route.id for route in routes_for(BOOK.routes, DECLARED if declared is None else declared,
                                             list(findings), list(answers), text)]


def test_a_safe_photo_needs_no_second_approver():
    items, _ = _items()
    assert _routes(answers=[judge(items, _safe(items), {}).answers], text="Park clean-up") == []


@pytest.mark.parametrize(("route", "how"), [
    ("children", {"declared": {**DECLARED, "children": "yes", "parental-permission": "PP-1"}}),
    ("children", {"answers": [{"children": NO}]}),
    ("children", {"findings": [{"rule": "dont-children-without-permission", "outcome": "possible-child-face"}]}),
    ("children", {"findings": [{"rule": "dont-children-without-permission", "outcome": "school"}]}),
    ("crime-scene", {"answers": [{"crime-scene": NO}]}),
    ("crime-scene", {"text": "Officers raided a cannabis factory"}),
    ("crime-scene", {"findings": [{"rule": "dont-identify-crime-scenes-address"}]}),
    ("other-category", {"declared": {**DECLARED, "category": "other", "category-reason": "Retirement"}}),
    ("other-category", {"answers": [{"kind": NO}]}),
])
def test_routes_to_a_safeguarding_lead(route, how):
    assert _routes(**how) == [route]
    assert next(r for r in BOOK.routes if r.id == route).group == "safeguarding-leads"


def test_the_childrens_undeclared_warning_alone_routes_nowhere():
    """Not knowing is asked of the approver; their answer routes it."""
    assert _routes({}, findings=[{"rule": "dont-children-without-permission", "outcome": "undeclared"}]) == []


def test_any_approvers_answers_count():
    assert _routes(answers=[{"children": YES}, {"children": NO}]) == ["children"]


def test_malformed_questions_and_routes_are_refused():
    data = _data()
    for broken, message in (
        ({**data, "question": [{**data["question"][0], "safe": "maybe"}]}, "safe must be yes or no"),
        ({**data, "question": [{**data["question"][0], "unsafe": "ignore"}]}, "unsafe must be one of"),
        ({**data, "question": [{**data["question"][0], "rules": ["no-such-rule"]}]}, "no such rules"),
        ({**data, "question": [{**data["question"][0], "declared": {"children=no": "perhaps"}}]}, "declared maps"),
        ({**data, "route": [{**data["route"][0], "group": "Safeguarding Leads"}]}, "group must be"),
        ({**data, "route": [{**data["route"][0], "answered": ["children=maybe"]}]}, "answered names no"),
        ({**data, "route": [{**data["route"][1], "words": "nope"}]}, "no such word list"),
        ({**data, "checklist": [{"guidance": "x", "question": "Tick?"}]}, "[[question]]s now"),
    ):
        with pytest.raises(ValueError, match=message.replace("[", r"\[")):
            parse_rulebook(broken)


def test_questions_parse_alone():
    parsed = parse_questions(_data()["question"], {r.id for r in BOOK.rules}, lambda value, where: str(value))
    assert [q.id for q in parsed] == [q.id for q in BOOK.questions]
