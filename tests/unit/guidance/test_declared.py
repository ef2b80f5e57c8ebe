"""Declared facts: merging, validation, and every outcome of every declared-fact check."""
from __future__ import annotations

import pytest

from pressroom.domain.boxes import Box
from pressroom.guidance import Facts, declared_facts, evaluate
from pressroom.guidance.declared import (
    CHOICES,
    KEYS,
    invalid,
    minor_age,
    references,
)
from pressroom.guidance.detector import Detections, Face
from pressroom.guidance.rules import CODE_CHECKS, load_rulebook

COMPLETE = {
    "category": "campaign",
    "people": "none",
    "children": "no",
    "credit": "Force photographer",
    "copyright": "West Midlands Police",
    "uploader": "press.office@west-midlands.police.uk",
}


def judged(declared: dict[str, str], detections: Detections | None = Detections(), **facts):
    return evaluate(Facts(declared=declared, **{"title": "Fun day", **facts}), detections)


def outcome(report, rule: str) -> list[tuple[str, str]]:
    return [(f.severity, f.evidence) for f in report.findings if f.rule == rule]


def with_(**changes) -> dict[str, str]:
    merged = {**COMPLETE, **{key.replace("_", "-"): value for key, value in changes.items()}}
    return {key: value for key, value in merged.items() if value is not None}


def test_complete_declarations_and_clean_text_leave_only_the_checklist():
    report = judged(COMPLETE, title="Neighbourhood fun day in the park")
    assert report.verdict == "needs_approval"
    assert report.findings == []
    assert "Does this photo serve a policing purpose?" in report.checklist
    declared = " ".join(report.checklist)
    for answered in ("kinds of photo", "release form", "free of children", "parental permission", "school"):
        assert answered not in declared  # the declarations answer them


# --- every outcome of every code check, by name -------------------------------------------------
OUTCOMES = {
    ("category", "undeclared"): (with_(category=None), {}, "what-photos-will-be-added", "warn"),
    ("category", "other-without-reason"): (with_(category="other"), {}, "what-photos-will-be-added", "block"),
    ("category", "other-with-reason"): (
        with_(category="other", category_reason="Chief Constable's retirement"), {}, "what-photos-will-be-added", "warn"),
    ("people", "undeclared"): (with_(people=None), {}, "do-release-forms", "warn"),
    ("people", "identifiable-without-forms"): (with_(people="identifiable"), {}, "do-release-forms", "block"),
    ("people", "faces-without-forms"): (
        COMPLETE, {"detections": Detections(faces=(Face(30, 40, 99.0),))}, "do-release-forms", "warn"),
    ("people", "named-but-not-identifiable"): (
        with_(people="not-identifiable"), {"captions": {"persons": ["Jane Doe"]}}, "do-release-forms", "warn"),
    ("children", "undeclared"): (with_(children=None), {}, "dont-children-without-permission", "warn"),
    ("children", "present-without-permission"): (with_(children="yes"), {}, "dont-children-without-permission", "block"),
    ("children", "child-face"): (
        with_(children=None), {"detections": Detections(faces=(Face(6, 10, 99.0),))}, "dont-children-without-permission", "block"),
    ("children", "possible-child-face"): (
        with_(children=None), {"detections": Detections(faces=(Face(15, 21, 99.0),))}, "dont-children-without-permission", "warn"),
    ("children", "ages-not-estimated"): (
        COMPLETE, {"detections": Detections(faces=(Face(None, None, 90.0),))}, "dont-children-without-permission", "info"),
    ("children", "mentioned-but-declared-absent"): (
        COMPLETE, {"description": "Children planting trees"}, "dont-children-without-permission", "warn"),
    ("children", "school"): (
        with_(children="yes", parental_permission="PP-1"), {"description": "Pupils from the primary school"},
        "dont-children-without-permission", "warn"),
    ("credit", "missing"): (with_(credit=None, copyright=None), {}, "dont-breach-copyright", "warn"),
    ("credit", "not-force"): (with_(copyright="Getty Images"), {}, "dont-breach-copyright", "warn"),
    ("uploader", "undeclared"): (with_(uploader=None), {}, "management-and-ownership", "warn"),
    ("uploader", "not-an-address"): (with_(uploader="not-an-email"), {}, "management-and-ownership", "warn"),
    ("uploader", "declaration-refused"): (
        COMPLETE, {"declaration_problems": ('unknown declaration "colour"',)}, "management-and-ownership", "warn"),
    ("image-analysis", "unavailable"): (COMPLETE, {"detections": None}, "image-not-analysed", "info"),
    ("people", "forms-declared"): (with_(people="identifiable", release_forms="RF-1"), {}, "do-release-forms", "info"),
    ("children", "permission-declared"): (
        with_(children="yes", parental_permission="PP-1"), {}, "dont-children-without-permission", "info"),
    ("title", "missing"): (COMPLETE, {"title": ""}, "title-for-the-public", "warn"),
    ("title", "file-name"): (COMPLETE, {"title": "Img 2041", "filename": "IMG_2041.JPG"}, "title-for-the-public", "warn"),
}
QUESTION_ONLY = {("people", "forms-declared"), ("children", "permission-declared"), ("image-analysis", "partial")}


