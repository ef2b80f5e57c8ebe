"""Every text rule of rules.toml: captions that must trigger it, and near-misses that must not."""
from __future__ import annotations

import pytest

from pressroom.domain.boxes import Box
from pressroom.guidance import Facts, evaluate
from pressroom.guidance.detector import Detections, Label, TextLine
from pressroom.guidance.rules import load_rulebook

#: Declarations that satisfy every declared-fact check, so only text findings remain.
COMPLETE = {
    "category": "neighbourhood-initiative",
    "people": "none",
    "children": "no",
    "credit": "Force photographer",
    "copyright": "West Midlands Police",
    "uploader": "press.office@west-midlands.police.uk",
}


def findings(text: str = "", field: str = "description", image_text: tuple[str, ...] = (), labels=(), **facts):
    values = {"title": "Fun day", "description": "", **facts}
    if field == "tags":
        values["tags"] = [text]
    elif field == "file name":
        values["filename"] = text
    elif field == "location":
        values["captions"] = {"location": text}
    else:
        values[field] = text
    report = evaluate(Facts(declared=dict(COMPLETE), **values), Detections(text=image_text, labels=tuple(labels)))
    return report


def rules_found(text: str, **kwargs) -> dict[str, str]:
    return {f.rule: f.severity for f in findings(text, **kwargs).findings}


