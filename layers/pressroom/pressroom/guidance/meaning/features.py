"""What the classifier reads of a text: the mean of every layer's token states, standardised.

Measured on the development folds of the caption corpus (benchmarks/captions.py --options), the
mean over tokens of each of the seven hidden states (the embedding layer and the six transformer
layers) separates breaches from harmless captions far better than the usual sentence embedding
(the last layer alone): at most 1% of harmless captions blocked, about 77% of breaches blocked
against 48%. The sentence embedding (last layer, unit length) is still what finds the labelled
examples a text resembles.
"""
from __future__ import annotations

import numpy as np

from pressroom.guidance.meaning.encoder import Encoder

ROUND = 4  # decimals kept of every feature before training: tiny BLAS differences do not change the artefact


def raw_features(encoder: Encoder, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(layer means concatenated, unit sentence embedding) of ``text``."""
    states = encoder.states(text)
    means = np.concatenate([state.mean(axis=0) for state in states])
    pooled = states[-1].mean(axis=0)
    return means.astype(np.float32), (pooled / max(float(np.linalg.norm(pooled)), 1e-9)).astype(np.float32)


def raw_matrix(encoder: Encoder, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``raw_features`` of every text, rounded, one row each."""
    rows = [raw_features(encoder, text) for text in texts]
    means = np.round(np.stack([row[0] for row in rows]).astype(np.float64), ROUND)
    sentences = np.round(np.stack([row[1] for row in rows]).astype(np.float64), ROUND)
    return means, sentences


def standardise(means: np.ndarray, centre: np.ndarray, spread: np.ndarray) -> np.ndarray:
    """Features as the classifier takes them: centred, scaled per dimension and by 4/sqrt(dim)."""
    return (means - centre) / spread * (4.0 / np.sqrt(means.shape[-1]))
