"""``make train-captions``: train a judge from a labelled corpus, reproducibly.

    python -m pressroom.guidance.meaning.train [--corpus FILE ...] [--config captions.toml] [--out FILE]

Only the development part of each corpus is read (see SPLIT.md); the evaluation part is left for
``benchmarks/captions.py``. Steps, all deterministic: features of every development text (the
shipped numpy encoder, no torch); out-of-fold probabilities over ``folds`` folds by case; Platt
scaling of the probability that a text is not neutral; the block and warn thresholds from the
configured goals; then the classifier refitted on every development text. The artefact (about
1 MB) holds the classifier, the calibration, the thresholds and the development examples (their
sentence embeddings, for "resembles"). Same corpus and configuration, same bytes.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pressroom.guidance.meaning import corpus
from pressroom.guidance.meaning.classifier import fit_platt, fit_softmax, platt, softmax
from pressroom.guidance.meaning.config import HERE, JudgeConfig, load_config
from pressroom.guidance.meaning.encoder import MODELS, WEIGHTS, Encoder
from pressroom.guidance.meaning.features import raw_matrix, standardise

DEFAULT_CORPUS = Path("tests/data/captions/captions.jsonl")


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold results on the development part, used to calibrate and to choose thresholds."""

    breach: np.ndarray  # 0/1 per example
    raw: np.ndarray  # uncalibrated probability of not neutral
    calibrated: np.ndarray
    platt: tuple[float, float]
    block: float
    warn: float
    nearest: np.ndarray  # similarity to the closest training-fold example of the predicted label
    floor: float


def fold_of(case: str, folds: int) -> int:
    return int(hashlib.sha256(f"fold:{case}".encode()).hexdigest(), 16) % folds


def thresholds(calibrated: np.ndarray, breach: np.ndarray, config: JudgeConfig) -> tuple[float, float]:
    """(block, warn): block just above the harmless score that keeps the harmless block rate
    within the goal; warn at the score that flags the goal's share of breaches."""
    harmless = np.sort(calibrated[breach == 0])[::-1]
    allowed = int(np.floor(config.calibration.block_harmless_rate * len(harmless)))
    # six decimals, rounded away from the example they are set by: strictly above that harmless
    # score, and at or below that breach score
    block = math.floor(float(harmless[allowed]) * 1e6 + 1) / 1e6 if allowed < len(harmless) else 0.5
    breaches = np.sort(calibrated[breach == 1])
    missed = int(np.floor((1 - config.calibration.warn_breach_recall) * len(breaches)))
    warn = math.floor(float(breaches[min(missed, len(breaches) - 1)]) * 1e6) / 1e6 if len(breaches) else block
    return min(block, 0.999999), min(warn, block)


def cross_validate(x: np.ndarray, y: np.ndarray, sentences: np.ndarray, cases: list[str], config: JudgeConfig) -> CrossValidation:
    folds = config.calibration.folds
    fold = np.array([fold_of(case, folds) for case in cases])
    probabilities = np.zeros((len(y), len(config.classes)))
    nearest = np.zeros(len(y))
    for index in range(folds):
        train, test = fold != index, fold == index
        if not test.any():
            continue
        weights, bias = fit_softmax(x[train], y[train], len(config.classes))
        probabilities[test] = softmax(x[test] @ weights.T + bias)
        predicted = probabilities[test][:, 1:].argmax(axis=1) + 1
        similarity = sentences[test] @ sentences[train].T
        for row, klass in enumerate(predicted):
            same = y[train] == klass
            nearest[np.flatnonzero(test)[row]] = similarity[row, same].max() if same.any() else 0.0
    breach = (y != 0).astype(np.int64)
    raw = 1 - probabilities[:, 0]
    a, b = fit_platt(raw, breach)
    calibrated = np.array([platt(score, a, b) for score in raw])
    block, warn = thresholds(calibrated, breach, config)
    floor = resemblance_floor(nearest[(breach == 1) & (calibrated >= block)], config)
    return CrossValidation(breach, raw, calibrated, (a, b), block, warn, nearest, floor)


