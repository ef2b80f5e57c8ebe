"""Throughput of `pressroom scrub` against exiftool, a Pillow re-save and a plain copy.

Every method runs over the same corpus, in its own child process (so each peak RSS is its own),
best of --repeat runs, files read once beforehand so every method starts from a warm cache.
Prints images/second, MB/second, the ratio to exiftool's throughput and to a plain copy's time
(``shutil.copyfile``; a read-then-write copy is shown too, the floor for reading the bytes),
and peak memory (child max RSS; tracemalloc peak for in-process Python). Then the same figures
for the corpus without HEIC (exiftool rewrites HEIC in place; pressroom transcodes it to JPEG, so
that is the like-for-like comparison), and a per-format table: pressroom on one thread (scrub,
then verify) against one exiftool batch over that format's files (Perl start-up included, shown
on its own line).

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


def default_corpus() -> Path:
    """``$PRESSROOM_CORPUS``, else ``shared/corpus/images`` beside the checkout (as the tests read it)."""
    beside = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "images"
    return Path(os.environ.get("PRESSROOM_CORPUS") or beside)


def _files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_file())


# ---- in-process methods (run inside a child) ---------------------------------------------------

def _pressroom(corpus: Path, out: Path) -> None:
    from pressroom_local.scrub import main

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


def _read_write(corpus: Path, out: Path) -> None:
    """The floor for any tool that looks at the bytes: each file read into memory and written out
    (``shutil.copyfile`` never brings them into the process: the kernel copies them)."""
    out.mkdir(parents=True, exist_ok=True)
    for path in _files(corpus):
        (out / path.name).write_bytes(path.read_bytes())


def _stages(corpus: Path, repeat: int) -> dict[str, dict[str, float]]:
    """Per input format, best of ``repeat`` single-thread seconds: scrub (HEIC: transcode), verify."""
    from pressroom.imaging import _SCRUBBERS
    from pressroom.imaging.sniff import sniff
    from pressroom.imaging.verify import check_decodes

    inputs = [(sniff(data), data) for data in (p.read_bytes() for p in _files(corpus))]
    best: dict[str, dict[str, float]] = {}
    for _ in range(repeat):
        totals: dict[str, dict[str, float]] = {}
        for fmt, data in inputs:
            started = time.perf_counter()
            scrubbed = _SCRUBBERS[fmt](data, 100_000_000)
            middle = time.perf_counter()
            check_decodes(scrubbed)
            row = totals.setdefault(fmt, {"scrub": 0.0, "verify": 0.0})
            row["scrub"] += middle - started
            row["verify"] += time.perf_counter() - middle
        for fmt, row in totals.items():
            if fmt not in best or sum(row.values()) < sum(best[fmt].values()):
                best[fmt] = row
    return dict(sorted(best.items()))


IN_PROCESS = {"pressroom": _pressroom, "pillow": _pillow, "copy": _copy, "readwrite": _read_write}


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
        report["stages"] = _stages(corpus, repeat)
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
    return [sys.executable, "-c", "import sys; from pressroom_local.scrub import main; sys.exit(main())"]


def _formats(files: list[Path]) -> dict[str, list[Path]]:
    from pressroom.imaging.sniff import sniff

    groups: dict[str, list[Path]] = {}
    for path in files:
        groups.setdefault(sniff(path.read_bytes()), []).append(path)
    return dict(sorted(groups.items()))


def _exiftool(files: list[Path], repeat: int) -> tuple[float, int, int]:
    """Best wall time, peak RSS and files written of one ``exiftool -all=`` batch over ``files``."""
    best, peak, written = float("inf"), 0, 0
    for i in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / f"run{i}"
            out.mkdir()
            elapsed, rss, _ = _run(["exiftool", "-q", "-q", "-m", "-all=", "-o", f"{out}/", *map(str, files)])
            best, peak, written = min(best, elapsed), max(peak, rss), sum(1 for _ in out.iterdir())
    return best, peak, written


def _table(corpus: Path, repeat: int, with_pillow: bool) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, float]]]:
    """Print the method table for ``corpus``; return pressroom's per-format stages and the rows."""
    files = _files(corpus)
    megabytes = sum(p.stat().st_size for p in files) / 1e6
    for path in files:  # warm the page cache for every method alike
        path.read_bytes()
    rows: dict[str, dict[str, float]] = {}
    stages: dict[str, dict[str, float]] = {}
    methods = [("pressroom", "pressroom scrub DIR (in-process)"), ("copy", "plain file copy"),
               ("readwrite", "read + write each file")]
    if with_pillow:
        methods.insert(1, ("pillow", "Pillow open+load+save"))
    for method, label in methods:
        _, rss, out = _run([sys.executable, __file__, "--child", method, "--corpus", str(corpus),
                            "--repeat", str(repeat)])
        report = json.loads(out.strip().splitlines()[-1])
        rows[label] = {"seconds": report["seconds"], "rss": rss, "traced": report["tracemalloc_peak"]}
        stages = report.get("stages", stages)
    cli = _cli_command()
    best, peak = float("inf"), 0
    for i in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            elapsed, rss, _ = _run([*cli, str(corpus), str(Path(tmp) / f"run{i}")])
            best, peak = min(best, elapsed), max(peak, rss)
    rows["pressroom scrub DIR (CLI process)"] = {"seconds": best, "rss": peak, "traced": float("nan")}
    seconds, rss, written = _exiftool(files, repeat)
    rows["exiftool -all= (one batch process)"] = {"seconds": seconds, "rss": rss, "traced": float("nan")}
    exiftool = rows["exiftool -all= (one batch process)"]["seconds"]
    copy = rows["plain file copy"]["seconds"]
    print(f"corpus: {len(files)} images, {megabytes:.1f} MB ({corpus}); best of {repeat} runs")
    print(f"{'method':38} {'seconds':>8} {'img/s':>8} {'MB/s':>8} {'x exiftool':>10} {'x copy time':>11} "
          f"{'peak RSS MB':>11} {'tracemalloc MB':>14}")
    for label, row in rows.items():
        seconds = row["seconds"]
        print(f"{label:38} {seconds:8.3f} {len(files) / seconds:8.1f} {megabytes / seconds:8.1f} "
              f"{exiftool / seconds:10.2f} {seconds / copy:11.1f} {row['rss'] / 1e6:11.1f} {row['traced'] / 1e6:14.1f}")
    print(f"exiftool wrote {written} of {len(files)} files")
    return stages, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--child", choices=sorted(IN_PROCESS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.corpus, args.repeat)
        return 0
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}: pass --corpus DIR or set PRESSROOM_CORPUS", file=sys.stderr)
        return 2
    groups = _formats(_files(args.corpus))
    stages, _ = _table(args.corpus, args.repeat, with_pillow=True)
    if "heic" in groups and len(groups) > 1:
        with tempfile.TemporaryDirectory() as tmp:
            for fmt, paths in groups.items():
                for path in paths if fmt != "heic" else ():
                    (Path(tmp) / path.name).symlink_to(path.resolve())
            print(f"\nwithout HEIC ({len(groups['heic'])} files left out):")
            _table(Path(tmp), args.repeat, with_pillow=False)
    startup = min(_run(["exiftool", "-ver"])[0] for _ in range(args.repeat))
    print(f"\nper input format: pressroom on one thread (best of {args.repeat}) against one exiftool batch "
          f"over the same files (exiftool -ver alone: {startup:.3f}s)")
    print(f"{'format':7} {'files':>5} {'MB':>6} {'scrub s':>8} {'verify s':>8} {'total s':>8} {'exiftool s':>10} "
          f"{'x exiftool':>10}")
    for fmt, paths in groups.items():
        row = stages[fmt]
        total = row["scrub"] + row["verify"]
        seconds, _, _ = _exiftool(paths, args.repeat)
        print(f"{fmt:7} {len(paths):5} {sum(p.stat().st_size for p in paths) / 1e6:6.1f} {row['scrub']:8.3f} "
              f"{row['verify']:8.3f} {total:8.3f} {seconds:10.3f} {seconds / total:10.2f}")
    scrub = sum(row["scrub"] for fmt, row in stages.items() if fmt != "heic")
    verify = sum(row["verify"] for fmt, row in stages.items() if fmt != "heic")
    print(f"without HEIC, one thread: scrub {scrub:.3f}s + verify {verify:.3f}s = {scrub + verify:.3f}s "
          f"({100 * verify / (scrub + verify):.0f}% verifying)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
