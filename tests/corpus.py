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