def test_every_outcome_is_tested():
    assert set(OUTCOMES) == {(check, name) for check, names in CODE_CHECKS.items() for name in names}


@pytest.mark.parametrize("key", list(OUTCOMES), ids=lambda key: "/".join(key))
def test_outcome(key):
    declared, facts, rule, severity = OUTCOMES[key]
    facts = dict(facts)
    detections = facts.pop("detections", Detections())
    report = judged(declared, detections, **facts)
    assert severity in [s for s, _ in outcome(report, rule)], report.findings
    assert report.verdict == ("blocked" if severity == "block" else "needs_approval")
    book = load_rulebook()
    expected = book.for_check(key[0]).outcomes[key[1]].message.split("{")[0]
    assert any(f.message.startswith(expected) for f in report.findings if f.rule == rule)


def test_undeclared_facts_are_asked_not_presumed():
    report = judged({})
    assert report.verdict == "needs_approval"
    assert {f.rule for f in report.findings if f.severity == "warn"} == {
        "what-photos-will-be-added", "do-release-forms", "dont-children-without-permission",
        "dont-breach-copyright", "management-and-ownership",
    }
    questions = " ".join(report.checklist)
    for asked in ("kinds of photo the guidance says will be added", "Has everyone who can be identified",
                  "free of children", "parental permission", "Does the force own the copyright"):
        assert asked in questions


def test_a_value_outside_the_choices_is_asked_about_and_named():
    report = judged(with_(people="maybe"))
    (finding,) = [f for f in report.findings if f.rule == "do-release-forms"]
    assert finding.severity == "warn"
    assert '"maybe"' in finding.message and finding.evidence == 'people="maybe" (not understood)'


@pytest.mark.parametrize("category", ["neighbourhood-initiative", "force-photographer-pr", "campaign", "Campaign"])
def test_approved_categories_need_nothing_more(category):
    assert outcome(judged(with_(category=category)), "what-photos-will-be-added") == []


def test_other_category_reason_is_shown_to_the_approver():
    report = judged(with_(category="other", category_reason="Retirement of the Chief Constable"))
    (finding,) = [f for f in report.findings if f.rule == "what-photos-will-be-added"]
    assert "Retirement of the Chief Constable" in finding.message


def test_identifiable_people_with_release_forms_ask_the_approver_to_check_them():
    report = judged(with_(people="identifiable", release_forms="RF-101, RF-102"))
    assert outcome(report, "do-release-forms") == [("info", "")]
    assert any("RF-101, RF-102" in f.message for f in report.findings)
    assert any("Has everyone who can be identified" in q for q in report.checklist)


@pytest.mark.parametrize("forms", ["no", "none", "None", " ", "N/A", "pending", "TBC", "to follow", "not signed",
                                   "none yet", "awaiting forms", "-", "no, none", "Not yet", "requested from the school"])
def test_release_forms_no_means_none(forms):
    assert outcome(judged(with_(people="identifiable", release_forms=forms)), "do-release-forms")[0][0] == "block"


@pytest.mark.parametrize("permission", ["no", "pending", "not yet", "TBC", "to follow", "awaiting"])
def test_parental_permission_not_yet_held_blocks(permission):
    report = judged(with_(children="yes", parental_permission=permission))
    assert outcome(report, "dont-children-without-permission")[0][0] == "block"


def test_faces_with_release_forms_are_not_flagged():
    report = judged(with_(release_forms="RF-1"), Detections(faces=(Face(30, 40, 99.0),)))
    assert [severity for severity, _ in outcome(report, "do-release-forms")] == ["info"]


