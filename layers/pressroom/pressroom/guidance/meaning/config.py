"""A judge's configuration (``captions.toml``, later ``comments.toml``): its labels and goals."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Label:
    """One thing the judge can find: a guidance rule id (or a comment kind) and what to say."""

    id: str
    guidance: str = ""
    question: str = ""
    message: str = ""


@dataclass(frozen=True)
class Calibration:
    """Goals the training command picks the thresholds for (on development folds only)."""

    block_harmless_rate: float = 0.01
    warn_breach_recall: float = 0.99
    block_resemblance_quantile: float = 0.02
    folds: int = 5


@dataclass(frozen=True)
class JudgeConfig:
    """The labels a judge tells apart. ``neutral`` is the label of texts that need nothing."""

    name: str
    neutral: str
    labels: tuple[Label, ...]
    calibration: Calibration

    @property
    def classes(self) -> tuple[str, ...]:
        """The neutral label first, then every label in the order the file gives them."""
        return (self.neutral, *(label.id for label in self.labels))

    def label(self, label_id: str) -> Label:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise KeyError(label_id)


def parse(text: str) -> JudgeConfig:
    """A judge configuration from TOML text; an error names what is wrong."""
    raw = tomllib.loads(text)
    if raw.get("version") != 1:
        raise ValueError("judge configuration: version must be 1")
    labels = []
    for item in raw.get("label", []):
        unknown = set(item) - set(Label.__dataclass_fields__)
        if unknown:
            raise ValueError(f"judge configuration: label {item.get('id')!r} has unknown keys {sorted(unknown)}")
        if not item.get("id") or not item.get("question"):
            raise ValueError("judge configuration: every label needs an id and a question")
        labels.append(Label(**item))
    ids = [label.id for label in labels]
    neutral = raw.get("neutral", "")
    if len(set(ids)) != len(ids) or not neutral or neutral in ids or not labels:
        raise ValueError("judge configuration: labels must be unique, non-empty and differ from the neutral label")
    calibration = Calibration(**raw.get("calibration", {}))
    if not (0 <= calibration.block_harmless_rate < 1 and 0 < calibration.warn_breach_recall <= 1 and calibration.folds >= 2):
        raise ValueError("judge configuration: calibration goals out of range")
    return JudgeConfig(raw.get("name") or "judge", neutral, tuple(labels), calibration)


def load_config(path: Path = HERE / "captions.toml") -> JudgeConfig:
    return parse(path.read_text(encoding="utf-8"))