TRIGGERS: dict[str, list[str]] = {
    "dont-protective-markings": [
        "OFFICIAL-SENSITIVE briefing",
        "Official Sensitive",
        "OFFICIAL - SENSITIVE",
        "Officers' briefing (OFFICIAL SENSITIVE [LOCSEN])",
        "OFFICIAL–SENSITIVE: PERSONAL",
        "Briefing notes SECRET",
        "TOP SECRET",
        "RESTRICTED - POLICY",
        "PROTECT - PERSONAL",
        "CONFIDENTIAL",
        "SECRET UK EYES ONLY",
        "This is protectively marked",
        "Not for publication",
        "For internal use only",
    ],
    "dont-protective-markings-possible": ["OFFICIAL", "Embargoed until 10am Monday", "top secret recipe", "classified"],
    "dont-personal-details": [
        "Call Sam on 0121 626 5000",
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)121 626 5000",
        "(0121) 626 5000",
        "Email jane.doe@example.com for details",
        "jane@west-midlands.police.uk.example.com",
        "jane@not-west-midlands.police.uk.evil.example",
        "The van AB12 CDE was seen",
        "AB12CDE",
        "ab12 cde",
        "Ab12 Cde",
        "AB12  CDE",
        "A123 BCD",
        "his car, ABC 123D, was parked",
        "registration ABC 123",
        "reg 1234 AB",
        "NI number AB 12 34 56 C",
        "DOB 12/03/1990",
    ],
    "dont-personal-details-postcode": ["She lives in B4 6NQ", "WS1 1AA", "SW1A 1AA", "B73 6AB",
                                       "she lives in b4 6nq", "sw1a 1aa", "ws11aa", "She lives at Sw1a 1aa",
                                       "Ws1 1aa", "B4 6Nq", "B1  1BB", "b1  1bb", "M6 2ND"],
    "dont-sentenced-or-missing-people": [
        "He was sentenced to five years",
        "Burglar jailed",
        "Missing person appeal",
        "Missing teenager from Dudley",
        "Have you seen this man?",
        "reported missing on Friday",
        "misper",
        "convicted of fraud",
        "Can you help us trace John Smith?",
        "Officers are appealing for help to find Jane, 15",
    ],
    "dont-sentenced-or-missing-people-possible": ["Dog missing", "prolific offenders", "Outside the Crown Court",
                                                  "Have you seen Jane?", "Missing People charity"],
    "dont-personal-details-named": ["John Smith, 34, of Acacia Avenue, Walsall", "Jane Smith, aged 15, from Dudley"],
    "dont-wanted-people-or-suspects": [
        "Wanted man",
        "Wanted in connection with a robbery",
        "WANTED",
        "The suspect fled on foot",
        "Two suspects",
        "A man has been charged with burglary",
        "Do you recognise this man?",
        "The accused",
        "Police want to speak to this man in connection with a burglary",
        "Officers would like to speak to these men",
        "Detectives need to speak to him in connection with an assault",
        "Do you know this man?",
        "Do you know who this is?",
        "Wanted!",
        "Wanted:",
    ],
    "dont-wanted-people-or-suspects-possible": ["Suspected gas leak", "Three people arrested", "suspect package"],
    "dont-juveniles": ["Juvenile detained", "Young offenders", "Youth court", "A teenager was arrested", "15-year-old arrested"],
    "dont-evidence": ["The exhibits", "Exhibit bags", "Exhibit JS/1", "evidence bag", "It will be used as evidence"],
    "dont-evidence-word": ["Evidence from the raid", "The evidence was bagged"],
    "dont-juveniles-possible": ["A juvenile was seen on the roof", "Juveniles at the shops"],
    "dont-evidence-possible": ["Drugs seized", "Forensic officers", "Stolen bikes recovered", "CCTV still"],
    "dont-graphic-or-sensationalist": [
        "RTC on the A38",
        "road traffic collision",
        "The wreckage",
        "Dead body",
        "pool of blood",
        "Road Traffic Accident",
        "R.T.C. on the A38",
    ],
    "dont-graphic-or-sensationalist-possible": ["Car crash", "Horrific scenes", "fatal", "Shocking"],
    "dont-identify-crime-scenes": [
        "At the crime scene",
        "Cannabis factory at 12 Acacia Avenue",
        "Cannabis factory found on Mill Lane",
        "cannabis farm in Mill Lane",
        "Outside the victim's home",
    ],
    "dont-identify-crime-scenes-address": ["Fun day at 12 Acacia Avenue", "Flat 3", "14a Mill Lane"],
    "dont-breach-copyright-agency": ["Mandatory Credit: Getty Images", "Photo: Reuters", "All rights reserved"],
    "dont-undermine-operations-possible": ["Undercover officers", "Covert cameras", "plain clothes officers", "unmarked cars"],
    "people-reporting-crime": [
        "I want to report a burglary",
        "I would like to report my neighbour",
        "I saw someone steal a bike",
        "I just saw two men breaking into a van",
        "My car was stolen last night",
        "I was assaulted",
        "Someone broke into my shed",
    ],
    "do-avoid-jargon": [
        "RTC",
        "misper",
        "IC1 male",
        "OIC",
        "PNC check",
        "The man alighted",
        "Officers en route",
        "Officers proceeded to the park",
        "A male was arrested",
        "a 23-year-old female from Walsall",
        "in attendance",
    ],
}

