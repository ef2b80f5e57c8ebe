"""Labelled examples for a judge of meaning: reading, writing and splitting a corpus.

A corpus is JSON Lines, one example a line, with at least ``id``, ``text`` and ``label``; ``group``
(the case an example belongs to: paraphrases share it), ``title``, ``guidance`` and ``note`` are
optional. The split is fixed by the group alone (``part_of``), written down in
``tests/data/captions/SPLIT.md`` before anything was tuned.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

Part = Literal["development", "evaluation"]
EVALUATION_BUCKETS = 3  # of 10: about 30% of the groups are held out


@dataclass(frozen=True)
class Example:
    """One labelled text. ``label`` is the neutral label (``ok`` for captions) or a guidance rule id."""

    id: str
    text: str
    label: str
    group: str = ""
    title: str = ""
    guidance: str = ""
    note: str = ""

    @property
    def case(self) -> str:
        """The group, or the id when the example stands alone."""
        return self.group or self.id

    @property
    def full_text(self) -> str:
        """Title and text as the judge reads them."""
        return joined(self.title, self.text)


def joined(title: str, text: str) -> str:
    """The text a judge reads for a title and a body: the title as its own sentence, if any."""
    title, text = " ".join(title.split()), " ".join(text.split())
    if title and text and title.casefold() not in text.casefold():
        return f"{title.rstrip('.:')}. {text}"
    return text or title


def part_of(group: str) -> Part:
    """``evaluation`` when sha256(group) mod 10 < 3, else ``development`` (see SPLIT.md)."""
    bucket = int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 10
    return "evaluation" if bucket < EVALUATION_BUCKETS else "development"


def load(path: Path) -> list[Example]:
    """Every example in a JSON Lines corpus; a line that is blank is skipped."""
    examples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        try:
            examples.append(Example(**{key: str(raw.get(key) or "") for key in Example.__dataclass_fields__}))
        except TypeError as exc:  # pragma: no cover - every field has a default but id/text/label
            raise ValueError(f"{path}:{number}: {exc}") from exc
        if not (examples[-1].id and examples[-1].text.strip() and examples[-1].label):
            raise ValueError(f"{path}:{number}: id, text and label are required")
    ids = [example.id for example in examples]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{path}: ids are not unique")
    return examples


def dump(examples: Iterable[Example]) -> str:
    """JSON Lines for ``examples``, as ``load`` reads them."""
    return "".join(json.dumps(asdict(example), ensure_ascii=False) + "\n" for example in examples)


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(development, evaluation) by each example's case."""
    development: list[Example] = []
    evaluation: list[Example] = []
    for example in examples:
        (evaluation if part_of(example.case) == "evaluation" else development).append(example)
    return development, evaluation
