"""The rules data file: it loads, quotes the guidance word for word, and refuses malformed entries."""
from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from pressroom.guidance import Facts, evaluate, published_caption
from pressroom.guidance.detector import Detections
from pressroom.guidance.rules import load_rulebook, parse_rulebook

#: the guidance beside the checkout (``<parent>/shared/guidance``), from the main checkout or a worktree
GUIDANCE = next(
    (found for parent in Path(__file__).resolve().parents[2:]
     if (found := parent / "shared" / "guidance" / "flickr-guidance-2011.txt").is_file()),
    Path(__file__).resolve().parents[3].parent / "shared" / "guidance" / "flickr-guidance-2011.txt",
)


def _flat(text: str) -> str:
    return " ".join(text.replace("’", "'").split())


@pytest.fixture(scope="module")
def guidance() -> str:
    if not GUIDANCE.is_file():
        pytest.skip(f"the guidance is not at {GUIDANCE}")
    return _flat(GUIDANCE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def guidance_text() -> str:
    if not GUIDANCE.is_file():
        pytest.skip(f"the guidance is not at {GUIDANCE}")
    return GUIDANCE.read_text(encoding="utf-8").replace("’", "'")


@pytest.fixture(scope="module")
def data() -> dict:
    return tomllib.loads(resources.files("pressroom.guidance").joinpath("rules.toml").read_text(encoding="utf-8"))


def test_packaged_rules_load():
    book = load_rulebook()
    assert len(book.rules) >= 20 and book.questions and book.routes
    assert all(rule.guidance for rule in book.rules)


def test_every_rule_question_and_route_quotes_the_guidance_word_for_word(guidance, data):
    quoted = [entry["guidance"] for kind in ("rule", "question", "route") for entry in data[kind]]
    for quote in quoted:
        for line in [quote] if isinstance(quote, str) else quote:
            assert _flat(line) in guidance, line


def test_every_dont_line_is_asked_of_the_approver(guidance_text, data):
    """Words in a caption are not the photo: every "Don't" line is an approver's question too (the
    children line is asked in parts, and judged whole by its declared-fact check)."""
    donts = guidance_text.split("Don't:", 1)[1].split("Updated Guidance", 1)[0]
    lines = [_flat(line.strip()[2:]) for line in donts.splitlines() if line.strip().startswith("- ")]
    asked = [_flat(line) for item in data["question"]
             for line in ([item["guidance"]] if isinstance(item["guidance"], str) else item["guidance"])]
    asked += [_flat(rule["guidance"]) for rule in data["rule"] if rule.get("check") == "children"]
    assert len(lines) == 14
    assert [line for line in lines if line not in asked] == []


def test_rule_ids_name_the_kind_of_guidance_line(data):
    for rule in data["rule"]:
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", rule["id"]), rule["id"]


def test_load_from_a_path(tmp_path, data):
    path = tmp_path / "rules.toml"
    path.write_bytes(resources.files("pressroom.guidance").joinpath("rules.toml").read_bytes())
    assert [r.id for r in load_rulebook(path).rules] == [r["id"] for r in data["rule"]]


def test_a_press_officer_can_add_a_word():
    data = _fresh()
    before = evaluate(Facts(title="Officers attended the shindig", declared={}), Detections())
    data["rule"][[r["id"] for r in data["rule"]].index("do-avoid-jargon")]["replace"]["shindig"] = "party"
    after = evaluate(Facts(title="Officers attended the shindig", declared={}), Detections(), parse_rulebook(data))
    assert "shindig" not in str(before.findings)
    assert any(f.rule == "do-avoid-jargon" and "party" in f.message for f in after.findings)


def _fresh() -> dict:
    return tomllib.loads(resources.files("pressroom.guidance").joinpath("rules.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda d: d["rule"][0].update(severity="fatal"), "severity must be one of"),
        (lambda d: d["rule"][0].update(patterns=["no such pattern"]), "no such pattern"),
        (lambda d: d["rule"][0].update(colour="red"), "unknown keys"),
        (lambda d: d["rule"][1].update(id=d["rule"][0]["id"]), "duplicate rule ids"),
        (lambda d: d["patterns"]["UK phone number"].update(regex="(unclosed"), "pattern 'UK phone number'"),
        (lambda d: d["rule"][0].update(fields=["subtitle"]), "fields must be among"),
        (lambda d: d["rule"][0].pop("guidance"), "guidance must quote"),
        (lambda d: d["rule"].__setitem__(slice(None), [r for r in d["rule"] if r.get("check") != "people"]), "no rule for the checks"),
        (lambda d: next(r for r in d["rule"] if r.get("check") == "people")["outcomes"].pop("undeclared"), "needs exactly the outcomes"),
        (lambda d: next(r for r in d["rule"] if r.get("check") == "children")["lists"].pop("school"), "needs exactly the lists"),
        (lambda d: next(r for r in d["rule"] if r.get("check") == "people").update(check="vibes"), "check must be"),
        (lambda d: d["rule"][0].update(words=[], patterns=[]), "needs words, replace, patterns or labels"),
        (lambda d: next(r for r in d["rule"] if r.get("escalate_when") == "crime").update(escalate_when="crimes"), "no such word list"),
        (lambda d: next(r for r in d["rule"] if r.get("escalate_when")).update(escalate_to="maybe"), "escalate_to must be one of"),
    ],
)
def test_malformed_rules_are_refused_with_the_entry_named(change, error):
    data = _fresh()
    change(data)
    with pytest.raises(ValueError, match=re.escape(error)):
        parse_rulebook(data)


# --- the published caption -----------------------------------------------------------------------
def test_published_caption_links_back_and_says_crime_cannot_be_reported_here():
    caption = published_caption("Fun day", "Officers and residents at the summer fun day.", "Force photographer")
    assert caption.startswith("Officers and residents at the summer fun day.")
    assert "Photo: Force photographer" in caption
    assert "https://www.west-midlands.police.uk" in caption
    crime = next(part for part in caption.split("\n\n") if part.startswith("Crime cannot be reported here"))
    assert "0345 113 5000" in crime and "www.west-midlands.police.uk" in crime  # the number and the webpage


def test_published_caption_falls_back_to_the_title_and_tidies_whitespace():
    caption = published_caption("  Fun   day ", "")
    assert caption.split("\n\n")[0] == "Fun day"
    assert "Photo:" not in caption
    assert published_caption("T", "Line one  \n\n\n  line two").split("\n\n")[0] == "Line one\nline two"


def test_published_caption_itself_passes_every_text_check():
    caption = published_caption("Fun day", "Officers and residents at the summer fun day.", "Force photographer")
    report = evaluate(Facts(description=caption, declared={}), Detections())
    text_rules = {rule.id for rule in load_rulebook().text_rules}
    assert [f for f in report.findings if f.rule in text_rules] == []
