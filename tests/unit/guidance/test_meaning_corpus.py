"""The labelled caption corpus and its split (tests/data/captions/SPLIT.md)."""
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pressroom.guidance.meaning.corpus import Example, dump, joined, load, part_of, split

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "captions"
CORPUS = DATA / "captions.jsonl"
#: the guidance beside the checkout (``<parent>/shared/guidance``), from the main checkout or a worktree
GUIDANCE = next(
    (found for parent in ROOT.parents if (found := parent / "shared" / "guidance" / "flickr-guidance-2011.txt").is_file()),
    ROOT.parent / "shared" / "guidance" / "flickr-guidance-2011.txt",
)
BREACH_KINDS = {
    "dont-sentenced-or-missing-people", "dont-wanted-people-or-suspects", "dont-juveniles", "dont-evidence",
    "dont-graphic-or-sensationalist", "dont-identify-crime-scenes", "dont-crime-scene-outside-policing",
    "dont-children-without-permission", "dont-personal-details", "dont-protective-markings", "dont-libellous",
    "dont-breach-copyright", "dont-undermine-operations", "dont-damage-reputation", "people-reporting-crime",
}


@pytest.fixture(scope="module")
def examples():
    return load(CORPUS)


def test_the_split_is_the_written_rule():
    for group in ("h-ok-0", "t-3", "photo-abc", ""):
        bucket = int(hashlib.sha256(group.encode()).hexdigest(), 16) % 10
        assert part_of(group) == ("evaluation" if bucket < 3 else "development")
    assert "% 10 < 3" in (DATA / "SPLIT.md").read_text()


def test_a_case_is_never_on_both_sides(examples):
    development, evaluation = split(examples)
    assert {e.case for e in development}.isdisjoint({e.case for e in evaluation})
    assert len(development) + len(evaluation) == len(examples)
    assert 0.2 < len(evaluation) / len(examples) < 0.4


def test_the_corpus_is_big_enough_and_covers_every_breach_kind_on_both_sides(examples):
    assert len(examples) >= 600
    counts = Counter(e.label for e in examples)
    assert set(counts) == BREACH_KINDS | {"ok"}
    development, evaluation = split(examples)
    for part in (development, evaluation):
        assert {e.label for e in part} == BREACH_KINDS | {"ok"}


def test_every_breach_quotes_its_guidance_line(examples):
    guidance = " ".join(GUIDANCE.read_text(encoding="utf-8").split())
    for example in examples:
        if example.label == "ok":
            assert not example.guidance
        else:
            assert example.guidance and example.guidance in guidance, example.id


def test_phone_numbers_are_from_the_ranges_kept_for_drama(examples):
    phone = re.compile(r"\b0\d{2,4}[\s\d]{6,9}\d\b")
    drama = re.compile(r"^(?:0121 ?496 ?0\d{3}|01632 ?960\d{3}|07700 ?900\d{3}|0800 555 111|0345 113 5000)$")
    for example in examples:
        for number in phone.findall(example.text):
            assert drama.match(number.strip()), (example.id, number)


def test_no_near_duplicate_straddles_the_split(examples):
    def words(text):
        return frozenset(re.findall(r"[a-z']+", text.lower()))

    development, evaluation = split(examples)
    seen = [words(e.text) for e in development]
    for example in evaluation:
        mine = words(example.text)
        closest = max(len(mine & other) / len(mine | other) for other in seen)
        assert closest < 0.8, example.id


def test_the_corpus_file_is_what_the_generator_writes(tmp_path):
    before = CORPUS.read_bytes()
    subprocess.run([sys.executable, str(DATA / "make_corpus.py")], check=True, capture_output=True)
    assert CORPUS.read_bytes() == before


def test_dump_and_load_round_trip(tmp_path):
    items = [Example("a", "Text one.", "ok", group="g"), Example("b", "Two", "dont-evidence", title="T")]
    path = tmp_path / "c.jsonl"
    path.write_text(dump(items))
    assert load(path) == items
    path.write_text(json.dumps({"id": "x", "text": "", "label": "ok"}) + "\n")
    with pytest.raises(ValueError):
        load(path)


def test_title_and_text_are_read_together():
    assert joined("Please share", "Bev is gone.") == "Please share. Bev is gone."
    assert joined("", "Bev is gone.") == "Bev is gone."
    assert joined("Bev", "Bev is gone.") == "Bev is gone."
