"""Proof that a scrubbed PNG decodes, in memory that does not grow with its pixel count.

A PNG's pixels are a zlib stream of filtered rows, each one filter-type byte and then the row's
packed samples. Undoing the filters cannot fail (every byte is a valid sample), so what can fail
is the structure and the stream, and that is what this proves. Each stream is inflated in pieces
(at most ``_IN`` compressed bytes fed and ``_OUT`` bytes taken out at a time) as the walk through
the chunks reaches it, each piece checked and dropped, and nothing is kept per chunk, so memory
stays a fixed amount whatever the image's size and however many chunks hold it. Checked:

- the signature; every chunk's length and CRC; IHDR first (size 1 to 2^31 - 1, a bit depth its
  colour type allows, compression and filter method 0, interlace 0 or 1); IEND last, empty, with
  nothing after it;
- only the chunks a scrubbed PNG holds, each in the place the specification gives it and, but for
  IDAT, fcTL and fdAT, at most once: colour chunks (cHRM, gAMA, iCCP, sBIT, sRGB, cICP, mDCV,
  cLLI) before PLTE, bKGD and tRNS after it, everything before IDAT except the APNG frame chunks.
  Each has the length its kind has and values in range: sBIT, bKGD and tRNS by colour type and
  bit depth (a palette index inside PLTE, no tRNS with an alpha channel), sRGB intent 0-3, pHYs
  unit 0-1; iCCP a named profile whose zlib stream ends at the chunk's end and inflates to at most
  1 MiB (Pillow, which later steps open these images with, refuses more);
- PLTE present for colour type 3 with at most 2^depth entries, absent for greyscale;
- the IDAT chunks consecutive, their data one zlib stream (Adler-32 checked) that inflates to
  exactly the bytes the rows need (for Adam7 the seven passes' rows, empty passes skipped), every
  row's filter type 0-4, and that ends where the last IDAT's data ends;
- APNG: acTL before IDAT, its frame count that of the fcTL chunks (0 and none, as Pillow writes
  for a lone default image, is a still image); fcTL and fdAT sequence numbers 0, 1, 2, ... in
  file order; every frame inside the canvas, an fcTL before IDAT (whose frame is the IDAT image)
  covering it whole; every frame after IDAT has fdAT data, checked as IDAT's against the frame's
  own size. fcTL or fdAT without acTL is refused (decoders ignore them).

That covers libpng's and Pillow's fatal checks and refuses what they let through in silence or
with a warning, each a place to hide data: bytes after the end of a zlib stream (``png.scrub``
cuts them first, with ``stream_cuts``, as TIFF strips are cut where their stream ends),
decompressed bytes beyond the rows, out-of-place, duplicate or over-long ancillary chunks,
out-of-range tRNS/bKGD/sBIT values, frame chunks of a PNG that is not animated.

Not proven, because it would mean undoing the filters: that the padding bits after the last
sample of a row whose samples do not fill whole bytes are zero.
"""
from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from .result import RejectedImage

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IN = 1 << 16  # compressed bytes fed to zlib at a time
_OUT = 1 << 18  # decompressed bytes taken from zlib at a time
_MAX_ICC = 1 << 20  # PngImagePlugin.MAX_TEXT_CHUNK: Pillow refuses a larger iCCP profile
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))
_BEFORE_PLTE = frozenset(b"cHRM gAMA iCCP sBIT sRGB cICP mDCV cLLI".split())
_AFTER_PLTE = frozenset((b"bKGD", b"tRNS"))
_LENGTHS = {b"IHDR": 13, b"IEND": 0, b"cHRM": 32, b"gAMA": 4, b"sRGB": 1, b"cICP": 4, b"mDCV": 24,
            b"cLLI": 8, b"pHYs": 9, b"acTL": 8, b"fcTL": 26}
_KNOWN = frozenset(_LENGTHS) | _BEFORE_PLTE | _AFTER_PLTE | {b"PLTE", b"IDAT", b"eXIf", b"fdAT"}
_REPEATABLE = frozenset((b"IDAT", b"fcTL", b"fdAT"))
_MAX_INT = 0x7FFFFFFF


@dataclass(frozen=True)
class _Header:
    width: int
    height: int
    depth: int
    colour: int
    interlace: int


def check(data: bytes, size: tuple[int, int] | None = None) -> None:
    """Refuse (``RejectedImage``) ``data`` unless it is a PNG decoders display in full, by the rules
    above, of ``size`` (width, height) when given."""
    _walk(data, size, None)


def stream_cuts(data: bytes) -> dict[int, int]:
    """Where to cut the bytes after the end of a zlib stream: for each IDAT or fdAT stream with any,
    the offset in ``data`` of the chunk where it ends -> how many of that chunk's image-data bytes
    (after an fdAT's sequence number) belong to it. The stream's later chunks hold none. Anything
    else is refused as ``check`` refuses it."""
    cuts: dict[int, int] = {}
    _walk(data, None, cuts)
    return cuts


