"""The shared photo corpus: ``../shared/corpus/images`` beside the checkout (as CI lays it out), or
``$PRESSROOM_CORPUS``. Tests that need it fail without it, never skip: a run that skipped them
would pass without having proven the scrubber on a single real photo."""
from __future__ import annotations

import os
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = Path(os.environ.get("PRESSROOM_CORPUS") or SHARED / "corpus" / "images")
#: inputs an outside fuzzer found breaking the scrubber's promise (README.md: one line each)
FUZZ_FOUND = Path(os.environ.get("PRESSROOM_FUZZ_FOUND") or SHARED / "fuzz-found")


def corpus_files(pattern: str = "*") -> list[Path]:
    """The corpus files matching ``pattern``, sorted; an error naming the fix when there are none."""
    found = sorted(CORPUS.glob(pattern))
    if not found:
        raise FileNotFoundError(f"no {pattern} in the photo corpus at {CORPUS}: "
                                "put shared/ beside the checkout or set PRESSROOM_CORPUS")
    return found


def fuzz_found_files() -> list[Path]:
    """The reproducers in ``shared/fuzz-found`` (images only, sorted); an error naming the fix when
    there are none."""
    found = sorted(p for p in FUZZ_FOUND.glob("*") if p.suffix.lower() not in (".md", ".py"))
    if not found:
        raise FileNotFoundError(f"no reproducers at {FUZZ_FOUND}: put shared/ beside the checkout "
                                "or set PRESSROOM_FUZZ_FOUND")
    return found


def oversized(jpeg: bytes, width: int, height: int) -> bytes:
    """``jpeg`` with its frame header claiming ``width`` x ``height`` (the scrubber reads no further)."""
    at = 2
    while jpeg[at + 1] not in (0xC0, 0xC1, 0xC2):  # segment by segment: an Exif thumbnail has a frame too
        at += 2 + int.from_bytes(jpeg[at + 2:at + 4], "big")
    return jpeg[:at + 5] + height.to_bytes(2, "big") + width.to_bytes(2, "big") + jpeg[at + 9:]


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
