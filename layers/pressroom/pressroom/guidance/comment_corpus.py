"""The labelled comment corpus and its fixed split (``tests/data/comments/SPLIT.md``).

Comments are split by *family* (one situation written several ways, so paraphrases never
straddle the two parts); within each kind, the families are ordered by the SHA-256 of their name
and every third one, starting with the first, is for evaluation. Nothing is fitted, tuned or chosen
on the evaluation part. ``training.jsonl`` beside the corpus holds more comments written for
training only: all of it is development.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

EVALUATION = "evaluation"
DEVELOPMENT = "development"


@dataclass(frozen=True)
class Labelled:
    id: str
    family: str
    kind: str
    text: str
    topic: str = ""
    #: the comment names or places somebody (a name with a street, an area, a house, a school)
    locates: bool = False


def load(path: Path) -> tuple[Labelled, ...]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return tuple(Labelled(**row) for row in rows)


def evaluation_families(comments: Iterable[Labelled]) -> frozenset[str]:
    by_kind: dict[str, set[str]] = defaultdict(set)
    for c in comments:
        by_kind[c.kind].add(c.family)
    chosen: set[str] = set()
    for families in by_kind.values():
        ordered = sorted(families, key=lambda f: hashlib.sha256(f.encode()).hexdigest())
        chosen.update(ordered[0::3])
    return frozenset(chosen)


def split(comments: tuple[Labelled, ...]) -> tuple[list[Labelled], list[Labelled]]:
    """(development, evaluation) of the corpus, by the rule above."""
    held_out = evaluation_families(comments)
    return [c for c in comments if c.family not in held_out], [c for c in comments if c.family in held_out]
