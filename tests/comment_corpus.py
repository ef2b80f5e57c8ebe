"""The labelled comment corpus (``tests/data/comments/comments.jsonl``), its fixed split (the rule
is in ``pressroom.guidance.comment_corpus`` and ``tests/data/comments/SPLIT.md``), and the
development-only comments written for training (``training.jsonl``)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pressroom.guidance import comment_corpus as _corpus
from pressroom.guidance.comment_corpus import DEVELOPMENT, EVALUATION, Labelled

CORPUS = Path(__file__).resolve().parent / "data" / "comments" / "comments.jsonl"
TRAINING = CORPUS.with_name("training.jsonl")
__all__ = ["CORPUS", "DEVELOPMENT", "EVALUATION", "TRAINING", "Labelled", "comments", "development", "evaluation",
           "evaluation_families", "part", "training"]


@lru_cache(maxsize=1)
def comments() -> tuple[Labelled, ...]:
    return _corpus.load(CORPUS)


@lru_cache(maxsize=1)
def training() -> tuple[Labelled, ...]:
    return _corpus.load(TRAINING)


@lru_cache(maxsize=1)
def evaluation_families() -> frozenset[str]:
    return _corpus.evaluation_families(comments())


def part(comment: Labelled) -> str:
    return EVALUATION if comment.family in evaluation_families() else DEVELOPMENT


def development() -> list[Labelled]:
    return [c for c in comments() if part(c) == DEVELOPMENT]


def evaluation() -> list[Labelled]:
    return [c for c in comments() if part(c) == EVALUATION]
