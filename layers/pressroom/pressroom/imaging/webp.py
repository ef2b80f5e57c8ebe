"""WebP: keep the RIFF image chunks byte for byte, drop EXIF, XMP, unknown chunks and anything
after the RIFF payload. VP8X flags are rewritten to match; animation frames (ANMF) are rebuilt
without unknown sub-chunks. Every frame is decoded to verify it (``webpcheck``), and viewers
composite each onto the whole canvas, so frames times canvas may be at most ``FRAMES_LIMIT`` times
the pixel limit. A minimal EXIF chunk holds Orientation when it is not 1.

Each VP8 or VP8L chunk is cut to where its bitstream ends (``libwebp.used_length``, decoding it:
bytes after the end are read by no decoder), and an ALPH chunk to what its alpha plane needs (raw:
one byte a pixel; compressed: the shortest length that still decodes, found by decoding). An ALPH
chunk is kept only directly before the VP8 bitstream it belongs to (a lossless VP8L carries its own
alpha); only the first ICCP chunk is kept (decoders read no other). In a simple-format file (no
VP8X) no decoder reads ICCP, EXIF or XMP chunks: they go, and their orientation is not applied. An input libwebp's demuxer
refuses (through Pillow's open) is refused: no viewer built on libwebp shows it.
"""
from __future__ import annotations

import io
import struct

from PIL import Image

from . import icc, libwebp
from .captions import CaptionReader, xmp_orientation
from .exif import ExifFacts, doubted, minimal_exif, read_exif
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
    """An ANMF payload with only its frame header and its image sub-chunks, each cut to its end."""
    if len(body) < 16:
        raise RejectedImage("truncated WebP animation frame")
    size = (int.from_bytes(body[6:9], "little") + 1, int.from_bytes(body[9:12], "little") + 1)
    found = []
    for kind, sub in chunks(body, 16, len(body)):
        if kind in _IMAGE:
            found.append((kind, sub))
        else:
            removed.add(f"WebP frame chunk {kind.decode('latin-1').strip()}")
    return bytes(body[:16]) + b"".join(_bitstreams(found, size, removed))


def _bitstreams(found: list[tuple[bytes, memoryview]], size: tuple[int, int], removed: Removals) -> list[bytes]:
    """The image chunks of one picture (ALPH, VP8, VP8L in file order) as kept: an ALPH chunk only
    directly before a VP8 one, every chunk cut to the bytes its bitstream uses."""
    kept = []
    for index, (kind, body) in enumerate(found):
        following = found[index + 1][0] if index + 1 < len(found) else b""
        if kind == b"ALPH":
            if following != b"VP8 ":
                removed.add("WebP ALPH chunk with no VP8 bitstream after it")
                continue
            kept.append(chunk(kind, _alpha(body, found[index + 1][1], size, removed)))
            continue
        used = libwebp.used_length(kind, body, size)
        if used < len(body):
            removed.add(f"WebP {kind.decode().strip()} bytes after the end of its bitstream: {len(body) - used}")
        kept.append(chunk(kind, body[:used]))
    return kept


def _alpha(body: memoryview, vp8: memoryview, size: tuple[int, int], removed: Removals) -> memoryview:
    """An ALPH payload cut to what its alpha plane needs: raw, a byte a pixel after its header byte;
    compressed, the shortest length with which the picture still decodes."""
    if not body:
        raise RejectedImage("empty WebP ALPH chunk")
    if body[0] & 0x03 == 0:
        need = 1 + size[0] * size[1]
        if len(body) < need:
            raise RejectedImage("WebP ALPH chunk holds fewer bytes than its alpha plane")
    else:
        need = libwebp.alpha_length(body, vp8, size)
    if need < len(body):
        removed.add(f"WebP ALPH bytes after the end of its alpha plane: {len(body) - need}")
    return body[:need]


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
    try:  # libwebp's demuxer, which every decoder built on it goes through, must take the input
        with Image.open(io.BytesIO(data), formats=["WEBP"]):
            pass
    except Exception as exc:  # noqa: BLE001 - any demuxer failure: no viewer shows this file
        raise RejectedImage(f"WebP container does not parse (libwebp's demuxer): {exc}") from None
    has_image, frames, profiles = False, 0, 0
    pending: list[tuple[bytes, memoryview]] = []  # the picture's image chunks, kept where the first was
    for kind, body in found[1:] if first_kind == b"VP8X" else found:
        if kind in _IMAGE:
            if kind != b"ALPH" and any(k != b"ALPH" for k, _ in pending):
                raise RejectedImage("WebP holds a second image after its bitstream")
            if not pending:
                kept.append(b"")  # the place the image chunks go
                at = len(kept) - 1
            pending.append((kind, body))
            has_image = has_image or kind != b"ALPH"
        elif kind == b"ANIM":
            if len(body) < 6:
                raise RejectedImage("malformed WebP ANIM chunk")
            kept.append(chunk(kind, body[:6]))  # background colour and loop count, nothing after
        elif kind in (b"ICCP", b"EXIF", b"XMP ") and first_kind != b"VP8X":
            # a simple-format file: libwebp's demuxer reads no chunk but the bitstream
            if kind == b"XMP ":
                captions.xmp(bytes(body))
            removed.add(f"WebP {kind.decode().strip()} chunk of a simple-format file (no decoder reads it)")
        elif kind == b"ICCP":
            profiles += 1
            profile = icc.clean(body) if profiles == 1 else b""
            if profiles > 1:
                removed.add("WebP ICC profile after the first (unread)")
            elif profile is None:
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
    if pending:
        kept[at] = b"".join(_bitstreams(pending, (width, height), removed))
    if frames * width * height > FRAMES_LIMIT * max_pixels:
        raise RejectedImage(f"WebP animation of {frames} frames of {width}x{height} is over the limit of "
                            f"{FRAMES_LIMIT} x {max_pixels} pixels for all frames together")
    if stop < len(data):
        removed.add(f"trailer: {len(data) - stop} bytes")
    orientation = exif.orientation if exif and exif.orientation else (xmp_orientation(xmp) if xmp else 1)
    doubted(exif, orientation)
    if orientation != 1:
        if first_kind != b"VP8X":
            alpha = 0x10 if first_kind == b"VP8L" and first[4] & 0x10 else 0
            header = bytes((alpha, 0, 0, 0)) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
            first_kind, first = b"VP8X", memoryview(header)
        flags |= _EXIF_FLAG
        kept.append(chunk(b"EXIF", minimal_exif(orientation)))
    if first_kind == b"VP8X":
        kept.insert(0, chunk(b"VP8X", bytes((flags,)) + bytes(first[1:10])))
    riff_body = b"WEBP" + b"".join(kept)
    out = b"RIFF" + struct.pack("<I", len(riff_body)) + riff_body
    return Scrubbed(out, "webp", width, height, orientation, removed.lines(), captions.result())
