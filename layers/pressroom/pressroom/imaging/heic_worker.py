"""The process pillow-heif runs in (see ``heic``): reads one file after another on stdin, answers
each on stdout, and ends when stdin closes. A crash here ends only this process."""
from __future__ import annotations

import json
import os
import struct
import sys

from .heic import transcode
from .result import RejectedImage


def _read(count: int) -> bytes:
    parts, left = [], count
    while left:
        chunk = os.read(0, min(left, 1 << 20))
        if not chunk:
            raise EOFError
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _write(data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(1, view) :]


def serve() -> None:
    sys.stdout = sys.stderr  # nothing printed may corrupt the replies
    while True:
        try:
            size, max_pixels = struct.unpack(">QQ", _read(16))
            data = _read(size)
        except EOFError:
            return
        try:
            result = transcode(data, max_pixels)
        except RejectedImage as exc:
            header = json.dumps({"reason": exc.reason}).encode()
            _write(struct.pack(">I", len(header)) + header)
            continue
        header = json.dumps({"width": result.width, "height": result.height, "removed": result.removed,
                             "captions": result.captions}).encode()
        _write(struct.pack(">I", len(header)) + header + struct.pack(">Q", len(result.data)) + result.data)
