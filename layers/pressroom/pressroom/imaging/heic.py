"""HEIC/HEIF: decode the primary image with pillow-heif (orientation transforms applied, HDR
reduced to 8 bits, any alpha dropped) and re-encode it as a JPEG at quality 95 with the source's
chroma subsampling (4:2:0 from phones, else 4:4:4) and the ICC profile. Everything else in the
container (Exif, XMP, depth maps, thumbnails, other images) is left behind.

pillow-heif (libheif and its codecs, in C) can crash on a malformed file: one non-UTF-8 byte in an
item's type or content type made it segfault. So the decode runs in a worker process
(``heic_worker``, started on first use and kept for the next file; one per thread that needs one),
and a worker that dies or hangs becomes this file's refusal, never the caller's end: in the scrub
function and in every mode of the CLI alike. The crashes known are refused before the worker sees
the file: the item information (``infe``) and auxiliary type (``auxC``) boxes must hold UTF-8 text
and printable item types.
"""
from __future__ import annotations

import atexit
import io
import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import heifbox
from .captions import CaptionReader
from .exif import read_exif
from .result import RejectedImage, Scrubbed, check_pixels

QUALITY = 95
#: seconds a worker may take over one file before it is stopped and the file refused
TIMEOUT = 120.0
_CONTAINERS = frozenset((b"meta", b"iinf", b"iprp", b"ipco"))  # boxes whose children are checked
_FULL = frozenset((b"meta", b"iinf"))  # full boxes: 4 bytes of version and flags before children


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    check_boxes(data)
    heifbox.check_complete(data)  # libheif itself decodes a grid with tiles missing
    return _WORKERS.run(data, max_pixels)


def transcode(data: bytes, max_pixels: int) -> Scrubbed:
    """The conversion itself (run in the worker process)."""
    import pillow_heif

    from . import icc

    captions = CaptionReader()
    removed: list[str] = []
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size
        check_pixels(width, height, max_pixels)
        info = heif.info
        if info.get("exif"):
            raw = info["exif"]
            facts = read_exif(raw[6:] if raw[:6] == b"Exif\x00\x00" else raw)
            captions.add(CaptionReader.EXIF, facts.texts)
            removed.append(facts.label())
        if info.get("xmp"):
            captions.xmp(info["xmp"])
            removed.append("XMP")
        extras = [name for name in ("depth_images", "thumbnails", "aux") if info.get(name)]
        if len(heif) > 1:
            extras.append(f"{len(heif) - 1} other images")
        if extras:
            removed.append(f"HEIC {', '.join(extras).replace('_', ' ')}")
        image = heif.to_pillow()
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        subsampling = 2 if info.get("chroma") == 420 else 0  # as the source: phones store 4:2:0
        profile = icc.clean(info.get("icc_profile") or b"")
        image.save(out, "JPEG", quality=QUALITY, subsampling=subsampling, icc_profile=profile)
    except RejectedImage:
        raise
    except Exception as exc:  # libheif reports malformed input in many ways
        raise RejectedImage(f"HEIC does not decode: {type(exc).__name__}: {exc}") from exc
    removed.append(f"HEIC container (re-encoded as JPEG, quality {QUALITY})")
    return Scrubbed(out.getvalue(), "jpeg", image.width, image.height, 1, removed, captions.result())


# ---- the boxes pillow-heif is known to crash on ------------------------------------------------------

def check_boxes(data: bytes) -> None:
    """Refuse a HEIF whose box structure does not parse, or whose item information or auxiliary
    type boxes hold text that is not UTF-8 or an item type that is not printable ASCII."""
    _walk(memoryview(data), 0, len(data), 0)


def _walk(view: memoryview, start: int, stop: int, depth: int) -> None:
    pos = start
    while pos + 8 <= stop:
        size, kind = struct.unpack_from(">I4s", view, pos)
        header = 8
        if size == 1:
            if pos + 16 > stop:
                raise RejectedImage("malformed HEIF box structure")
            (size,) = struct.unpack_from(">Q", view, pos + 8)
            header = 16
        elif size == 0:
            size = stop - pos
        if size < header or pos + size > stop:
            raise RejectedImage(f"malformed HEIF box structure ({kind!r} runs past its parent)")
        body = view[pos + header : pos + size]
        if kind == b"infe":
            _item_info(bytes(body))
        elif kind == b"auxC":
            _text(bytes(body[4:]).split(b"\x00", 1)[0], "auxiliary type (auxC)")
        elif kind in _CONTAINERS and depth < 8:
            skip = 4 if kind in _FULL else 0
            if kind == b"iinf":
                skip += 2 if body[:1] == b"\x00" else 4  # entry count
            _walk(view, pos + header + skip, pos + size, depth + 1)
        pos += size