NEAR_MISSES: dict[str, list[str]] = {
    "dont-protective-markings": [
        "The Secretary of State visited",
        "The secret of a good fun day",
        "RESTRICTED AREA signs",
        "PROTECT YOUR BIKE campaign",
        "NOT PROTECTIVELY MARKED",
        "Restricted parking",
        "Call in confidence",
        "Top Secret",  # title case: a warning at most
    ],
    "dont-protective-markings-possible": ["The official opening", "OFFICIAL OPENING", "Officially opened", "sensitive to noise"],
    "dont-personal-details": [
        "Call 0345 113 5000",
        "Crimestoppers: 0800 555 111",
        "Contact us at contactus@west-midlands.police.uk",
        "Email walsall.npt@west-midlands.police.uk for details",
        "https://maps.example.com/?q=B46NQ",
        "www.west-midlands.police.uk/b46nq",
        "Taken on a Nikon D70s",
        "GTX 970M graphics card",
        "SKU AB12CDE",
        "Product code AB12 CDE",
        "Samsung SM-G935L",
        "Item: 07300021234228",
        "On the A38 at 10 AM",
        "M6 junction 7",
        "The B4100 was closed",
        "On 12/03/2024",
        "Won 2-1",
        "1,500 people came",
        "Our U15s won 3-0",
        "Covid19 and the new normal",
        "Open 24 hrs",
        "mp3 and mp4 files",
        "B4 6NQ",  # a postcode is a warning unless it is linked to a crime
    ],
    "dont-personal-details-postcode": [
        "https://maps.example.com/?q=B46NQ",
        "www.west-midlands.police.uk/b46nq",
        "The M6 2nd junction",
        "the m6 2nd junction",
        "a1 1st place",
        "Y6 2nd place",
        "U18 5pm kick-off",
        "Tyre safety: 1.6mm tread",
    ],
    "dont-sentenced-or-missing-people": ["Don't miss out", "Missing out on the fun", "the missing piece", "missing out",
                                         "Make sure your bike is locked up", "Our Missing Persons Unit at the open day",
                                         "Missing People charity", "A sponsored walk for a missing children's charity",
                                         "Help us find homes for retired police dogs"],
    "dont-personal-details-named": ["Aston Villa, 3, Chelsea 1", "On Saturday, 12 officers from Walsall"],
    "dont-sentenced-or-missing-people-possible": ["Don't miss out", "Missing out on the fun", "the missing piece"],
    "dont-wanted-people-or-suspects": [
        "We wanted to thank residents",
        "What we've always wanted for our community",
        "I suspect the weather will hold",
        "We suspect that it will rain",
        "Suspect package made safe",
        "Suspected gas leak",
        "Volunteers wanted!",
        "Rounding up the usual suspects at the charity quiz",
        "Wanted: volunteers for the fun day",
        "Do you know this area well?",
        "Officers want to talk to you about bike security",
    ],
    "dont-wanted-people-or-suspects-possible": ["Residents were delighted", "Suspicious minds"],
    "dont-juveniles": ["A 35-year-old was arrested", "Young people at the youth club", "Teenagers planting trees"],
    "dont-evidence": ["Evidence-based policing", "evidence based approach", "Art exhibition", "The pupils exhibit their work",
                      "The evidence is clear: bike marking works", "No evidence of a crime",
                      "Evidence shows that property marking cuts burglary"],
    "dont-juveniles-possible": ["Juvenile swans on the pool", "A juvenile peregrine falcon takes its first flight",
                                "Young people at the youth club"],
    "dont-evidence-word": ["Evidence-based policing", "An evidence-led approach"],
    "dont-evidence-possible": ["A new youth centre", "Officers on patrol"],
    "dont-graphic-or-sensationalist": ["Body-worn cameras", "Give blood", "Blood donation session", "Bodybuilding class"],
    "dont-graphic-or-sensationalist-possible": ["A crash course in first aid", "Graphic design students"],
    "dont-identify-crime-scenes": ["Crime prevention stall", "Cannabis factory in Birmingham", "Cannabis factory found"],
    "dont-identify-crime-scenes-address": [
        "Road Safety Week",
        "150 West Midlands Road Safety volunteers",
        "Over 200 Neighbourhood Watch members",
        "£5 High Street vouchers",
        "The flat was tidy",
    ],
    "dont-breach-copyright-agency": ["Photo by the force photographer", "Credit where it's due"],
    "dont-undermine-operations-possible": ["Cover the costs", "Residents discovered", "Clothes bank"],
    "people-reporting-crime": [
        "Crime cannot be reported here. To report a crime, call 0345 113 5000",
        "Officers report a fall in burglaries",
        "I saw the new bikes",
        "We saw residents planting trees",
        "My car was parked outside",
    ],
    "do-avoid-jargon": [
        "Road crash",
        "Missing person",
        "Male voice choir",
        "Female officers",
        "The male and female toilets",
        "Legal proceedings",
        "Officers went there",
    ],
}

TEXT_RULES = {rule.id for rule in load_rulebook().text_rules}
IMAGE_ONLY = {"dont-identify-crime-scenes-image-text", "dont-damage-reputation", "dont-personal-details-image-text",
              "dont-personal-details-plate-in-picture"}


