"""Captions: the rules alone, the judge of meaning alone, and both, on the corpus's evaluation part.

Nothing here is fitted: the evaluation part (tests/data/captions/SPLIT.md) is read only to
measure. Each configuration runs in its own child process (so its peak memory is its own), over
every evaluation caption as the policy stage sees it (title and description, every declaration
complete, image analysis run and finding nothing). Printed:

* overall: breaches blocked and flagged (block or warn), harmless captions blocked and flagged;
* per guidance line: precision and recall of blocking and of flagging by a finding that names
  that line (recall over the captions labelled with it; precision over the captions where such a
  finding was raised);
* time per caption (CPU time of the one thread, and wall time) and peak memory (max RSS of the
  child, which includes the encoder's 90 MB; tracemalloc peak of the Python heap).

    python benchmarks/captions.py [--corpus FILE] [--json]
    python benchmarks/captions.py --options     # the encoder options, cross-validated on development folds
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT / "tests" / "data" / "captions" / "captions.jsonl"
COMPLETE = {"category": "neighbourhood-initiative", "people": "none", "children": "no", "credit": "Force photographer",
            "copyright": "West Midlands Police", "uploader": "press.office"}
CONFIGURATIONS = ("rules", "judge", "both")


def _run(configuration: str, corpus_path: Path) -> dict:
    """Judge every evaluation caption in this process; what each configuration raised, per caption."""
    from pressroom.guidance import Facts, evaluate
    from pressroom.guidance.detector import Detections
    from pressroom.guidance.judged import packaged_judge
    from pressroom.guidance.meaning import corpus

    _, evaluation = corpus.split(corpus.load(corpus_path))
    tracemalloc.start()
    judge = packaged_judge() if configuration != "rules" else None
    judge_loaded_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    results = []
    cpu, wall = 0.0, 0.0
    for example in evaluation:
        started_cpu, started_wall = time.process_time(), time.perf_counter()
        if configuration == "judge":
            assert judge is not None
            raised = [(v.severity, v.guidance) for v in judge.assess(example.text, title=example.title)]
        else:
            report = evaluate(Facts(title=example.title, description=example.text, declared=dict(COMPLETE)),
                              Detections(), judge_of_meaning=judge)
            raised = [(f.severity, f.guidance) for f in report.findings if f.severity in ("block", "warn")]
        cpu += time.process_time() - started_cpu
        wall += time.perf_counter() - started_wall
        results.append({"id": example.id, "label": example.label, "guidance": example.guidance, "raised": raised})
    _, heap_peak = tracemalloc.get_traced_memory()
    return {
        "configuration": configuration,
        "results": results,
        "cpu_ms": 1000 * cpu / max(len(evaluation), 1),
        "wall_ms": 1000 * wall / max(len(evaluation), 1),
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "loaded_rss_mb": judge_loaded_rss / 1024,
        "heap_peak_mb": heap_peak / 2**20,
    }


def _child(configuration: str, corpus_path: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, __file__, "--child", configuration, "--corpus", str(corpus_path)],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out)


def _ratio(hit: int, total: int) -> str:
    return f"{hit}/{total} {100 * hit / total:5.1f}%" if total else "   -   "


def summarise(run: dict) -> dict:
    """Overall and per-guidance-line figures of one configuration's results."""
    results = run["results"]
    breaches = [r for r in results if r["label"] != "ok"]
    harmless = [r for r in results if r["label"] == "ok"]

    def blocked(r: dict, line: str | None = None) -> bool:
        return any(s == "block" and (line is None or line in g) for s, g in r["raised"])

    def flagged(r: dict, line: str | None = None) -> bool:
        return any(line is None or line in g for s, g in r["raised"])

    overall = {
        "breaches blocked": (sum(blocked(r) for r in breaches), len(breaches)),
        "breaches flagged": (sum(flagged(r) for r in breaches), len(breaches)),
        "harmless blocked": (sum(blocked(r) for r in harmless), len(harmless)),
        "harmless flagged": (sum(flagged(r) for r in harmless), len(harmless)),
    }
    lines: dict[str, dict] = {}
    for label in sorted({r["label"] for r in breaches}):
        line = next(r["guidance"] for r in breaches if r["label"] == label)
        mine = [r for r in results if r["label"] == label]
        block_raised = [r for r in results if blocked(r, line)]
        flag_raised = [r for r in results if flagged(r, line)]
        lines[label] = {
            "block recall": (sum(blocked(r, line) for r in mine), len(mine)),
            "block precision": (sum(r["label"] == label for r in block_raised), len(block_raised)),
            "flag recall": (sum(flagged(r, line) for r in mine), len(mine)),
            "flag precision": (sum(r["label"] == label for r in flag_raised), len(flag_raised)),
        }
    return {"overall": overall, "lines": lines}


