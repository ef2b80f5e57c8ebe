"""``make fuzz``: the scrubber fuzzer's long run. Hypothesis draws format-aware mutations of the seeds
(``mutate``), each input is judged in a forked child against the whole promise (``promise``), and
every failure of a kind not seen before is minimised and saved under ``tests/fuzzing/found/`` (the
bytes, and a line in its README), where ``tests/unit/imaging/test_fuzzer.py`` replays it in every ``make test``.
Prints, and writes to ``--report``, the counts: inputs per format, scrubbed, refused, anything else.

    python -m tests.fuzzing.run [--minutes 20] [--jobs 2] [--found tests/fuzzing/found]
"""
from __future__ import annotations

import argparse
import collections
import hashlib
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from tests.fuzzing.mutate import Fuzzed, fuzzed
from tests.fuzzing.promise import Exiftool, Verdict, judge_isolated

FOUND = Path(__file__).resolve().parent / "found"
_EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "gif": ".gif", "tiff": ".tif", "heic": ".heic"}


def minimise(data: bytes, planted: list[bytes], signature: str, exiftool: Exiftool | None,
             budget: float = 60.0) -> bytes:
    """The smallest ``data`` found in ``budget`` seconds, removing ever smaller spans, that still
    fails with the same ``signature`` (ddmin's idea, bounded)."""
    deadline = time.monotonic() + budget
    best = data
    span = max(1, len(best) // 2)
    while span >= 1 and time.monotonic() < deadline:
        at, changed = 0, False
        while at < len(best) and time.monotonic() < deadline:
            trial = best[:at] + best[at + span :]
            kept = [s for s in planted if s in trial]
            verdict = judge_isolated(trial, kept, exiftool, limit_seconds=30)
            if not verdict.kept and verdict.signature() == signature:
                best, changed = trial, True
            else:
                at += span
        if not changed:
            span //= 2
    return best


def save(found: Path, data: bytes, verdict: Verdict, item: Fuzzed) -> Path:
    found.mkdir(parents=True, exist_ok=True)
    name = f"{verdict.input_format}-{verdict.outcome}-{hashlib.sha1(verdict.signature().encode()).hexdigest()[:10]}"
    path = found / (name + _EXTENSIONS.get(verdict.input_format, ".bin"))
    path.write_bytes(data)
    planted = ",".join(s.decode() for s in item.planted if s in data)
    with open(found / "signatures.txt", "a", encoding="utf-8") as signatures:
        signatures.write(verdict.signature() + "\n")
    with open(found / "README.md", "a", encoding="utf-8") as readme:
        readme.write(f"| {path.name} | {verdict.outcome} | {verdict.detail[:200].replace('|', '/')} | "
                     f"{item.seed} {' '.join(item.steps)} | {planted} |\n")
    return path


def worker(index: int, minutes: float, found: str, report: str, known: list[str]) -> None:
    """One job: rounds of Hypothesis generation until the time is up, counting every verdict."""
    deadline = time.monotonic() + 60 * minutes
    exiftool = Exiftool()
    counts: collections.Counter[str] = collections.Counter()
    seen = set(known)
    slowest = [0.0, ""]
    peak = [0.0, ""]
    failures: list[dict[str, str]] = []
    round_number = 0
    while time.monotonic() < deadline:
        round_number += 1

        @settings(max_examples=200, deadline=None, database=None, phases=["generate"],
                  suppress_health_check=list(HealthCheck))
        @given(fuzzed())
        def fuzz_round(item: Fuzzed) -> None:
            if time.monotonic() >= deadline:
                return
            verdict = judge_isolated(item.data, item.planted, exiftool)
            counts[f"{verdict.input_format} {verdict.outcome}"] += 1
            if verdict.cpu > slowest[0]:
                slowest[:] = [verdict.cpu, f"{item!r} {verdict.outcome} ({verdict.seconds:.2f} s wall)"]
            if verdict.peak_mb > peak[0]:
                peak[:] = [verdict.peak_mb, f"{item!r} {verdict.outcome}"]
            if verdict.kept:
                return
            if verdict.signature() in seen:  # a kind already saved: reported, not saved again
                failures.append({"file": "", "outcome": verdict.outcome, "detail": verdict.detail[:300],
                                 "seed": item.seed, "steps": " ".join(item.steps)})
                print(f"[job {index}] {verdict.outcome} (a kind already saved): {verdict.detail[:160]} "
                      f"from {item.seed} {' '.join(item.steps)}", flush=True)
                return
            seen.add(verdict.signature())
            small = minimise(item.data, item.planted, verdict.signature(), exiftool)
            path = save(Path(found), small, verdict, item)
            failures.append({"file": path.name, "outcome": verdict.outcome, "detail": verdict.detail[:300],
                             "seed": item.seed, "steps": " ".join(item.steps)})
            print(f"[job {index}] {verdict.outcome}: {verdict.detail[:160]} -> {path.name}", flush=True)

        Path(report).write_text(json.dumps({"counts": counts, "failures": failures, "slowest": slowest,
                                            "peak_mb": peak, "rounds": round_number}))  # so far: a killed run keeps its counts
        try:
            fuzz_round()
        except Exception as exc:  # a fault of the generator: counted, the run goes on
            counts[f"fuzzer error:{type(exc).__name__}"] += 1
            print(f"[job {index}] fuzzer error: {type(exc).__name__}: {str(exc)[:200]}", flush=True)
    exiftool.close()
    Path(report).write_text(json.dumps({"counts": counts, "failures": failures, "slowest": slowest,
                                        "peak_mb": peak, "rounds": round_number}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--found", type=Path, default=FOUND)
    parser.add_argument("--report", type=Path, default=Path("fuzz-report.json"))
    args = parser.parse_args(argv)
    known = []
    if (args.found / "signatures.txt").exists():  # failures already saved are not saved again
        known = (args.found / "signatures.txt").read_text().splitlines()
    started = time.time()
    parts = [f"{args.report}.{i}" for i in range(args.jobs)]
    context = multiprocessing.get_context("fork")
    jobs = [context.Process(target=worker, args=(i, args.minutes, str(args.found), parts[i], known))
            for i in range(args.jobs)]
    for job in jobs:
        job.start()
    for job in jobs:
        job.join()
    counts: collections.Counter[str] = collections.Counter()
    failures, slowest, peak = [], [0.0, ""], [0.0, ""]
    for part in parts:
        if not Path(part).exists():
            print(f"a job wrote no report ({part})", file=sys.stderr)
            return 1
        data = json.loads(Path(part).read_text())
        counts.update(data["counts"])
        failures += data["failures"]
        slowest = max(slowest, data["slowest"])
        peak = max(peak, data["peak_mb"])
        Path(part).unlink()
    formats: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for key, value in counts.items():
        fmt, _, outcome = key.partition(" ")
        formats[fmt][outcome or "error"] += value
    total = sum(counts.values())
    print(f"\n{total} inputs in {(time.time() - started) / 60:.1f} min on {args.jobs} jobs")
    print(f"{'format':8} {'inputs':>7} {'scrubbed':>9} {'refused':>8} {'other':>6}")
    for fmt, row in sorted(formats.items()):
        other = sum(v for k, v in row.items() if k not in ("scrubbed", "refused"))
        print(f"{fmt:8} {sum(row.values()):7} {row['scrubbed']:9} {row['refused']:8} {other:6}")
    bad = {k: v for k, v in counts.items() if k.partition(" ")[2] not in ("scrubbed", "refused")}
    print(f"anything else: {sum(bad.values())} {dict(bad) if bad else ''}")
    print(f"slowest scrub: {slowest[0]:.2f} s CPU ({slowest[1][:200]})")
    print(f"largest memory growth: {peak[0]:.0f} MB ({peak[1][:160]})")
    args.report.write_text(json.dumps({"inputs": total, "formats": formats, "anything_else": bad,
                                       "failures": failures, "slowest": slowest, "peak_mb": peak}, indent=2))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