def resemblance_floor(similarities: np.ndarray, config: JudgeConfig) -> float:
    """The least similarity to a labelled example that a block needs: the configured low quantile
    of the similarities of the breaches the folds blocked. A text that resembles no labelled
    breach that closely (a product code, a list of names) is asked about, never blocked."""
    if not len(similarities):
        return 0.0
    value = float(np.quantile(similarities, config.calibration.block_resemblance_quantile, method="lower"))
    return math.floor(value * 1e4) / 1e4


def train(examples: list[corpus.Example], config: JudgeConfig, encoder: Encoder) -> tuple[dict[str, np.ndarray], dict]:
    """(tensors, metadata) of a trained judge, from development examples."""
    unknown = sorted({example.label for example in examples} - set(config.classes))
    if unknown:
        raise ValueError(f"labels not in the {config.name} configuration: {', '.join(unknown)}")
    texts = [example.full_text for example in examples]
    means, sentences = raw_matrix(encoder, texts)
    centre = np.round(means.mean(axis=0), 6)
    spread = np.round(means.std(axis=0) + 1e-3, 6)
    x = standardise(means, centre, spread)
    y = np.array([config.classes.index(example.label) for example in examples])
    cv = cross_validate(x, y, sentences, [example.case for example in examples], config)
    weights, bias = fit_softmax(x, y, len(config.classes))
    tensors = {
        "weights": weights.astype(np.float32),
        "bias": bias.astype(np.float32),
        "centre": centre.astype(np.float32),
        "spread": spread.astype(np.float32),
        "examples": sentences.astype(np.float16),
    }
    blocked = (cv.calibrated >= cv.block) & (cv.nearest >= cv.floor)
    flagged = cv.calibrated >= cv.warn
    metadata = {
        "name": config.name,
        "classes": list(config.classes),
        "platt": [round(cv.platt[0], 6), round(cv.platt[1], 6)],
        "block": cv.block,
        "block_resemblance": cv.floor,
        "warn": cv.warn,
        "encoder": hashlib.sha256((MODELS / WEIGHTS).read_bytes()).hexdigest(),
        "development": {
            "examples": len(examples),
            "cross_validated": {
                "breaches_blocked": round(float(blocked[cv.breach == 1].mean()), 4),
                "breaches_flagged": round(float(flagged[cv.breach == 1].mean()), 4),
                "harmless_blocked": round(float(blocked[cv.breach == 0].mean()), 4),
                "harmless_flagged": round(float(flagged[cv.breach == 0].mean()), 4),
            },
        },
        "example_ids": [example.id for example in examples],
        "example_labels": [example.label for example in examples],
        "example_texts": texts,
    }
    return tensors, metadata


def save(tensors: dict[str, np.ndarray], metadata: dict, path: Path) -> None:
    """The artefact: safetensors with one metadata entry (several would be written in a random order)."""
    from safetensors.numpy import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"judge": json.dumps(metadata, ensure_ascii=False, sort_keys=True)})


UNLABELLED = "unlabelled"  # exported rejections whose guidance line a person has not set yet


def development_examples(paths: list[Path]) -> list[corpus.Example]:
    """The development part of every corpus, less examples still ``unlabelled``."""
    examples: list[corpus.Example] = []
    for path in paths:
        development, _ = corpus.split(corpus.load(path))
        examples += [example for example in development if example.label != UNLABELLED]
    return examples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pressroom.guidance.meaning.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", help=f"JSON Lines corpus (default {DEFAULT_CORPUS}); repeat to add exported labels")
    parser.add_argument("--config", type=Path, default=HERE / "captions.toml")
    parser.add_argument("--out", type=Path, help="artefact path (default: models/<name>.safetensors beside the config)")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    examples = development_examples(args.corpus or [DEFAULT_CORPUS])
    tensors, metadata = train(examples, config, Encoder.load())
    out = args.out or MODELS / f"{config.name}.safetensors"
    save(tensors, metadata, out)
    figures = metadata["development"]["cross_validated"]
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, sha256 {hashlib.sha256(out.read_bytes()).hexdigest()[:16]}) "
          f"from {len(examples)} development examples; block >= {metadata['block']:.3f}, warn >= {metadata['warn']:.3f}; "
          f"cross-validated: {json.dumps(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