def test_children_with_parental_permission_ask_the_approver_to_check_it():
    report = judged(with_(children="yes", parental_permission="yes"), Detections(faces=(Face(6, 10, 99.0),)))
    assert [severity for severity, _ in outcome(report, "dont-children-without-permission")] == ["info"]
    assert any("Parental permission declared: yes" in f.message for f in report.findings)
    assert any("parental permission for every child" in q for q in report.checklist)


def test_children_declared_absent_but_seen_by_image_analysis():
    report = judged(COMPLETE, Detections(faces=(Face(8, 12, 99.0),)))
    severities = {severity for severity, _ in outcome(report, "dont-children-without-permission")}
    assert severities == {"block", "warn"}  # the child's face blocks; the contradiction is flagged


@pytest.mark.parametrize("text", ["Schoolboys from Aston", "A schoolgirl won the poster competition",
                                  "Volunteer Police Cadets at the parade", "Youth club members painting a mural",
                                  "Sixth formers visit the station", "Infants at the nursery", "Little ones at the fun day"])
def test_words_for_children_contradict_children_no(text):
    found = outcome(judged(COMPLETE, description=text), "dont-children-without-permission")
    assert any(severity == "warn" and evidence.startswith("the text mentions") for severity, evidence in found)


def test_adult_faces_are_not_children():
    assert outcome(judged(COMPLETE, Detections(faces=(Face(25, 35, 99.0),))), "dont-children-without-permission") == []


def test_school_children_warn_about_safeguarding_boards_only_when_children_are_present():
    text = {"description": "Officers visited the school"}
    assert outcome(judged(COMPLETE, **text), "dont-children-without-permission") == []
    report = judged(with_(children="yes", parental_permission="PP-7"), **text)
    assert outcome(report, "dont-children-without-permission") == [("warn", 'description: "school"'), ("info", "")]
    assert any("has the school agreed" in q for q in report.checklist)


def test_force_copyright_is_not_questioned():
    for owner in ("West Midlands Police", "© WMP 2024", "west midlands police"):
        assert outcome(judged(with_(copyright=owner)), "dont-breach-copyright") == []


def test_image_analysis_gap_is_an_info_finding_not_a_checklist_item():
    report = judged(COMPLETE, Detections(available=False, note="No automatic image analysis offline: check it"))
    assert outcome(report, "image-not-analysed") == [("info", "image analysis")]
    assert not any("No automatic image analysis" in q for q in report.checklist)


# --- declared_facts ------------------------------------------------------------------------------
def test_s3_metadata_keys_are_normalised_and_unknown_keys_dropped():
    metadata = {"X-Amz-Meta-Category": "campaign", "release_forms": "RF-1", "people": " identifiable ", "colour": "blue", "credit": ""}
    assert declared_facts(metadata, {}) == {"category": "campaign", "release-forms": "RF-1", "people": "identifiable"}


def test_embedded_fields_fill_what_was_not_declared():
    captions = {
        "release_ids": ["MR-1", "MR-2"], "minor_age": "Age 14 or Under", "persons": ["Jane Doe"],
        "creator": ["Stephen Dunn"], "copyright": "Getty Images",
    }
    assert declared_facts({}, captions) == {
        "release-forms": "MR-1, MR-2", "children": "yes", "people": "identifiable",
        "credit": "Stephen Dunn", "copyright": "Getty Images",
    }


def test_explicit_declarations_win_over_embedded_fields():
    captions = {"release_ids": ["MR-1"], "minor_age": "Age 25 or Over", "credit": "Getty Images", "persons": ["A"]}
    declared = declared_facts({"release-forms": "RF-9", "children": "yes", "credit": "PC Smith", "people": "none"}, captions)
    assert declared == {"release-forms": "RF-9", "children": "yes", "credit": "PC Smith", "people": "none"}


def test_unlimited_model_release_status_counts_as_forms_held():
    declared = declared_facts({}, {"release_status": "Unlimited Model Releases"})
    assert declared["release-forms"].startswith("Unlimited Model Releases")
    report = judged(with_(people="identifiable", release_forms=declared["release-forms"]))
    assert [severity for severity, _ in outcome(report, "do-release-forms")] == ["info"]
    assert any("Unlimited Model Releases" in f.message and "no reference given)" in f.message for f in report.findings)
    assert "release-forms" not in declared_facts({}, {"release_status": "None"})
    assert "release-forms" not in declared_facts({}, {"release_status": "Limited or Incomplete Model Releases"})