def report(runs: list[dict]) -> str:
    summaries = {run["configuration"]: summarise(run) for run in runs}
    names = [run["configuration"] for run in runs]
    width = 18
    overall = summaries[names[0]]["overall"]
    out = [f"Evaluation part: {overall['breaches blocked'][1]} breaches, {overall['harmless blocked'][1]} harmless captions", ""]
    out.append(f"{'':28s}" + "".join(f"{name:>{width}s}" for name in names))
    for key in summaries[names[0]]["overall"]:
        out.append(f"{key:28s}" + "".join(f"{_ratio(*summaries[n]['overall'][key]):>{width}s}" for n in names))
    for key, unit in (("cpu_ms", "ms CPU / caption"), ("wall_ms", "ms wall / caption"), ("max_rss_mb", "MB peak RSS"),
                      ("heap_peak_mb", "MB peak Python heap")):
        out.append(f"{unit:28s}" + "".join(f"{run[key]:>{width}.1f}" for run in runs))
    out += ["", "Per guidance line (recall over its captions; precision over the captions where a finding named it):"]
    for label in summaries[names[0]]["lines"]:
        out.append(f"  {label}")
        for key in ("block recall", "block precision", "flag recall", "flag precision"):
            out.append(f"    {key:24s}" + "".join(f"{_ratio(*summaries[n]['lines'][label][key]):>{width}s}" for n in names))
    return "\n".join(out)


def options(corpus_path: Path) -> str:
    """Cross-validated figures of the encoder options on the development part only."""
    import numpy as np

    from pressroom.guidance.meaning import corpus, load_config
    from pressroom.guidance.meaning.encoder import Encoder
    from pressroom.guidance.meaning.features import standardise
    from pressroom.guidance.meaning.train import cross_validate

    config = load_config()
    development, _ = corpus.split(corpus.load(corpus_path))
    encoder = Encoder.load()
    started = time.process_time()
    states = [encoder.states(example.full_text) for example in development]
    transformer_ms = 1000 * (time.process_time() - started) / len(development)
    y = np.array([config.classes.index(e.label) for e in development])
    cases = [e.case for e in development]
    last = np.stack([s[-1].mean(axis=0) for s in states]).astype(np.float64)
    sentences = last / np.linalg.norm(last, axis=1, keepdims=True)
    kinds = {
        "static (input embeddings, mean)": (np.stack([s[0].mean(axis=0) for s in states]), "~0.1 (lookup only)"),
        "sentence embedding (last layer)": (last, f"{transformer_ms:.1f}"),
        "every layer's mean (chosen)": (np.stack([np.concatenate([x.mean(axis=0) for x in s]) for s in states]), f"{transformer_ms:.1f}"),
    }
    out = [f"Options, cross-validated over {config.calibration.folds} folds of the development part ({len(development)} captions):",
           f"{'features':36s}{'breaches blocked':>18s}{'harmless blocked':>18s}{'harmless flagged':>18s}{'ms CPU':>22s}"]
    for name, (raw, cost) in kinds.items():
        raw = raw.astype(np.float64)
        x = standardise(raw, raw.mean(axis=0), raw.std(axis=0) + 1e-3)
        cv = cross_validate(x, y, sentences, cases, config)
        blocked = (cv.calibrated >= cv.block) & (cv.nearest >= cv.floor)
        flagged = cv.calibrated >= cv.warn
        out.append(f"{name:36s}{np.mean(blocked[cv.breach == 1]):>18.3f}{np.mean(blocked[cv.breach == 0]):>18.3f}"
                   f"{np.mean(flagged[cv.breach == 0]):>18.3f}{cost:>22s}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    parser.add_argument("--options", action="store_true", help="compare the encoder options on development folds")
    parser.add_argument("--child", choices=CONFIGURATIONS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_run(args.child, args.corpus)))
        return 0
    if args.options:
        print(options(args.corpus))
        return 0
    runs = [_child(configuration, args.corpus) for configuration in CONFIGURATIONS]
    print(json.dumps([{**run, "summary": summarise(run)} for run in runs], indent=1) if args.json else report(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
