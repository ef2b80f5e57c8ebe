"""Throughput of `pressroom scrub` against exiftool, a Pillow re-save and a plain copy.

Every method runs over the same corpus, in its own child process (so each peak RSS is its own),
best of --repeat runs. Prints images/second, MB/second, the ratio to exiftool's throughput and
to a plain copy's time, and peak memory (child max RSS; tracemalloc peak for in-process Python).

    python benchmarks/scrub.py [--corpus DIR] [--repeat 5]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

DEFAULT_CORPUS = Path("/work/shared/corpus/images")


def _files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file())


# ---- in-process methods (run inside a child) ---------------------------------------------------

def _pressroom(corpus: Path, out: Path) -> None:
    from pressroom.scrub.command import main

    if main([str(corpus), str(out)]) != 0:
        raise SystemExit("pressroom scrub rejected a corpus file")


def _pillow(corpus: Path, out: Path) -> None:
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    out.mkdir(parents=True, exist_ok=True)
    for path in _files(corpus):
        with Image.open(path) as image:
            image.load()
            image.save(out / path.name, format=image.format)


def _copy(corpus: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in _files(corpus):
        shutil.copyfile(path, out / path.name)


def _stages(corpus: Path) -> dict[str, float]:
    """Where pressroom's time goes: segment/chunk scrubbing, HEIC transcoding, output decoding."""
    from pressroom.scrub import _SCRUBBERS
    from pressroom.scrub.sniff import sniff
    from pressroom.scrub.verify import check_decodes

    totals: dict[str, float] = {}
    for path in _files(corpus):
        data = path.read_bytes()
        fmt = sniff(data)
        started = time.perf_counter()
        scrubbed = _SCRUBBERS[fmt](data, 100_000_000)
        middle = time.perf_counter()
        check_decodes(scrubbed)
        stage = f"{fmt} transcode" if fmt == "heic" else f"{fmt} scrub"
        totals[stage] = totals.get(stage, 0.0) + middle - started
        totals[f"{fmt} verify"] = totals.get(f"{fmt} verify", 0.0) + time.perf_counter() - middle
    return dict(sorted(totals.items()))


IN_PROCESS = {"pressroom": _pressroom, "pillow": _pillow, "copy": _copy}


def child(method: str, corpus: Path, repeat: int) -> None:
    func = IN_PROCESS[method]
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(repeat):
            started = time.perf_counter()
            func(corpus, Path(tmp) / f"run{i}")
            times.append(time.perf_counter() - started)
        tracemalloc.start()
        func(corpus, Path(tmp) / "traced")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    report = {"seconds": min(times), "tracemalloc_peak": peak}
    if method == "pressroom":
        report["stages"] = _stages(corpus)
    print(json.dumps(report))


# ---- parent --------------------------------------------------------------------------------------

def _run(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, max RSS (bytes) and stdout of one child process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.stdout.read().decode(), proc.stderr.read().decode()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({proc.returncode}): {err.strip()[:500]}")
    return elapsed, usage.ru_maxrss * 1024, out


def _cli_command() -> list[str]:
    script = Path(sys.executable).with_name("pressroom")
    probe = subprocess.run([str(script), "scrub", "--help"], capture_output=True) if script.exists() else None
    if probe is not None and probe.returncode == 0:
        return [str(script), "scrub"]
    return [sys.executable, "-c", "import sys; from pressroom.scrub.command import main; sys.exit(main())"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=sorted(IN_PROCESS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.repeat)
        return 0
    files = _files(args.corpus)
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    rows: dict[str, dict[str, float]] = {}
    stages: dict[str, float] = {}
    for method, label in (("pressroom", "pressroom scrub DIR (in-process)"), ("pillow", "Pillow open+load+save"),
                          ("copy", "plain file copy")):
        _, rss, out = _run([sys.executable, __file__, "--child", method, "--corpus", str(args.corpus),
                            "--repeat", str(args.repeat)])
        report = json.loads(out.strip().splitlines()[-1])
        rows[label] = {"seconds": report["seconds"], "rss": rss, "traced": report["tracemalloc_peak"]}
        stages = report.get("stages", stages)
    cli = _cli_command()
    external = {
        "pressroom scrub DIR (CLI process)": lambda out: [*cli, str(args.corpus), str(out)],
        "exiftool -all= (one batch process)": lambda out: ["exiftool", "-q", "-q", "-m", "-all=", "-o", f"{out}/",
                                                           *map(str, files)],
    }
    written = 0
    for label, command in external.items():
        best, peak = float("inf"), 0
        for i in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / f"run{i}"
                out.mkdir()
                elapsed, rss, _ = _run(command(out))
                best, peak = min(best, elapsed), max(peak, rss)
                if label.startswith("exiftool"):
                    written = sum(1 for _ in out.iterdir())
        rows[label] = {"seconds": best, "rss": peak, "traced": float("nan")}
    exiftool = rows["exiftool -all= (one batch process)"]["seconds"]
    copy = rows["plain file copy"]["seconds"]
    print(f"corpus: {len(files)} images, {megabytes:.1f} MB ({args.corpus}); best of {args.repeat} runs")
    print(f"{'method':38} {'seconds':>8} {'img/s':>8} {'MB/s':>8} {'x exiftool':>10} {'x copy time':>11} "
          f"{'peak RSS MB':>11} {'tracemalloc MB':>14}")
    for label, row in rows.items():
        seconds = row["seconds"]
        print(f"{label:38} {seconds:8.3f} {len(files) / seconds:8.1f} {megabytes / seconds:8.1f} "
              f"{exiftool / seconds:10.2f} {seconds / copy:11.1f} {row['rss'] / 1e6:11.1f} {row['traced'] / 1e6:14.1f}")
    print(f"exiftool wrote {written} of {len(files)} files")
    total = sum(stages.values())
    print(f"pressroom time by stage, one thread ({total:.3f}s):")
    for stage, seconds in stages.items():
        print(f"  {stage:16} {seconds:7.3f}s {100 * seconds / total:4.0f}%")
    scrub_only = sum(v for k, v in stages.items() if k.endswith(" scrub"))
    print(f"segment/chunk scrubbing alone: {scrub_only:.3f}s for {len(files)} files "
          f"(x exiftool {exiftool / scrub_only:.1f}, x copy time {scrub_only / copy:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
