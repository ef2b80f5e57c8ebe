"""The shared photo corpus: ``../shared/corpus/images`` beside the checkout (as CI lays it out), or
``$PRESSROOM_CORPUS``. Tests that need it fail without it, never skip: a run that skipped them
would pass without having proven the scrubber on a single real photo."""
from __future__ import annotations

import os
from pathlib import Path

CORPUS = Path(os.environ.get("PRESSROOM_CORPUS") or Path(__file__).resolve().parents[2] / "shared" / "corpus" / "images")


def corpus_files(pattern: str = "*") -> list[Path]:
    """The corpus files matching ``pattern``, sorted; an error naming the fix when there are none."""
    found = sorted(CORPUS.glob(pattern))
    if not found:
        raise FileNotFoundError(f"no {pattern} in the photo corpus at {CORPUS}: "
                                "put shared/ beside the checkout or set PRESSROOM_CORPUS")
    return found


#: the labelled image-analysis set (``labels.tsv``): ``../shared/vision`` beside the checkout, or ``$PRESSROOM_VISION``
VISION = Path(os.environ.get("PRESSROOM_VISION") or Path(__file__).resolve().parents[2] / "shared" / "vision")


def vision_file(name: str) -> Path:
    """One file of the labelled image-analysis set; an error naming the fix when it is missing."""
    path = VISION / name
    if not path.is_file():
        raise FileNotFoundError(f"no {name} in the image-analysis set at {VISION}: "
                                "put shared/ beside the checkout or set PRESSROOM_VISION")
    return path


def vision_labels() -> list[dict[str, str]]:
    """The rows of the set's ``labels.tsv`` (file, faces, child, text, target_text, graphic, ...)."""
    import csv

    with open(vision_file("labels.tsv"), newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
