"""The comment corpus: realistic, labelled, and split by family by the rule in SPLIT.md."""
from __future__ import annotations

import hashlib
import re
from collections import Counter

from tests import comment_corpus as corpus

KINDS = {"threat", "disclosure", "crime-report", "personal-details", "removal-request", "offensive", "question",
         "other"}


def test_the_corpus_is_large_labelled_and_has_no_repeats():
    rows = corpus.comments()
    assert len(rows) >= 800
    assert {c.kind for c in rows} == KINDS
    assert len({c.text for c in rows}) == len(rows) and len({c.id for c in rows}) == len(rows)
    assert {c.topic for c in rows if c.kind == "disclosure"} == {"abuse", "child", "self-harm", "stalking"}
    assert all(len({c.kind for c in rows if c.family == f}) == 1 for f in {c.family for c in rows})


def test_phone_numbers_and_emails_are_from_the_ranges_kept_for_drama():
    for c in corpus.comments():
        for digits in re.findall(r"\d[\d -]{8,}\d", c.text):
            number = re.sub(r"\D", "", digits)
            assert number.startswith(("07700900", "01214960")), c.text
        for address in re.findall(r"[\w.+-]+@[\w-]+\.[\w.]+", c.text):
            assert re.search(r"@example\.(com|org|net|co\.uk)$", address), c.text


def test_a_family_is_wholly_in_one_part_and_every_third_family_of_a_kind_is_for_evaluation():
    rows = corpus.comments()
    for family in {c.family for c in rows}:
        assert len({corpus.part(c) for c in rows if c.family == family}) == 1
    for kind in KINDS:
        families = sorted({c.family for c in rows if c.kind == kind}, key=lambda f: hashlib.sha256(f.encode()).hexdigest())
        assert [f for f in families if f in corpus.evaluation_families()] == families[0::3]


def test_every_kind_has_enough_evaluation_comments_to_measure():
    counts = Counter(c.kind for c in corpus.evaluation())
    assert all(counts[k] >= 15 for k in KINDS), counts
    assert len(corpus.evaluation()) + len(corpus.development()) == len(corpus.comments())


def test_the_split_is_the_one_written_down():
    # SPLIT.md records the sizes when the split was fixed; a changed corpus must say so there
    text = (corpus.CORPUS.parent / "SPLIT.md").read_text()
    assert f"evaluation {len(corpus.evaluation())} comments" in text
    assert f"{len(corpus.comments())} comments in {len({c.family for c in corpus.comments()})} families" in text


def test_the_comments_written_for_training_share_nothing_with_the_corpus():
    extra = corpus.training()
    assert len(extra) >= 200 and {c.kind for c in extra} == KINDS
    assert not {c.family for c in extra} & {c.family for c in corpus.comments()}
    assert not {c.text.casefold() for c in extra} & {c.text.casefold() for c in corpus.comments()}