def test_named_people_without_release_forms_block():
    captions = {"persons": ["Jane Doe"]}
    report = judged(declared_facts({}, captions) | with_(people=None), captions=captions)
    (finding,) = [f for f in report.findings if f.rule == "do-release-forms"]
    assert finding.severity == "block" and "Jane Doe" in finding.message


def test_embedded_minor_age_without_permission_blocks():
    captions = {"minor_age": "Age 14 or Under"}
    report = judged(declared_facts({}, captions) | with_(children=None), captions=captions)
    (finding,) = [f for f in report.findings if f.rule == "dont-children-without-permission"]
    assert finding.severity == "block" and "Age 14 or Under" in finding.message


@pytest.mark.parametrize(
    ("value", "age"), [("Age 14 or Under", 14), ("Age 25 or Over", 25), ("AG-U14", 14), ("Age 16", 16), ("Age Unknown", None), (None, None)]
)
def test_minor_age(value, age):
    assert minor_age(value) == age


def test_references():
    assert references("RF-1, RF-2,") == ["RF-1", "RF-2"]
    assert references("none") == [] and references("") == [] and references(None) == []
    assert references("RF-1, pending") == ["RF-1"]
    assert references("No. 45, No 46") == ["No. 45", "No 46"]  # numbered forms are references
    assert references("yes") == ["yes"] and references("Nov-2024-3") == ["Nov-2024-3"]


def test_invalid_declarations_are_explained():
    assert invalid(dict(COMPLETE)) == []
    reasons = invalid({"childern": "no", "people": "lots", "uploader": "not-an-email"})
    assert reasons == [
        f'unknown declaration "childern" (the keys are {", ".join(KEYS)})',
        "people=lots is not accepted (people is none, identifiable or not-identifiable)",
        "uploader 'not-an-email' is not a plain email address (such as name@west-midlands.police.uk)",
    ]
    assert invalid({"children": "maybe", "category": "blue"}) == [
        "category=blue is not accepted (category is neighbourhood-initiative, force-photographer-pr, campaign or other)",
        "children=maybe is not accepted (children is yes or no)"]


def test_every_documented_key_is_accepted():
    valid = {"people": "none", "children": "yes", "publish-at": "2027-01-05T09:00", "licence": "cc-by-4.0",
             "comments": "nobody", "safety": "safe", "content-type": "other",
             "uploader": "pc.jones@west-midlands.police.uk"}
    assert invalid({key: valid.get(key, "campaign") for key in KEYS}) == []
    assert invalid({"publish-at": "soon", "licence": "mine"}) == [
        "licence was declared as \"mine\", which is not one of " + ", ".join(CHOICES["licence"]),
        "publish-at 'soon' is not a time like 2027-01-05T09:00 (UK time)"]



def test_a_detector_that_does_not_estimate_ages_asks_the_approver():
    unaged = Detections(faces=(Face(None, None, 90.0, Box(0.1, 0.1, 0.2, 0.3)),), unchecked=("ages", "graphic content"))
    report = judged(COMPLETE, unaged)
    finding = next(f for f in report.findings if f.rule == "dont-children-without-permission")
    assert (finding.severity, finding.where) == ("info", (Box(0.1, 0.1, 0.2, 0.3),))
    assert any("under 18" in question for question in report.checklist)
    assert any("does not judge ages or graphic content" in question for question in report.checklist)
    assert not [f for f in report.findings if f.rule == "image-not-analysed"]
    with_permission = judged(with_(children="yes", parental_permission="PP-1"), unaged)
    assert not [f for f in with_permission.findings if f.rule == "dont-children-without-permission"]


def test_faces_found_say_where_they_are():
    faces = (Face(None, None, 90.0, Box(0.05, 0.1, 0.15, 0.25)), Face(None, None, 80.0, Box(0.45, 0.4, 0.55, 0.6)))
    finding = next(f for f in judged(COMPLETE, Detections(faces=faces)).findings if f.rule == "do-release-forms")
    assert finding.evidence == "image analysis: 2 face(s) (top left, 15% of the picture's height; centre, 20% of the picture's height)"
    assert finding.where == (faces[0].box, faces[1].box)
