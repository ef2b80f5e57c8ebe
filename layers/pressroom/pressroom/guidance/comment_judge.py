"""The comment judge: the judge of meaning (``pressroom.guidance.meaning``) trained on labelled
comments, and ``make train-comments``, which rebuilds it.

    python -m pressroom.guidance.comment_judge [--corpus FILE] [--training FILE] [--out FILE]

Training reads the development part of the corpus (the split of ``comment_corpus``, fixed in
``tests/data/comments/SPLIT.md``) and every comment written for training only; never the
evaluation part. The engine does the rest, deterministically: features, out-of-fold
probabilities over the development families, calibration of "this comment needs something", and
the act and warn thresholds for the goals in ``meaning/comments.toml``. Same corpus, same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .comment_corpus import Labelled, load, split
from .comment_rules import Kind
from .meaning import corpus as meaning_corpus
from .meaning.config import HERE as MEANING
from .meaning.config import load_config
from .meaning.encoder import MODELS
from .meaning.judge import Judge, Resemblance

CONFIG = MEANING / "comments.toml"
MODEL = MODELS / "comments.safetensors"
DEFAULT_CORPUS = Path("tests/data/comments/comments.jsonl")


@dataclass(frozen=True)
class JudgeReading:
    """What the judge makes of one comment."""

    kind: Kind
    #: calibrated probability that the comment needs something (is not "other")
    needs: float
    #: the kind's share of that probability among the kinds that need something
    share: float
    #: at or above the trained act threshold: acted on as its kind
    sure: bool
    #: at or above the trained warn threshold: a person is asked to look, nothing public
    flagged: bool
    resembles: tuple[Resemblance, ...] = ()
    #: every kind's share of the probability that the comment needs something
    shares: tuple[tuple[str, float], ...] = ()

    def share_of(self, kind: Kind) -> float:
        return dict(self.shares).get(kind.value, 0.0)

    @property
    def confidence(self) -> float:
        """How sure the judge is that the comment needs something (for "other": that it needs nothing);
        the act and warn thresholds compare this. Which kind it is, is ``share``."""
        return round(1 - self.needs, 3) if self.kind == Kind.OTHER else round(self.needs, 3)


class CommentJudge:
    """The trained comment judge; ``read`` a comment's text."""

    def __init__(self, judge: Judge) -> None:
        self._judge = judge
        self.act_threshold = judge.block_threshold
        self.warn_threshold = judge.warn_threshold

    @classmethod
    def load(cls, path: Path = MODEL) -> CommentJudge:
        return cls(Judge.load(path, CONFIG))

    def read(self, text: str) -> JudgeReading:
        if not text.strip():
            return JudgeReading(Kind.OTHER, 0.0, 1.0, False, False)
        needs, probabilities, sentence = self._judge.probabilities(text)
        others = probabilities[1:]
        index = int(np.argmax(others))
        total = max(float(others.sum()), 1e-12)
        shares = tuple((label.id, round(float(p) / total, 3)) for label, p in zip(self._judge.config.labels, others))
        flagged = needs >= self.warn_threshold
        kind = Kind(self._judge.config.labels[index].id)
        resembles = self._judge._resembles(sentence, kind.value) if flagged else ()
        if not flagged:
            return JudgeReading(Kind.OTHER, round(float(needs), 3), 1.0, False, False, shares=shares)
        # sure needs the engine's resemblance floor too: a comment unlike any labelled one of its kind is asked about
        close = bool(resembles) and resembles[0].similarity >= self._judge.resemblance_floor
        return JudgeReading(kind, round(float(needs), 3), dict(shares)[kind.value],
                            needs >= self.act_threshold and close, True, resembles, shares)


@lru_cache(maxsize=1)
def shipped() -> CommentJudge:
    """The comment judge shipped with the package (loaded once per process)."""
    return CommentJudge.load()


def examples(comments: list[Labelled]) -> list[meaning_corpus.Example]:
    """The engine's examples: the kind is the label, the family the case (folds never split one)."""
    return [meaning_corpus.Example(id=c.id, text=c.text, label=c.kind, group=c.family) for c in comments]


def training_examples(corpus_path: Path, training_path: Path | None) -> list[meaning_corpus.Example]:
    development, _ = split(load(corpus_path))
    extra = list(load(training_path)) if training_path and training_path.exists() else []
    return examples(development + extra)


def main(argv: list[str] | None = None) -> int:
    from .meaning.encoder import Encoder
    from .meaning.train import save, train

    parser = argparse.ArgumentParser(prog="python -m pressroom.guidance.comment_judge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--training", type=Path, default=DEFAULT_CORPUS.with_name("training.jsonl"),
                        help="comments written for training only (all development)")
    parser.add_argument("--out", type=Path, default=MODEL)
    args = parser.parse_args(argv)
    chosen = training_examples(args.corpus, args.training)
    tensors, metadata = train(chosen, load_config(CONFIG), Encoder.load())
    save(tensors, metadata, args.out)
    figures = metadata["development"]["cross_validated"]
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, sha256 "
          f"{hashlib.sha256(args.out.read_bytes()).hexdigest()[:16]}) from {len(chosen)} development comments; "
          f"act >= {metadata['block']:.3f}, warn >= {metadata['warn']:.3f}; cross-validated: {json.dumps(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
