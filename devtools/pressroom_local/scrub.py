"""``pressroom scrub IN OUT [--json]``: scrub one file, or every file under a directory.

Exit 0 when everything was scrubbed; 2 when any input is not a supported, well-formed image
(one line per rejected file on stderr, nothing written for it); 1 when output cannot be written.
In directory mode the relative names are kept; the extension changes only when the file's
real format does not match it (``IMG_1.HEIC`` → ``IMG_1.jpg``), and a name already taken in
this run gets the new extension appended instead (``IMG_1.HEIC.jpg``). Files are scrubbed on a
few threads of the one process, a bounded window ahead, and reported in sorted order.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pressroom.imaging import EXTENSIONS, RejectedImage, ScrubResult, scrub_bytes, write_atomically

_WORKERS = max(1, min(8, os.cpu_count() or 1))
#: extensions that already name each output format
_ALIASES = {"jpeg": {".jpg", ".jpeg", ".jpe"}, "png": {".png"}, "webp": {".webp"}, "gif": {".gif"},
            "tiff": {".tif", ".tiff"}}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``scrub`` subcommand to a ``pressroom`` argument parser."""
    parser = subparsers.add_parser(
        "scrub",
        help="write a copy of an image (or a directory of images) without identifying metadata",
        description="Write a copy of IN without identifying metadata to OUT. Exit 2 if IN is not a "
        "supported, well-formed image (nothing is written for it).",
    )
    parser.add_argument("input", metavar="IN", type=Path, help="image file or directory")
    parser.add_argument("output", metavar="OUT", type=Path, help="output file (or directory when IN is one)")
    parser.add_argument("--json", action="store_true", help="print what was removed and the caption fields read")
    parser.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``scrub`` on its own (the same behaviour as ``pressroom scrub``)."""
    parser = argparse.ArgumentParser(prog="pressroom")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["scrub", *(sys.argv[1:] if argv is None else argv)])
    return args.func(args)


def run(args: argparse.Namespace) -> int:
    """The ``scrub`` subcommand: returns the process exit code."""
    source, target = args.input, args.output
    if source.is_dir():
        return _scrub_directory(source, target, args.json)
    if not source.is_file():
        return _reject(str(source), "no such file")
    try:
        result = scrub_bytes(source.read_bytes())
    except RejectedImage as exc:
        return _reject(str(source), exc.reason)
    if target.is_dir():
        target = target / output_name(source.name, result.format, set())
    if not _write(target, result):
        return 1
    if args.json:
        print(json.dumps(result.as_json(), indent=2, ensure_ascii=False))
    return 0


def output_name(name: str, fmt: str, taken: set[str]) -> str:
    """The output file name for ``name`` once scrubbed to ``fmt``, avoiding names in ``taken``."""
    path = Path(name)
    candidate = name if path.suffix.lower() in _ALIASES[fmt] else path.stem + EXTENSIONS[fmt]
    counter = 1
    while candidate in taken:
        candidate = f"{name}{EXTENSIONS[fmt]}" if counter == 1 else f"{path.stem}-{counter}{EXTENSIONS[fmt]}"
        counter += 1
    return candidate


def _scrub_path(path: Path) -> ScrubResult | str:
    """The scrub of one file, or the reason it was rejected."""
    try:
        return scrub_bytes(path.read_bytes())
    except RejectedImage as exc:
        return exc.reason
    except OSError as exc:
        return f"cannot read: {exc.strerror or exc}"
    except Exception as exc:  # noqa: BLE001 - a fault of ours on one file must not end the run
        return f"could not be scrubbed ({type(exc).__name__}: {exc})"


def _in_order(paths: list[Path]) -> Iterator[tuple[Path, ScrubResult | str]]:
    """Scrub on a few threads (the decoders release the GIL), a bounded window ahead, in order."""
    with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
        pending: deque[tuple[Path, Future[ScrubResult | str]]] = deque()
        for path in paths:
            pending.append((path, pool.submit(_scrub_path, path)))
            if len(pending) > 2 * _WORKERS:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


def _scrub_directory(source: Path, target: Path, as_json: bool) -> int:
    report: dict[str, Any] = {}
    taken: dict[Path, set[str]] = {}
    status = 0
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(f"pressroom scrub: {target}: cannot write: {exc.strerror or exc} (OUT must be a folder when IN is)",
              file=sys.stderr)
        return 1
    inside = target.resolve()
    paths = sorted(p for p in source.rglob("*") if p.is_file() and inside not in p.resolve().parents)
    for path, result in _in_order(paths):
        relative = path.relative_to(source)
        key = relative.as_posix()
        if isinstance(result, str):
            status = _reject(key, result)
            report[key] = {"rejected": result}
            continue
        folder = target / relative.parent
        names = taken.setdefault(folder, set())
        out = folder / output_name(relative.name, result.format, names)
        names.add(out.name)
        folder.mkdir(parents=True, exist_ok=True)
        if not _write(out, result):
            return 1
        report[key] = {"output": out.relative_to(target).as_posix(), **result.as_json()}
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    return status


def _write(target: Path, result: ScrubResult) -> bool:
    try:
        write_atomically(target, result.data)
    except OSError as exc:
        print(f"pressroom scrub: {target}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def _reject(name: str, reason: str) -> int:
    print(f"pressroom scrub: {name}: rejected: {reason}", file=sys.stderr)
    return 2