def test_every_text_rule_has_triggers_and_near_misses():
    assert set(TRIGGERS) | IMAGE_ONLY == TEXT_RULES
    assert set(NEAR_MISSES) == set(TRIGGERS)


@pytest.mark.parametrize(("rule", "text"), [(rule, text) for rule, texts in TRIGGERS.items() for text in texts])
def test_trigger(rule, text):
    found = rules_found(text)
    assert rule in found, f"{text!r} should trigger {rule}, found {found}"


@pytest.mark.parametrize(("rule", "text"), [(rule, text) for rule, texts in NEAR_MISSES.items() for text in texts])
def test_near_miss(rule, text):
    found = rules_found(text)
    assert rule not in found, f"{text!r} should not trigger {rule}"


@pytest.mark.parametrize(
    "text",
    ["The Secretary of State visited", "Don't miss out", "Evidence-based policing", "Suspected gas leak", "Top Secret",
     "https://maps.example.com/?q=B46NQ", "GTX 970M graphics card", "Product code AB12 CDE"],
)
def test_brief_near_misses_never_block(text):
    assert findings(text).verdict == "needs_approval"


@pytest.mark.parametrize("field", ["title", "description", "tags", "file name", "album", "location"])
def test_every_field_is_checked(field):
    assert rules_found("OFFICIAL-SENSITIVE", field=field)["dont-protective-markings"] == "block"


def test_file_name_underscores_are_word_breaks():
    found = rules_found("RESTRICTED_briefing_07700900123.jpg", field="file name")
    assert found["dont-protective-markings"] == "block"
    assert found["dont-personal-details"] == "block"


def test_number_plate_in_a_lower_case_file_name_blocks():
    assert rules_found("seized_car_ab12cde.jpg", field="file name")["dont-personal-details"] == "block"


def test_camera_file_names_are_not_personal_details():
    for name in ("IMG_5195.HEIC", "DSCN0010.jpg", "PXL_20200710_061629144.MP.jpg", "P1000123.JPG"):
        assert rules_found(name, field="file name") == {}, name


def test_embedded_caption_is_checked_when_it_differs():
    report = evaluate(
        Facts(title="Fun day", captions={"description": "Juvenile suspect outside 12 Acacia Avenue"}, declared=dict(COMPLETE)),
        Detections(),
    )
    evidence = {f.rule: f.evidence for f in report.findings}
    assert evidence["dont-juveniles"].startswith("embedded description:")
    assert report.verdict == "blocked"


def test_the_word_evidence_on_its_own_only_warns():
    """Crime words elsewhere in a caption no longer make "evidence" block ("Evidence shows that
    property marking cuts burglary"); the judge of meaning reads whether it is a court exhibit."""
    assert "dont-evidence-word" not in rules_found("The evidence is clear: bike marking works")
    assert rules_found("Evidence from the raid")["dont-evidence-word"] == "warn"
    assert "dont-evidence-word" not in rules_found("Evidence shows that property marking cuts burglary")
    assert rules_found("The knife in an evidence bag")["dont-evidence"] == "block"


def test_juvenile_blocks_only_of_a_person_in_trouble():
    assert rules_found("Juvenile offenders painted the underpass")["dont-juveniles"] == "block"
    assert rules_found("Two juveniles were arrested")["dont-juveniles"] == "block"
    assert "dont-juveniles" not in rules_found("Juvenile swans on the pool at Sandwell Valley")
    assert "dont-juveniles-possible" not in rules_found("A juvenile peregrine falcon on the cathedral")
    assert rules_found("A juvenile was seen on the roof")["dont-juveniles-possible"] == "warn"


def test_wanted_blocks_only_of_people():
    assert "dont-wanted-people-or-suspects" not in rules_found("Most wanted: your views on neighbourhood policing")
    assert "dont-wanted-people-or-suspects" not in rules_found("Volunteers wanted for Speedwatch")
    assert rules_found("Our most wanted list for Walsall")["dont-wanted-people-or-suspects"] == "block"
    assert rules_found("Wanted man Kyle Benton")["dont-wanted-people-or-suspects"] == "block"


