"""WebP: keep the RIFF image chunks byte for byte, drop EXIF, XMP, unknown chunks and anything
after the RIFF payload. VP8X flags are rewritten to match; animation frames (ANMF) are rebuilt
without unknown sub-chunks. Every frame is decoded to verify it (``webpcheck``), and viewers
composite each onto the whole canvas, so frames times canvas may be at most ``FRAMES_LIMIT`` times
the pixel limit. A minimal EXIF chunk holds Orientation when it is not 1.
"""
from __future__ import annotations

import struct

from . import icc
from .captions import CaptionReader, xmp_orientation
from .exif import ExifFacts, minimal_exif, read_exif
from .result import FRAMES_LIMIT, RejectedImage, Removals, Scrubbed, check_pixels

_IMAGE = frozenset((b"VP8 ", b"VP8L", b"ALPH"))
_ICC_FLAG, _EXIF_FLAG, _XMP_FLAG = 0x20, 0x08, 0x04


def chunk(kind: bytes, body: bytes | memoryview) -> bytes:
    return kind + struct.pack("<I", len(body)) + bytes(body) + (b"\x00" if len(body) & 1 else b"")


def chunks(view: memoryview, start: int, stop: int) -> list[tuple[bytes, memoryview]]:
    """(fourcc, payload) of every chunk in ``view[start:stop]``; RejectedImage when malformed."""
    found = []
    pos = start
    while pos < stop:
        if pos + 8 > stop:
            raise RejectedImage("truncated WebP chunk header")
        kind = bytes(view[pos : pos + 4])
        (size,) = struct.unpack_from("<I", view, pos + 4)
        end = pos + 8 + size
        if end > stop:
            raise RejectedImage(f"truncated WebP chunk {kind!r}")
        found.append((kind, view[pos + 8 : end]))
        pos = end + (size & 1)
    return found


def _bitstream_size(kind: bytes, body: memoryview) -> tuple[int, int]:
    if kind == b"VP8 ":
        if len(body) < 10 or bytes(body[3:6]) != b"\x9d\x01\x2a":
            raise RejectedImage("malformed VP8 bitstream header")
        width, height = struct.unpack_from("<HH", body, 6)
        return width & 0x3FFF, height & 0x3FFF
    if len(body) < 5 or body[0] != 0x2F:
        raise RejectedImage("malformed VP8L bitstream header")
    (bits,) = struct.unpack_from("<I", body, 1)
    return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1


def _frame(body: memoryview, removed: Removals) -> bytes:
    """An ANMF payload with only its frame header and image sub-chunks."""
    if len(body) < 16:
        raise RejectedImage("truncated WebP animation frame")
    parts = [bytes(body[:16])]
    for kind, sub in chunks(body, 16, len(body)):
        if kind in _IMAGE:
            parts.append(chunk(kind, sub))
        else:
            removed.add(f"WebP frame chunk {kind.decode('latin-1').strip()}")
    return b"".join(parts)


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    (riff_size,) = struct.unpack_from("<I", data, 4)
    stop = 8 + riff_size
    if riff_size < 4 or stop > len(data):
        raise RejectedImage("truncated WebP: RIFF size runs past the end of the file")
    removed = Removals()
    captions = CaptionReader()
    found = chunks(view, 12, stop)
    if not found:
        raise RejectedImage("WebP has no chunks")
    first_kind, first = found[0]
    exif: ExifFacts | None = None
    xmp: bytes | None = None
    kept: list[bytes] = []
    flags = 0
    if first_kind == b"VP8X":
        if len(first) < 10:
            raise RejectedImage("malformed WebP VP8X chunk")
        flags = first[0] & ~(_ICC_FLAG | _EXIF_FLAG | _XMP_FLAG)
        width = int.from_bytes(first[4:7], "little") + 1
        height = int.from_bytes(first[7:10], "little") + 1
    elif first_kind in (b"VP8 ", b"VP8L"):
        width, height = _bitstream_size(first_kind, first)
    else:
        raise RejectedImage(f"WebP starts with an unexpected chunk {first_kind!r}")
    check_pixels(width, height, max_pixels)
    has_image, frames = False, 0
    for kind, body in found[1:] if first_kind == b"VP8X" else found:
        if kind in _IMAGE:
            if has_image and first_kind != b"VP8X" and kind != b"ALPH":
                raise RejectedImage("WebP holds a second image after its bitstream")
            kept.append(chunk(kind, body))
            has_image = True
        elif kind == b"ANIM":
            if len(body) < 6:
                raise RejectedImage("malformed WebP ANIM chunk")
            kept.append(chunk(kind, body[:6]))  # background colour and loop count, nothing after
        elif kind == b"ICCP":
            profile = icc.clean(body)
            if profile is None:
                removed.add("ICC profile (malformed)")
            else:
                kept.append(chunk(kind, profile))
                flags |= _ICC_FLAG
        elif kind == b"ANMF":
            kept.append(chunk(kind, _frame(body, removed)))
            has_image, frames = True, frames + 1
        elif kind == b"EXIF":
            tiff = bytes(body)
            facts = read_exif(tiff[6:] if tiff[:6] == b"Exif\x00\x00" else tiff)
            if exif is None:
                exif = facts
                captions.add(CaptionReader.EXIF, facts.texts)
            removed.add(facts.label())
        elif kind == b"XMP ":
            if xmp is None:
                xmp = bytes(body)
                captions.xmp(xmp)
            removed.add("XMP")
        else:
            removed.add(f"WebP chunk {kind.decode('latin-1').strip() or 'unnamed'}")
    if not has_image:
        raise RejectedImage("WebP has no image data")
    if frames * width * height > FRAMES_LIMIT * max_pixels:
        raise RejectedImage(f"WebP animation of {frames} frames of {width}x{height} is over the limit of "
                            f"{FRAMES_LIMIT} x {max_pixels} pixels for all frames together")
    if stop < len(data):
        removed.add(f"trailer: {len(data) - stop} bytes")
    orientation = exif.orientation if exif and exif.orientation else (xmp_orientation(xmp) if xmp else 1)
    if orientation != 1:
        if first_kind != b"VP8X":
            alpha = 0x10 if first_kind == b"VP8L" and first[4] & 0x10 else 0
            header = bytes((alpha, 0, 0, 0)) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
            first_kind, first = b"VP8X", memoryview(header)
        flags |= _EXIF_FLAG
        kept.append(chunk(b"EXIF", minimal_exif(orientation)))
    if first_kind == b"VP8X":
        kept.insert(0, chunk(b"VP8X", bytes((flags,)) + bytes(first[1:10])))
    body = b"WEBP" + b"".join(kept)
    out = b"RIFF" + struct.pack("<I", len(body)) + body
    return Scrubbed(out, "webp", width, height, orientation, removed.lines(), captions.result())
