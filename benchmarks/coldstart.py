"""Cold-start import time of each Lambda handler against a bare boto3 handler.

Each handler module (``functions/<name>/app.py``) is loaded in a new Python process, as a Lambda
execution environment loads it on a cold start, and the time to load it is measured; the baseline
is a handler that imports only ``boto3`` (what any handler of this kind pays). Prints each
function's best time of ``--repeat`` runs (best: the least disturbed by other work on the machine),
its ratio to the baseline, and whether it is within ``--target`` (1.3x). Exits 1 if one is not.

    python benchmarks/coldstart.py [--repeat 7] [--target 1.3] [--only scrub,policy]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ROOT / "functions"
#: what Lambda's runtime does on a cold start, in a new process: load the handler's module
_LOAD = """
import importlib.util, sys, time
start = time.perf_counter()
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(time.perf_counter() - start)
"""
BARE = "import boto3\n\n\ndef lambda_handler(event, context):\n    return boto3.__version__\n"


def handlers() -> list[str]:
    """Every function with a Python handler, except the image analysis one (its own image and runtime)."""
    return sorted(p.parent.name for p in FUNCTIONS.glob("*/app.py") if p.parent.name != "analysis")


def load_time(path: Path, repeat: int) -> float:
    """The best of ``repeat`` cold loads of ``path``, in seconds."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "pressroom"), str(ROOT / "devtools")]),
           "AWS_DEFAULT_REGION": "eu-west-2", "AWS_REGION": "eu-west-2", "POWERTOOLS_TRACE_DISABLED": "true",
           "POWERTOOLS_METRICS_NAMESPACE": "Pressroom", "POWERTOOLS_SERVICE_NAME": "pressroom"}
    times = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", _LOAD, str(path)], capture_output=True, text=True, env=env,
                              check=True, timeout=120)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--target", type=float, default=1.3)
    parser.add_argument("--only", default="", help="comma-separated function names (default: all)")
    args = parser.parse_args(argv)
    names = [n for n in handlers() if not args.only or n in args.only.split(",")]
    bare = ROOT / ".pressroom" / "coldstart" / "bare_app.py"
    bare.parent.mkdir(parents=True, exist_ok=True)
    bare.write_text(BARE)
    baseline = load_time(bare, args.repeat)
    print(f"{'bare boto3 handler':<22} {baseline * 1000:7.0f} ms   1.00x")
    over = []
    for name in names:
        took = load_time(FUNCTIONS / name / "app.py", args.repeat)
        ratio = took / baseline
        verdict = "ok" if ratio <= args.target else f"over {args.target}x"
        print(f"{name:<22} {took * 1000:7.0f} ms   {ratio:.2f}x  {verdict}", flush=True)
        if ratio > args.target:
            over.append(name)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