def _item_info(body: bytes) -> None:
    """An ``infe`` full box: strings NUL-terminated UTF-8, the item type printable."""
    if len(body) < 4:
        raise RejectedImage("malformed HEIF item information (infe)")
    version = body[0]
    at = 4 + (2 if version < 3 else 4) + 2  # item ID, protection index
    if version >= 2:
        kind = body[at : at + 4]
        if len(kind) != 4 or not all(32 <= c < 127 for c in kind):
            raise RejectedImage("HEIF item information (infe) holds an item type that is not printable text")
        at += 4
        names = 3 if kind == b"mime" else 2 if kind == b"uri " else 1
    else:
        names = 3
    for text in body[at:].split(b"\x00")[:names]:  # libheif reads a string cut short to the box's end
        _text(text, "item information (infe)")


def _text(raw: bytes, where: str) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RejectedImage(f"HEIF {where} holds text that is not UTF-8") from None


# ---- the worker processes -----------------------------------------------------------------------

class _Workers:
    """Idle worker processes, each serving one file at a time over its pipes: a request is the
    file's length, the pixel limit and the file; a reply is a JSON header's length, the header,
    then the JPEG's length and the JPEG. Never pickled: a worker compromised by a hostile file
    could send anything, and a reply is only ever taken for data."""

    def __init__(self) -> None:
        self._idle: list[subprocess.Popen[bytes]] = []
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(self, data: bytes, max_pixels: int) -> Scrubbed:
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None or worker.poll() is not None:
            worker = _start()
        try:
            reply = _exchange(worker, data, max_pixels)
        except BaseException:
            _stop(worker)
            raise
        with self._lock:
            self._idle.append(worker)
        if isinstance(reply, str):
            raise RejectedImage(reply)
        return reply

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            _stop(worker)


def _start() -> subprocess.Popen[bytes]:
    package = Path(__file__).resolve().parents[2]  # the folder holding ``pressroom``
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(package), os.environ.get("PYTHONPATH")]))}
    code = f"from {__package__}.heic_worker import serve; serve()"
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, close_fds=True)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        worker.kill()
    worker.wait()
    for pipe in (worker.stdin, worker.stdout):
        if pipe:
            pipe.close()


def _exchange(worker: subprocess.Popen[bytes], data: bytes, max_pixels: int) -> Scrubbed | str:
    """The worker's JPEG, or the reason it refused the file."""
    assert worker.stdin and worker.stdout
    deadline = time.monotonic() + TIMEOUT
    try:
        worker.stdin.write(struct.pack(">QQ", len(data), max_pixels) + data)
        worker.stdin.flush()
        (length,) = struct.unpack(">I", _read(worker, 4, deadline))
        header = json.loads(_read(worker, length, deadline))
        if "reason" in header:
            return str(header["reason"])
        (size,) = struct.unpack(">Q", _read(worker, 8, deadline))
        jpeg = _read(worker, size, deadline)
        return Scrubbed(jpeg, "jpeg", int(header["width"]), int(header["height"]), 1,
                        [str(line) for line in header["removed"]], dict(header["captions"]))
    except RejectedImage:
        raise
    except (OSError, EOFError, ValueError, KeyError, TypeError, struct.error):
        _stop(worker)
        how = f"signal {-worker.returncode}" if worker.returncode and worker.returncode < 0 else "no reply"
        raise RejectedImage(f"HEIC decoder crashed on this file ({how})") from None


def _read(worker: subprocess.Popen[bytes], count: int, deadline: float) -> bytes:
    assert worker.stdout
    fd = worker.stdout.fileno()
    parts, left = [], count
    while left:
        wait = deadline - time.monotonic()
        if wait <= 0 or not select.select([fd], [], [], wait)[0]:
            _stop(worker)
            raise RejectedImage(f"HEIC decoder took more than {TIMEOUT:.0f} s over this file")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


_WORKERS = _Workers()
