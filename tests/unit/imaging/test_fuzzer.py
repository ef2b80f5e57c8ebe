"""The project's own scrubber fuzzer, briefly: a fixed, derandomised run of format-aware mutations
of the corpus and generated seeds (``tests/fuzzing``), each judged in a forked child against the
whole promise: refused in one line, or decoded in full with the input's pixels and displayed
orientation, no planted secret left, exiftool seeing nothing outside the allow-list. ``make fuzz``
is the long run; what it found is replayed here."""
from __future__ import annotations

import collections
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from tests.corpus import corpus_files
from tests.fuzzing.mutate import Fuzzed, fuzzed
from tests.fuzzing.promise import Exiftool, judge_isolated
from tests.fuzzing.run import FOUND

#: inputs in the short run: about a minute on the 2-core machine
EXAMPLES = 600
COUNTS: collections.Counter[str] = collections.Counter()


@pytest.fixture(scope="module")
def exiftool() -> Exiftool:
    tool = Exiftool()
    yield tool
    tool.close()


def test_short_fuzz_run_keeps_the_promise(exiftool: Exiftool, corpus: Path) -> None:
    corpus_files()
    failures = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=["generate"],
              suppress_health_check=list(HealthCheck))
    @given(fuzzed())
    def one(item: Fuzzed) -> None:
        verdict = judge_isolated(item.data, item.planted, exiftool)
        COUNTS[f"{verdict.input_format} {verdict.outcome}"] += 1
        if not verdict.kept and verdict.outcome not in ("slow", "memory"):  # no wall-clock verdicts here
            failures.append(f"{item!r}: {verdict.outcome}: {verdict.detail[:200]}")

    one()
    assert not failures, "\n".join(failures[:20])
    formats = {key.split()[0] for key in COUNTS}
    assert {"jpeg", "png", "webp", "gif", "tiff", "heic"} <= formats  # every format was fuzzed
    assert COUNTS.total() == EXAMPLES
    assert sum(v for k, v in COUNTS.items() if k.endswith("scrubbed")) > EXAMPLES // 5


def test_what_the_fuzzer_found_keeps_the_promise(exiftool: Exiftool) -> None:
    found = sorted(p for p in FOUND.glob("*") if p.suffix not in (".md", ".txt"))
    assert found, f"nothing in {FOUND}: its README says what belongs there"
    broken = []
    for path in found:
        verdict = judge_isolated(path.read_bytes(), [], exiftool)
        if not verdict.kept and verdict.outcome not in ("slow", "memory"):
            broken.append(f"{path.name}: {verdict.outcome}: {verdict.detail}")
    assert not broken, "\n".join(broken)
