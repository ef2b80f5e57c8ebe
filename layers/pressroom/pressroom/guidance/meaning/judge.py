"""The judge at run time: a text in, verdicts out, each naming its label and saying why.

    judge = Judge.load()                    # the caption judge shipped with the package
    for verdict in judge.assess(text):
        verdict.label, verdict.severity, verdict.confidence, verdict.question, verdict.why()

``confidence`` is the calibrated probability that the text is not neutral (Platt scaling fitted
on out-of-fold predictions over the development folds); the label is the one the classifier
finds most likely among the others. ``block`` when the confidence reaches the trained block
threshold and the text resembles a labelled example of the label closely enough (the trained
resemblance floor: text unlike anything labelled is never blocked), ``warn`` (with the label's
question for the approver) from the warn threshold up.
A second label the classifier finds nearly as likely becomes a warning of its own.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pressroom.guidance.meaning.classifier import platt, softmax
from pressroom.guidance.meaning.config import HERE, JudgeConfig, load_config
from pressroom.guidance.meaning.encoder import MODELS, Encoder
from pressroom.guidance.meaning.features import raw_features, standardise

SECOND_LABEL_SHARE = 0.3  # of the non-neutral probability: a second label as likely as this is asked about too
RESEMBLES = 3
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(£])")


@dataclass(frozen=True)
class Resemblance:
    """A labelled example the text is close to (cosine similarity of sentence embeddings)."""

    id: str
    text: str
    label: str
    similarity: float


@dataclass(frozen=True)
class Verdict:
    """What the judge thinks a text breaks, how sure it is, and why."""

    label: str
    severity: str  # "block" or "warn"
    confidence: float
    guidance: str
    question: str
    message: str
    phrase: str
    examples: tuple[Resemblance, ...]

    def why(self) -> str:
        """One sentence an approver understands: the phrase read and the examples it resembles."""
        shown = "; ".join(f'"{_short(example.text)}" ({example.similarity:.2f})' for example in self.examples)
        phrase = f'"{_short(self.phrase, 120)}" ' if self.phrase else ""
        return (f"{phrase}reads like the labelled captions that break this line ({self.confidence:.0%} sure)"
                + (f", e.g. {shown}" if shown else ""))


class Judge:
    """A trained classifier over sentence meaning, with its calibration and labelled examples."""

    def __init__(self, config: JudgeConfig, tensors: dict[str, np.ndarray], metadata: dict, encoder: Encoder) -> None:
        if list(config.classes) != metadata["classes"]:
            raise ValueError(f"the {config.name} artefact was trained for other labels: retrain it (make train-{config.name})")
        self.config = config
        self.encoder = encoder
        self.block_threshold = float(metadata["block"])
        self.warn_threshold = float(metadata["warn"])
        self.resemblance_floor = float(metadata.get("block_resemblance", 0.0))
        self._platt = (float(metadata["platt"][0]), float(metadata["platt"][1]))
        self._weights = tensors["weights"].astype(np.float64)
        self._bias = tensors["bias"].astype(np.float64)
        self._centre = tensors["centre"].astype(np.float64)
        self._spread = tensors["spread"].astype(np.float64)
        self._examples = tensors["examples"].astype(np.float32)
        self._ids = metadata["example_ids"]
        self._labels = np.array(metadata["example_labels"])
        self._texts = metadata["example_texts"]
        self.metadata = metadata

    @classmethod
    def load(cls, path: Path | None = None, config: Path | None = None, encoder: Encoder | None = None) -> Judge:
        """The judge in ``path`` (default: the caption judge shipped in ``models/``)."""
        from safetensors import safe_open
        from safetensors.numpy import load_file

        settings = load_config(config or HERE / "captions.toml")
        path = path or MODELS / f"{settings.name}.safetensors"
        with safe_open(str(path), framework="numpy") as handle:
            metadata = json.loads(handle.metadata()["judge"])
        return cls(settings, load_file(str(path)), metadata, encoder or _shared_encoder())

    def probabilities(self, text: str) -> tuple[float, np.ndarray, np.ndarray]:
        """(calibrated probability of not neutral, class probabilities, sentence embedding)."""
        means, sentence = raw_features(self.encoder, text)
        x = standardise(means.astype(np.float64), self._centre, self._spread)
        probabilities = softmax(x @ self._weights.T + self._bias)
        return platt(1 - probabilities[0], *self._platt), probabilities, sentence

    def assess(self, text: str, title: str = "") -> list[Verdict]:
        """Verdicts for a text (and its title), most certain first; empty when nothing needs asking."""
        from pressroom.guidance.meaning.corpus import joined

        text = joined(title, text)
        if not text.strip():
            return []
        confidence, probabilities, sentence = self.probabilities(text)
        if confidence < self.warn_threshold:
            return []
        share = probabilities[1:] / max(float(probabilities[1:].sum()), 1e-12)
        order = np.argsort(-share, kind="stable")
        verdicts = []
        for rank, index in enumerate(order):
            if rank and share[index] < SECOND_LABEL_SHARE:
                break
            label = self.config.labels[index]
            examples = self._resembles(sentence, label.id)
            close = bool(examples) and examples[0].similarity >= self.resemblance_floor
            sure = rank == 0 and confidence >= self.block_threshold and close
            verdicts.append(Verdict(
                label=label.id,
                severity="block" if sure else "warn",
                confidence=round(confidence if rank == 0 else confidence * float(share[index]), 3),
                guidance=label.guidance,
                question=label.question,
                message=label.message,
                phrase=self._phrase(text, index + 1),
                examples=examples,
            ))
        return verdicts

    def _phrase(self, text: str, klass: int) -> str:
        """The sentence that on its own is most likely to break the label's line (the whole text
        when it is one sentence)."""
        sentences = [part for part in _SENTENCE.split(text) if part.strip()]
        if len(sentences) < 2:
            return text
        scored = [(self.probabilities(part)[1][klass], part) for part in sentences]
        return max(scored, key=lambda pair: pair[0])[1]

    def _resembles(self, sentence: np.ndarray, label: str) -> tuple[Resemblance, ...]:
        mine = np.flatnonzero(self._labels == label)
        if not len(mine):
            return ()
        similarity = self._examples[mine] @ sentence
        best = mine[np.argsort(-similarity, kind="stable")[:RESEMBLES]]
        return tuple(Resemblance(self._ids[i], self._texts[i], label, round(float(self._examples[i] @ sentence), 3)) for i in best)


_ENCODER: Encoder | None = None


def _shared_encoder() -> Encoder:
    """One encoder per process (90 MB): every judge loaded shares it."""
    global _ENCODER
    if _ENCODER is None:
        _ENCODER = Encoder.load()
    return _ENCODER


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
