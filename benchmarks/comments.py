"""How well comments are read, on the evaluation part of the comment corpus (never trained or tuned on).

    python benchmarks/comments.py [--part evaluation|development] [--json]

For the rules alone, the judge of meaning alone and both together (as the monitor reads them),
per kind: recall (of the comments of that kind, how many were read as it) and precision (of the
comments read as that kind, how many were); "caught" counts a comment read as its kind whether
the verdict is sure (acted on) or unsure (the press office alerted, nothing public). For innocent
comments ("other"): how many were acted on at all (anything but the digest) and how many in public
(a reply or a deletion). Then the time per comment (one thread; first read excluded).

The goals (issue 21): at least 95% of threats and disclosures caught, 90% of crime reports and
offensive comments, at most 2% of innocent comments acted on.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core, as in the Lambda; and the BLAS threads fight on 2 cores

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pressroom.guidance.comment_actions import plan  # noqa: E402
from pressroom.guidance.comment_judge import JudgeReading, shipped  # noqa: E402
from pressroom.guidance.comment_reading import Reading, combine  # noqa: E402
from pressroom.guidance.comment_rules import Kind, read_rules  # noqa: E402
from tests import comment_corpus  # noqa: E402

GOALS = {"threat": 0.95, "disclosure": 0.95, "crime-report": 0.90, "offensive": 0.90}
INNOCENT_ACTED_GOAL = 0.02


def _judge_alone(judged: JudgeReading) -> Reading:
    return Reading(judged.kind, judged.confidence, judged.sure or judged.kind == Kind.OTHER, "judge", judge=judged)


def readers() -> dict[str, Callable[[str], Reading]]:
    judge = shipped()
    return {
        "rules": lambda text: combine(read_rules(text), None),
        "judge": lambda text: _judge_alone(judge.read(text)),
        "both": lambda text: combine(read_rules(text), judge.read(text)),
    }


def measure(comments: list, read: Callable[[str], Reading]) -> dict:
    read(comments[0].text)  # warm: the encoder is loaded on first use
    rows = []
    started = time.perf_counter()
    for comment in comments:
        rows.append((comment.kind, read(comment.text)))
    seconds = (time.perf_counter() - started) / len(comments)
    kinds = [k.value for k in Kind]
    figures: dict = {"per_kind": {}, "ms_per_comment": round(seconds * 1000, 1), "comments": len(comments)}
    for kind in kinds:
        labelled = [r for k, r in rows if k == kind]
        called = [(k, r) for k, r in rows if r.kind.value == kind]
        figures["per_kind"][kind] = {
            "n": len(labelled),
            "recall": _share(sum(r.kind.value == kind for r in labelled), len(labelled)),
            "sure": _share(sum(r.kind.value == kind and r.sure for r in labelled), len(labelled)),
            # alerted as this kind, or as possibly this kind beside another ("it may also be a threat")
            "alerted": _share(sum(r.kind.value == kind or Kind(kind) in r.also for r in labelled), len(labelled)),
            "precision": _share(sum(k == kind for k, _ in called), len(called)),
        }
    innocent = [r for k, r in rows if k == Kind.OTHER.value]
    plans = [plan(r) for r in innocent]
    figures["innocent_acted_on"] = _share(sum(r.kind != Kind.OTHER for r in innocent), len(innocent))
    figures["innocent_public"] = _share(sum(bool(p.reply or p.delete) for p in plans), len(plans))
    needing = [(k, r) for k, r in rows if k != Kind.OTHER.value]
    figures["needing_action_left_to_digest"] = _share(sum(r.kind == Kind.OTHER for _, r in needing), len(needing))
    return figures


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def table(results: dict[str, dict]) -> str:
    names = list(results)
    head = f"{'kind':17} {'n':>4}  " + "  ".join(f"{name + ' R':>8} {name + ' P':>8}" for name in names)
    lines = [head, "-" * len(head)]
    for kind in (k.value for k in Kind):
        n = results[names[0]]["per_kind"][kind]["n"]
        cells = "  ".join(f"{_pct(results[name]['per_kind'][kind]['recall']):>8} "
                          f"{_pct(results[name]['per_kind'][kind]['precision']):>8}" for name in names)
        goal = f"  (goal R >= {GOALS[kind]:.0%})" if kind in GOALS else ""
        lines.append(f"{kind:17} {n:>4}  {cells}{goal}")
    lines.append("")
    for label, key in (("threats alerted (as a threat or possibly one)", ("threat", "alerted")),
                       ("disclosures alerted (as one or possibly one)", ("disclosure", "alerted")),
                       ("sure (acted on) of threats", ("threat", "sure")), ("sure of disclosures", ("disclosure", "sure")),
                       ("sure of crime reports", ("crime-report", "sure")), ("sure of offensive", ("offensive", "sure"))):
        lines.append(f"{label:46} " + "  ".join(f"{name}: {_pct(results[name]['per_kind'][key[0]][key[1]])}" for name in names))
    lines.append(f"{'innocent comments acted on (goal <= 2%)':46} "
                 + "  ".join(f"{name}: {_pct(results[name]['innocent_acted_on'])}" for name in names))
    lines.append(f"{'innocent comments acted on in public':46} "
                 + "  ".join(f"{name}: {_pct(results[name]['innocent_public'])}" for name in names))
    lines.append(f"{'comments needing action left to the digest':46} "
                 + "  ".join(f"{name}: {_pct(results[name]['needing_action_left_to_digest'])}" for name in names))
    lines.append(f"{'time per comment (ms, one thread)':46} "
                 + "  ".join(f"{name}: {results[name]['ms_per_comment']}" for name in names))
    return "\n".join(lines)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=("evaluation", "development"), default="evaluation")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    comments = comment_corpus.evaluation() if args.part == "evaluation" else comment_corpus.development()
    results = {name: measure(comments, read) for name, read in readers().items()}
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(f"{len(comments)} comments of the {args.part} part (R = caught as its kind, sure or unsure; P = precision)\n")
        print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