def test_postcode_escalates_to_block_with_crime_words_anywhere():
    assert rules_found("Bike marking at the Town Hall, B73 6AB")["dont-personal-details-postcode"] == "warn"
    assert rules_found("Burglary at B73 6AB")["dont-personal-details-postcode"] == "block"


def test_address_escalates_to_block_with_crime_words_anywhere():
    assert rules_found("12 Acacia Avenue")["dont-identify-crime-scenes-address"] == "warn"
    assert rules_found("12 Acacia Avenue", title="Drugs raid")["dont-identify-crime-scenes-address"] == "block"


def test_weaker_finding_of_the_same_line_is_dropped_when_a_stronger_one_covers_it():
    found = findings("Missing person appeal").findings
    assert [f.rule for f in found if f.rule.startswith("dont-sentenced")] == ["dont-sentenced-or-missing-people"]


def test_finding_names_rule_severity_message_evidence_and_guidance():
    (finding,) = [f for f in findings("Call 0121 626 5000", field="title").findings]
    assert finding.rule == "dont-personal-details"
    assert finding.severity == "block"
    assert "UK phone number" in finding.message and "0121 626 5000" in finding.message
    assert finding.evidence == 'title: UK phone number "0121 626 5000"'
    assert finding.guidance == "Contain personal details of other people"


def test_same_words_in_several_fields_are_one_finding():
    report = evaluate(Facts(title="RTC", description="RTC", declared=dict(COMPLETE)), Detections())
    jargon = [f for f in report.findings if f.rule == "do-avoid-jargon"]
    assert len(jargon) == 1 and jargon[0].evidence == 'title, description: "RTC"'
    assert "road crash" in jargon[0].message


def test_typographic_punctuation_is_normalised():
    assert rules_found("OFFICIAL—SENSITIVE")["dont-protective-markings"] == "block"
    assert rules_found("Outside the victim’s home")["dont-identify-crime-scenes"] == "block"


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("Juve\u00adnile detained", "dont-juveniles"),  # a soft hyphen, as Word leaves in pasted text
        ("The sus\u00adpect fled", "dont-wanted-people-or-suspects"),
        ("ju\u200bvenile offenders", "dont-juveniles"),  # a zero-width space, as web pages leave
        ("Mis\u2060per appeal", "dont-sentenced-or-missing-people"),
        ("\u041eFFICIAL-SENSITIVE", "dont-protective-markings"),  # a Cyrillic capital O
        ("\u0405\u0415CR\u0415T", "dont-protective-markings"),  # Cyrillic S and E
        ("Call 07700 900\u200b123", "dont-personal-details"),
    ],
)
def test_invisible_characters_and_look_alike_letters_do_not_hide_words(text, rule):
    assert rules_found(text)[rule] == "block"


def test_look_alike_folding_leaves_other_letters_alone():
    assert rules_found("Caf\u00e9 opening in Moseley, \u041c\u043e\u0441\u043a\u0432\u0430 twinning") == {}


def test_detected_text_runs_through_the_same_rules():
    found = rules_found("", image_text=("AB12 CDE", "OFFICIAL-SENSITIVE", "23", "ACACIA AVENUE", "Call 07700 900123"))
    assert found["dont-personal-details-plate-in-picture"] == "warn"  # the approver may blur it
    assert found["dont-personal-details-image-text"] == "block"  # the phone number: crop it and upload again
    assert "dont-personal-details" not in found
    assert found["dont-protective-markings"] == "block"
    assert found["dont-identify-crime-scenes-image-text"] == "warn"


def test_street_sign_in_a_crime_photo_blocks():
    found = rules_found("Cannabis factory raid", field="title", image_text=("23", "Acacia Avenue"))
    assert found["dont-identify-crime-scenes-image-text"] == "block"


def test_image_text_rule_reads_only_image_text():
    assert "dont-identify-crime-scenes-image-text" not in rules_found("High Street", image_text=("POLICE",))


