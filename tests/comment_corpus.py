"""The labelled comment corpus (``tests/data/comments/comments.jsonl``) and its fixed split.

The rule, written down in ``tests/data/comments/SPLIT.md`` before any rule, threshold or model was
fitted: comments are split by *family* (a family is one situation written several ways, so
paraphrases never straddle the two parts); within each kind, the families are ordered by the
SHA-256 of their name and every third one, starting with the first, is for evaluation. Nothing is
fitted, tuned or chosen on the evaluation part: the training command, the threshold search and
every rule change read only :func:`development`.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "data" / "comments" / "comments.jsonl"
EVALUATION = "evaluation"
DEVELOPMENT = "development"


@dataclass(frozen=True)
class Labelled:
    id: str
    family: str
    kind: str
    text: str
    topic: str = ""
    #: the comment names or locates somebody (a name with a street, an area, a house, a school)
    locates: bool = False


@lru_cache(maxsize=1)
def comments() -> tuple[Labelled, ...]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(Labelled(**row) for row in rows)


@lru_cache(maxsize=1)
def evaluation_families() -> frozenset[str]:
    by_kind: dict[str, set[str]] = defaultdict(set)
    for c in comments():
        by_kind[c.kind].add(c.family)
    chosen: set[str] = set()
    for families in by_kind.values():
        ordered = sorted(families, key=lambda f: hashlib.sha256(f.encode()).hexdigest())
        chosen.update(ordered[0::3])
    return frozenset(chosen)


def part(comment: Labelled) -> str:
    return EVALUATION if comment.family in evaluation_families() else DEVELOPMENT


def development() -> list[Labelled]:
    return [c for c in comments() if part(c) == DEVELOPMENT]


def evaluation() -> list[Labelled]:
    return [c for c in comments() if part(c) == EVALUATION]
