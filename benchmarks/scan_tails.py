"""What closing the one hiding place the JPEG scrubber leaves open would cost: bytes inside a scan
after its last MCU (the scrubber copies scans without decoding them, so it cannot see where the
coded data ends). Finding that end means Huffman-decoding every scan; the ways to do it, timed on
the shared corpus's JPEGs against the scrub as it is (one thread, best of --repeat):

- libjpeg's Huffman decode alone (Pillow at 1/8 scale: every coefficient decoded, little IDCT):
  the least any closing costs, though libjpeg does not report where a scan ended;
- ``jpegtran -copy none -optimize``: a lossless re-encode of the coefficients (pixels unchanged),
  which closes the place by writing new scans; needs the jpegtran binary (libjpeg-turbo-progs),
  which the Lambda runtime does not have.

    python benchmarks/scan_tails.py [--corpus DIR] [--repeat 3]
"""
from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def default_corpus() -> Path:
    beside = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "images"
    return Path(os.environ.get("PRESSROOM_CORPUS") or beside)


def best(repeat: int, func) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=default_corpus())
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from PIL import Image

    from pressroom.imaging import scrub_bytes

    files = [p for p in sorted(args.corpus.iterdir()) if p.read_bytes()[:3] == b"\xff\xd8\xff"]
    datas = [p.read_bytes() for p in files]
    megapixels = 0.0
    for data in datas:
        with Image.open(io.BytesIO(data)) as im:
            megapixels += im.width * im.height / 1e6

    def scrub() -> None:
        for data in datas:
            scrub_bytes(data)

    def huffman() -> None:
        for data in datas:
            with Image.open(io.BytesIO(data)) as im:
                im.draft(im.mode, (im.width // 8, im.height // 8))
                im.load()

    rows = [("pressroom scrub (scans copied)", best(args.repeat, scrub)),
            ("libjpeg Huffman decode (1/8 scale)", best(args.repeat, huffman))]
    jpegtran = shutil.which("jpegtran")
    if jpegtran:
        def transcode() -> None:
            for path in files:
                subprocess.run([jpegtran, "-copy", "none", "-optimize", str(path)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)

        rows.append(("jpegtran -copy none -optimize", best(args.repeat, transcode)))
    print(f"{len(files)} corpus JPEGs, {megapixels:.0f} megapixels, {sum(map(len, datas)) / 1e6:.1f} MB; "
          f"best of {args.repeat}, one thread")
    base = rows[0][1]
    for label, seconds in rows:
        print(f"{label:38} {seconds:7.3f} s  {seconds / base:6.1f}x  {1000 * seconds / megapixels:6.1f} ms/Mpx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