def test_jargon_and_crime_reports_are_not_looked_for_in_image_text():
    found = rules_found("", image_text=("RTC", "I want to report a crime"))
    assert "do-avoid-jargon" not in found and "people-reporting-crime" not in found


@pytest.mark.parametrize(
    ("label", "rule", "severity"),
    [
        ("Graphic Violence", "dont-graphic-or-sensationalist", "block"),
        ("Blood & Gore", "dont-graphic-or-sensationalist", "block"),
        ("Corpses", "dont-graphic-or-sensationalist", "block"),
        ("Hate Symbols", "dont-damage-reputation", "warn"),
        ("Rude Gestures", "dont-damage-reputation", "warn"),
    ],
)
def test_moderation_labels(label, rule, severity):
    found = findings("", labels=[Label(label, "", 91.5)])
    (finding,) = [f for f in found.findings if f.rule == rule]
    assert finding.severity == severity
    assert finding.evidence == f'image analysis: Rekognition label "{label} (92%)"'


@pytest.mark.parametrize("label", ["Weapons", "Violence", "Drugs & Tobacco", "Alcohol"])
def test_moderation_labels_that_police_photos_expect_do_not_trigger(label):
    # a knife amnesty or a cannabis factory is a legitimate subject
    assert rules_found("", labels=[Label(label, "", 99.0)]) == {}


@pytest.mark.parametrize("text", [
    "Call 0121 496 0712", "ring (0121) 496 0000 after six", "+44 7700 900123", "0044 121 496 0104",
    "07700900416", "Phone Kevin on 01632 960855", "020 7946 0123",
])
def test_phone_numbers_are_found_by_phonenumbers_in_any_format(text):
    assert rules_found(text)["dont-personal-details"] == "block"


@pytest.mark.parametrize("text", [
    "Locked up until 2031", "12 000 people at the parade", "Operation 2024 1234 56", "Call 999 in an emergency",
    "Report it on 0345 113 5000", "Crimestoppers: 0800 555 111",
])
def test_years_counts_and_the_forces_own_numbers_are_not_phone_numbers(text):
    assert "dont-personal-details" not in rules_found(text)


def test_text_read_in_the_picture_says_where_it_is():
    lines = (
        TextLine("UK", Box(0.1, 0.7, 0.12, 0.75), 95.0),
        TextLine("AB12 CDE", Box(0.12, 0.7, 0.3, 0.75), 99.0),
        TextLine("OFFICIAL-SENSITIVE", Box(0.6, 0.05, 0.9, 0.1), 98.0),
        TextLine("23", Box(0.45, 0.4, 0.5, 0.45), 97.0),
        TextLine("ACACIA AVENUE", Box(0.4, 0.5, 0.6, 0.55), 97.0),
    )
    report = evaluate(Facts(declared=dict(COMPLETE), title="Cannabis factory raid"), Detections.seen((), lines))
    by_rule = {finding.rule: finding for finding in report.findings}
    plate = by_rule["dont-personal-details-plate-in-picture"]
    assert plate.where == (lines[1].box,) and plate.severity == "warn"  # the approver may blur it
    assert plate.evidence == 'image text: vehicle registration (current format) "AB12 CDE" (bottom left of the picture)'
    assert by_rule["dont-protective-markings"].where == (lines[2].box,)
    assert "(top right of the picture)" in by_rule["dont-protective-markings"].evidence
    street = [f for f in report.findings if f.rule == "dont-identify-crime-scenes-image-text"]
    assert {box for finding in street for box in finding.where} == {lines[3].box, lines[4].box}
    assert all(finding.severity == "block" for finding in street)  # the caption links it to a crime
    assert report.verdict == "blocked"


def test_the_same_words_in_a_caption_point_nowhere_in_the_picture():
    report = evaluate(Facts(declared=dict(COMPLETE), title="AB12 CDE"), Detections.seen((), ()))
    assert [f.where for f in report.findings if f.rule == "dont-personal-details"] == [()]