def _walk(data: bytes, size: tuple[int, int] | None, cuts: dict[int, int] | None) -> None:
    try:
        _chunks(data, size, cuts)
    except (IndexError, struct.error) as exc:
        raise RejectedImage(f"malformed PNG structure: {type(exc).__name__}") from exc


class _Stream:
    """One zlib stream of filtered rows, the IDAT image or an APNG frame's fdAT data, inflated as its
    chunks come: the filter type of every row is checked, the rows' total size enforced."""

    def __init__(self, what: str, header: _Header, width: int, height: int) -> None:
        bits = _CHANNELS[header.colour] * header.depth
        if header.interlace:
            shapes = [((height - y0 + dy - 1) // dy, (width - x0 + dx - 1) // dx) for x0, y0, dx, dy in _ADAM7]
        else:
            shapes = [(height, width)]
        self.what = what
        self.interlaced = bool(header.interlace)
        self.passes = [(number, rows, 1 + (columns * bits + 7) // 8)
                       for number, (rows, columns) in enumerate(shapes, 1) if rows > 0 and columns > 0]
        self.expected = sum(rows * stride for _, rows, stride in self.passes)
        self.produced = self.pass_index = self.row = self.next = 0  # next: offset of the next filter byte
        self.inflater: zlib._Decompress | None = zlib.decompressobj()
        self.chunks = 0
        self.end: tuple[int, int] | None = None  # (offset of the chunk where the stream ends, bytes of it used)
        self.extra = 0  # bytes after the end

    def add(self, offset: int, piece: memoryview) -> None:
        self.chunks += 1
        if self.inflater is None:  # the stream ended in an earlier chunk
            self.extra += len(piece)
            return
        used = _inflate(self.inflater, piece, self._rows, self.what)
        if used is not None:
            self.end = offset, used
            self.extra = len(piece) - used
            self.inflater = None  # its window and state are no longer needed

    def finish(self) -> None:
        if not self.chunks:
            raise RejectedImage(f"APNG {self.what} has no image data")
        if self.end is None:
            raise RejectedImage(f"PNG {self.what}: zlib stream cut short ({self.produced} of the "
                                f"{self.expected} bytes its rows need)")
        if self.produced != self.expected:
            raise RejectedImage(f"PNG {self.what} inflates to {self.produced} bytes, its rows need {self.expected}")

    def _rows(self, out: bytes) -> None:
        start = self.produced
        self.produced = produced = start + len(out)
        if produced > self.expected:
            raise RejectedImage(f"PNG {self.what} inflates to more than the {self.expected} bytes its rows need")
        while self.pass_index < len(self.passes) and self.next < produced:
            number, rows, stride = self.passes[self.pass_index]
            at = self.next - start
            count = min(rows - self.row, (len(out) - at + stride - 1) // stride)
            filters = out[at : at + (count - 1) * stride + 1 : stride]
            if max(filters) > 4:
                bad = next(i for i, kind in enumerate(filters) if kind > 4)
                where = f" of Adam7 pass {number}" if self.interlaced else ""
                raise RejectedImage(f"PNG {self.what}: row {self.row + bad}{where} has filter type "
                                    f"{filters[bad]} (0-4 allowed)")
            self.row += count
            self.next += count * stride
            if self.row == rows:
                self.pass_index, self.row = self.pass_index + 1, 0


def _chunks(data: bytes, size: tuple[int, int] | None, cuts: dict[int, int] | None) -> None:
    """Walk and check every chunk, inflating the image data as it comes. Bytes after the end of a
    zlib stream are refused, or, given ``cuts``, noted there."""
    view = memoryview(data)
    if bytes(view[:8]) != SIGNATURE:
        raise RejectedImage("not a PNG: bad signature")
    header: _Header | None = None
    palette = 0  # PLTE entries
    seen: set[bytes] = set()
    image = frame = None  # the IDAT stream; the APNG frame after IDAT whose fdAT chunks come
    frames: list[int] | None = None  # acTL's frame count, fcTL chunks seen
    sequence = 0
    idat = "before"  # before, in, after the IDAT chunks
    pos, n = len(SIGNATURE), len(data)
    while True:
        if pos + 12 > n:
            raise RejectedImage("truncated PNG: no IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > _MAX_INT or end > n:
            raise RejectedImage(f"truncated or malformed PNG chunk {kind!r}")
        if not kind.isalpha():
            raise RejectedImage("malformed PNG chunk type")
        name = kind.decode()
        body = view[pos + 8 : end - 4]
        if zlib.crc32(view[pos + 4 : end - 4]) != struct.unpack_from(">I", data, end - 4)[0]:
            raise RejectedImage(f"PNG chunk {name} fails its CRC check")
        if kind not in _KNOWN:
            raise RejectedImage(f"PNG chunk {name} is not one a scrubbed PNG holds")
        if kind in seen and kind not in _REPEATABLE:
            raise RejectedImage(f"PNG has more than one {name} chunk")
        if _LENGTHS.get(kind, length) != length:
            raise RejectedImage(f"PNG chunk {name} is {length} bytes long, not {_LENGTHS[kind]}")
        if idat != "before" and kind not in (b"IDAT", b"fcTL", b"fdAT", b"IEND"):
            raise RejectedImage(f"PNG chunk {name} after the image data")
        if palette and kind in _BEFORE_PLTE:
            raise RejectedImage(f"PNG chunk {name} after PLTE")
        seen.add(kind)
        if idat == "in" and kind != b"IDAT":
            idat = "after"
            _finish(image, cuts)

        if kind == b"IHDR":
            header = _header(body)
            if size is not None and (header.width, header.height) != tuple(size):
                raise RejectedImage(f"PNG size {header.width}x{header.height} differs from the expected "
                                    f"{size[0]}x{size[1]}")
        elif header is None:
            raise RejectedImage("PNG does not start with an IHDR chunk")
        elif kind == b"PLTE":
            palette = _palette(header, length, seen)
        elif kind in (b"tRNS", b"bKGD", b"sBIT"):
            _colour_values(header, kind, bytes(body), palette)
        elif kind == b"sRGB" and body[0] > 3:
            raise RejectedImage(f"PNG sRGB rendering intent {body[0]} is not 0-3")
        elif kind == b"pHYs" and body[8] > 1:
            raise RejectedImage(f"PNG pHYs unit {body[8]} is not 0-1")
        elif kind == b"iCCP":
            _profile(body)
        elif kind == b"IDAT":
            if idat == "after":
                raise RejectedImage("PNG IDAT chunks are not consecutive")
            if header.colour == 3 and not palette:
                raise RejectedImage("PNG of colour type 3 has no PLTE before its image data")
            if image is None:
                image = _Stream("image data (IDAT)", header, header.width, header.height)
            idat = "in"
            image.add(pos, body)
        elif kind == b"acTL":
            count, plays = struct.unpack(">II", body)
            if count > _MAX_INT or plays > _MAX_INT:  # 0 frames: Pillow's single default image
                raise RejectedImage(f"APNG acTL declares {count} frames and {plays} plays")
            frames = [count, 0]
        elif kind in (b"fcTL", b"fdAT"):
            if frames is None:
                raise RejectedImage(f"PNG chunk {name} without acTL (not an animated PNG)")
            if len(body) < 4 or struct.unpack_from(">I", body)[0] != sequence:
                raise RejectedImage(f"APNG {name} chunk out of sequence (expected number {sequence})")
            sequence += 1
            if kind == b"fdAT":
                if frame is None:
                    raise RejectedImage("APNG fdAT chunk before the frame control (fcTL) it belongs to")
                frame.add(pos, body[4:])
            else:
                _finish(frame, cuts)
                frames[1] += 1
                width, height = _frame(header, body, frames[1], idat == "before")
                if idat != "before":  # before IDAT, the frame is the IDAT image, checked as such
                    frame = _Stream(f"frame {frames[1]} (fdAT)", header, width, height)
        elif kind == b"IEND":
            if end != n:
                raise RejectedImage(f"PNG has {n - end} bytes after IEND")
            break
        pos = end
    if image is None:
        raise RejectedImage("PNG has no image data (IDAT)")
    _finish(frame, cuts)
    if frames is not None and frames[0] != frames[1]:
        raise RejectedImage(f"APNG acTL declares {frames[0]} frames, the file has {frames[1]}")


def _finish(stream: _Stream | None, cuts: dict[int, int] | None) -> None:
    if stream is None:
        return
    stream.finish()
    if not stream.extra:
        return
    if cuts is None or stream.end is None:
        raise RejectedImage(f"PNG {stream.what} has {stream.extra} bytes after the end of its zlib stream "
                            "(decoders ignore them)")
    cuts[stream.end[0]] = stream.end[1]


def _header(body: memoryview) -> _Header:
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", body)
    if not (0 < width <= _MAX_INT and 0 < height <= _MAX_INT):
        raise RejectedImage(f"PNG IHDR declares an invalid size {width}x{height}")
    if depth not in _DEPTHS.get(colour, ()):
        raise RejectedImage(f"PNG IHDR: bit depth {depth} with colour type {colour} is not a valid combination")
    if compression or filtering or interlace > 1:
        raise RejectedImage(f"PNG IHDR: unknown compression ({compression}), filter ({filtering}) "
                            f"or interlace ({interlace}) method")
    return _Header(width, height, depth, colour, interlace)


def _palette(header: _Header, length: int, seen: set[bytes]) -> int:
    entries = length // 3
    if header.colour in (0, 4):
        raise RejectedImage("PNG PLTE chunk in a greyscale image")
    if seen & _AFTER_PLTE:
        raise RejectedImage("PNG PLTE chunk after bKGD or tRNS")
    if length % 3 or not 1 <= entries <= 256:
        raise RejectedImage(f"PNG PLTE chunk of {length} bytes is not 1-256 entries")
    if header.colour == 3 and entries > 1 << header.depth:
        raise RejectedImage(f"PNG PLTE has {entries} entries, more than {header.depth}-bit indices reach")
    return entries


def _colour_values(header: _Header, kind: bytes, body: bytes, palette: int) -> None:
    """tRNS, bKGD or sBIT: sized by colour type, each value inside the range of its sample."""
    name, colour, depth = kind.decode(), header.colour, header.depth
    if kind == b"sBIT":
        count, top = (1, 3, 3, 2, 4)[(0, 2, 3, 4, 6).index(colour)], 8 if colour == 3 else depth
        if len(body) != count or not all(1 <= bits <= top for bits in body):
            raise RejectedImage(f"PNG sBIT chunk does not fit colour type {colour} at bit depth {depth}")
        return
    if kind == b"tRNS" and colour in (4, 6):
        raise RejectedImage("PNG tRNS chunk in an image with an alpha channel")
    if colour == 3:
        if not palette:
            raise RejectedImage(f"PNG {name} chunk before PLTE")
        if kind == b"tRNS" and not 1 <= len(body) <= palette:
            raise RejectedImage(f"PNG tRNS has {len(body)} entries for a palette of {palette}")
        if kind == b"bKGD" and (len(body) != 1 or body[0] >= palette):
            raise RejectedImage("PNG bKGD is not an index into the palette")
        return
    count = 3 if colour in (2, 6) else 1
    if len(body) != 2 * count or any(v >> depth for v in struct.unpack(f">{count}H", body)):
        raise RejectedImage(f"PNG {name} chunk does not fit colour type {colour} at bit depth {depth}")


def _profile(body: memoryview) -> None:
    name = bytes(body[:80]).partition(b"\x00")[0]
    if not 1 <= len(name) <= 79 or len(body) < len(name) + 2 or body[len(name) + 1] != 0:
        raise RejectedImage("PNG iCCP chunk without a profile name or compression method 0")
    stream = body[len(name) + 2 :]
    total = 0

    def count(out: bytes) -> None:
        nonlocal total
        total += len(out)
        if total > _MAX_ICC:
            raise RejectedImage(f"PNG iCCP profile inflates to more than {_MAX_ICC} bytes")

    used = _inflate(zlib.decompressobj(), stream, count, "iCCP profile")
    if used is None:
        raise RejectedImage("PNG iCCP profile's zlib stream is cut short")
    if used != len(stream):
        raise RejectedImage("PNG iCCP chunk has bytes after the end of its zlib stream")


def _frame(header: _Header, body: memoryview, number: int, first: bool) -> tuple[int, int]:
    """Check an fcTL chunk; return its frame's size."""
    width, height, x, y, _, _, dispose, blend = struct.unpack_from(">IIIIHHBB", body, 4)
    if not (width > 0 and height > 0 and x + width <= header.width and y + height <= header.height):
        raise RejectedImage(f"APNG frame {number} ({width}x{height} at {x},{y}) is not inside the "
                            f"{header.width}x{header.height} canvas")
    if first and (number != 1 or (width, height, x, y) != (header.width, header.height, 0, 0)):
        raise RejectedImage(f"APNG frame {number} before IDAT: only a first frame covering the whole image may be")
    if dispose > 2 or blend > 1:
        raise RejectedImage(f"APNG frame {number} has dispose op {dispose}, blend op {blend}")
    return width, height


def _inflate(inflater: zlib._Decompress, piece: memoryview, feed: Callable[[bytes], None],
             what: str) -> int | None:
    """Feed ``piece`` of a zlib stream to ``inflater``, handing the output to ``feed`` in bounded
    parts; return how many bytes of ``piece`` the stream used if it ended in it, else None."""
    try:
        for at in range(0, len(piece), _IN):
            tail: bytes | memoryview = piece[at : at + _IN]
            fed = at + len(tail)
            while True:
                out = inflater.decompress(tail, _OUT)
                feed(out)
                if inflater.eof:
                    return fed - len(inflater.unused_data)
                tail = inflater.unconsumed_tail
                if not tail and len(out) < _OUT:
                    break
    except zlib.error as exc:
        raise RejectedImage(f"PNG {what} is not a valid zlib stream ({exc})") from None
    return None
