"""TIFF: write a new single-page TIFF holding only IFD0's image-structure tags, the ICC profile
and Orientation; strip or tile data is copied byte for byte, so any bit depth and compression
survives losslessly. EXIF/GPS IFDs, XMP, IPTC, Photoshop resources, make/model/serial/owner and
text tags, SubIFDs and further pages (thumbnails) are dropped. Only uncompressed, Deflate, PackBits
and LZW TIFF is accepted: JPEG strips are JPEG streams that could carry their own metadata, and
the end of a CCITT fax stream is not looked for. A palette image's ColorMap keeps only the entries
its pixels use (the others are zeroed; its length is fixed by the bit depth).

A tag given twice in IFD0 is refused (libtiff reads the first, Pillow the last). Every kept tag
must have a numeric type and the count its meaning gives it (a PlanarConfiguration
written as text is refused, not copied). Uncompressed strips and tiles are cut to the size their
rows need, Deflate, PackBits and LZW ones to where their stream ends (``tiffcodecs``: it must
decode to exactly that size), so a stated size running past the pixels brings nothing along.
Compressed ones are also refused when their stated bytes overlap one another, the header, or any
IFD or tag value of the input (found by a bounded walk of IFD0, its pages, EXIF, GPS,
interoperability and SubIFDs: visited offsets are never revisited).

Tiles: a tile may be at most 256 pixels, or the image's side rounded up to 16 (TIFF's tile grid),
on each side, so the work of inflating one is bounded by the image, not by what the header
declares (a 1x1 image with one Deflate tile declared 32768 square inflated 1 GB). The padding
of a tile that overhangs the image, which no viewer shows, is zeroed: in place for uncompressed
tiles; Deflate tiles with anything else there are inflated, zeroed and deflated again (pixels
unchanged); LZW and PackBits tiles that overhang the image are refused (no encoder here). When
IFD0 has no Orientation tag, the orientation its XMP states (``tiff:Orientation``, which Pillow
honours) is written as the tag.
"""
from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from . import icc, tiffcodecs
from .captions import CaptionReader, xmp_orientation
from .exif import ORIENTATION
from .result import RejectedImage, Removals, Scrubbed, check_pixels

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_INTEGER = frozenset({1, 3, 4})  # BYTE, SHORT, LONG
_NUMERIC = frozenset({1, 3, 4, 5, 6, 8, 9, 10, 11, 12})
_FORMATS = {1: "B", 3: "H", 4: "I"}
_SCALARS = frozenset({256, 257, 259, 262, 266, 277, 278, 284, 296, 317, 322, 323, 531, ORIENTATION})
_RATIONALS = {282: 1, 283: 1, 318: 2, 319: 6, 529: 3, 532: 6}
_PER_SAMPLE = frozenset({258, 339})
_ICC = 34675
_COLORMAP = 320
_STRUCTURE = frozenset({
    256, 257, 258, 259, 262, 266, 277, 278, 282, 283, 284, 296, 301, 317, 318, 319, 320, 322, 323,
    338, 339, 340, 341, 529, 530, 531, 532, _ICC,
})
_DATA = {273: 279, 324: 325}  # offsets tag -> byte counts tag
_COMPRESSIONS = frozenset({1, *tiffcodecs.DECODERS})  # none, or one whose stream's end is found
_NAMES = {
    270: "description", 271: "make", 272: "model", 305: "software", 306: "date", 315: "artist",
    316: "host computer", 700: "XMP", 33432: "copyright", 33723: "IPTC", 34377: "Photoshop resources",
    34665: "EXIF", 34853: "GPS", 42016: "unique id", 50708: "camera model", 50735: "camera serial number",
    330: "SubIFDs", 37724: "Photoshop layers", 40965: "interoperability",
}
_TAG_NAMES = {
    256: "ImageWidth", 257: "ImageLength", 258: "BitsPerSample", 259: "Compression",
    262: "PhotometricInterpretation", 266: "FillOrder", 273: "StripOffsets", 274: "Orientation",
    277: "SamplesPerPixel", 278: "RowsPerStrip", 279: "StripByteCounts", 282: "XResolution",
    283: "YResolution", 284: "PlanarConfiguration", 296: "ResolutionUnit", 301: "TransferFunction",
    317: "Predictor", 318: "WhitePoint", 319: "PrimaryChromaticities", 320: "ColorMap", 322: "TileWidth",
    323: "TileLength", 324: "TileOffsets", 325: "TileByteCounts", 338: "ExtraSamples", 339: "SampleFormat",
    340: "SMinSampleValue", 341: "SMaxSampleValue", 529: "YCbCrCoefficients", 530: "YCbCrSubSampling",
    531: "YCbCrPositioning", 532: "ReferenceBlackWhite", _ICC: "ICC profile",
}
_TEXTS = {270: "description", 315: "creator", 33432: "copyright"}
_POINTERS = frozenset({330, 34665, 34853, 40965})  # SubIFDs, EXIF, GPS, interoperability
_MAX_ENTRIES = 4096
_MAX_IFDS = 64
_MAX_BITS = 64
_WHOLE_IMAGE = 2**32 - 1
MAX_TILE = 256  # pixels a tile side may always be; more only up to the image's side rounded up to 16
_DEFLATE = frozenset({8, 32946})

Value = tuple[int, int, bytes]  # type, count, raw bytes


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    endian = "<" if data[:2] == b"II" else ">"
    n = len(data)
    if n < 8:
        raise RejectedImage("truncated TIFF header")
    (ifd,) = struct.unpack_from(endian + "I", data, 4)
    if ifd < 8 or ifd + 2 > n:
        raise RejectedImage("TIFF first IFD offset points outside the file")
    (count,) = struct.unpack_from(endian + "H", data, ifd)
    if count == 0 or count > _MAX_ENTRIES or ifd + 2 + 12 * count + 4 > n:
        raise RejectedImage("malformed TIFF: first IFD is empty or runs past the end")
    values: dict[int, Value] = {}
    removed = Removals()
    for i in range(count):
        pos = ifd + 2 + 12 * i
        tag, typ, num = struct.unpack_from(endian + "HHI", data, pos)
        if tag in values:  # libtiff reads the first, Pillow's tag table keeps the last
            raise RejectedImage(f"malformed TIFF: IFD0 holds {_name(tag)} twice")
        if typ not in _TYPE_SIZES:
            if tag in _STRUCTURE or tag in _DATA or tag in _DATA.values() or tag == ORIENTATION:
                raise RejectedImage(f"malformed TIFF: {_name(tag)} has an unknown type {typ}")
            removed.add(f"TIFF tag {tag}")
            continue
        size = _TYPE_SIZES[typ] * num
        if size <= 4:
            raw = data[pos + 8 : pos + 8 + size]
        else:
            (off,) = struct.unpack_from(endian + "I", data, pos + 8)
            if off + size > n:
                raise RejectedImage(f"malformed TIFF: tag {tag} value runs past the end of the file")
            raw = data[off : off + size]
        values[tag] = (typ, num, raw)
    (next_ifd,) = struct.unpack_from(endian + "I", data, ifd + 2 + 12 * count)

    layout = _Layout(values, endian)
    check_pixels(layout.width, layout.height, max_pixels)
    offsets_tag = 324 if layout.tiled else 273
    if offsets_tag not in values or _DATA[offsets_tag] not in values:
        raise RejectedImage("TIFF has no strip or tile data")
    offsets = layout.ints(offsets_tag, layout.pieces)
    counts = layout.ints(_DATA[offsets_tag], layout.pieces)
    if any(o + c > n for o, c in zip(offsets, counts)):
        raise RejectedImage("truncated TIFF: image data runs past the end of the file")
    sizes = layout.sizes()
    if layout.compression == 1:
        counts = _cut(counts, sizes)
    _check_apart(list(zip(offsets, counts)), _structures(data, endian, ifd))
    if layout.compression != 1:
        view = memoryview(data)
        counts = [tiffcodecs.stream_length(layout.compression, view[o : o + c], s)
                  for o, c, s in zip(offsets, counts, sizes)]

    captions = CaptionReader()
    texts: dict[str, str] = {}
    for tag, (typ, _num, raw) in values.items():
        if tag == 700 and typ not in (1, 7):  # Pillow reads any other type as text or numbers, then fails
            raise RejectedImage(f"TIFF XMP (tag 700) is stored as type {typ}, not as bytes: decoders disagree on it")
        if tag in _TEXTS and raw.strip(b"\x00 "):
            texts[_TEXTS[tag]] = raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()
        elif tag == 700:
            captions.xmp(raw)
        elif tag == 33723:
            captions.iptc(raw)
        elif tag == 34377:
            captions.photoshop(raw)
        if tag not in _STRUCTURE and tag not in _DATA and tag not in _DATA.values() and tag != ORIENTATION:
            removed.add(f"TIFF {_NAMES.get(tag, f'tag {tag}')}")
    captions.add(CaptionReader.EXIF, texts)
    if next_ifd:
        removed.add("TIFF further pages or thumbnails")
    orientation = layout.scalar(ORIENTATION, 0)
    if not orientation and 700 in values:  # Pillow reads the XMP's when the tag is absent
        orientation = xmp_orientation(values[700][2])
    orientation = orientation if 1 <= orientation <= 8 else 1
    kept = {t: v for t, v in values.items() if t in _STRUCTURE and t != _ICC}
    if _ICC in values:
        profile = icc.clean(values[_ICC][2])
        if profile is None:
            removed.add("ICC profile (malformed)")
        else:
            kept[_ICC] = (7, len(profile), profile)
    view = memoryview(data)
    pieces: list[bytes | memoryview] = [view[o : o + c] for o, c in zip(offsets, counts)]
    if layout.tiled:
        padded = _zero_padding(layout, pieces, sizes)
        if padded:
            removed.add(f"TIFF tile padding outside the image, zeroed: {padded} tiles")
    out = _write(endian, kept, offsets_tag, pieces, orientation)
    if _COLORMAP in kept:  # a palette image: its ColorMap entries no pixel uses are cleared
        kept[_COLORMAP] = _cleared_colormap(out, endian, kept[_COLORMAP])
        out = _write(endian, kept, offsets_tag, pieces, orientation)
    return Scrubbed(out, "tiff", layout.width, layout.height, orientation, removed.lines(), captions.result())


def _cleared_colormap(tiff: bytes, endian: str, colormap: Value) -> Value:
    """``colormap`` (red, green, then blue SHORTs for every index) with every entry the pixels of
    ``tiff`` do not use set to 0. Its length is fixed (2^bits entries), so unused entries could carry
    2 bytes a value; unchanged if Pillow cannot decode the pixels (the verification refuses them)."""
    typ, num, raw = colormap
    entries = num // 3
    try:
        with Image.open(io.BytesIO(tiff), formats=["TIFF"]) as im:
            used = {index for index, count in enumerate(im.histogram()) if count and index < entries}
    except Exception:  # noqa: BLE001 - undecodable: check_decodes refuses the output
        return colormap
    values = struct.unpack(f"{endian}{num}H", raw)
    kept = [value if i % entries in used else 0 for i, value in enumerate(values)]
    return typ, num, struct.pack(f"{endian}{num}H", *kept)


def _name(tag: int) -> str:
    return _TAG_NAMES.get(tag, f"tag {tag}")


class _Layout:
    """IFD0's image-structure tags, each checked for type and count, and the strip/tile layout
    they describe."""

    def __init__(self, values: dict[int, Value], endian: str) -> None:
        self.values, self.endian = values, endian
        self.width, self.height = self.scalar(256), self.scalar(257)
        self.compression = self.scalar(259, 1)
        if self.compression not in _COMPRESSIONS:
            raise RejectedImage(f"TIFF compression {self.compression} is not supported")
        self.samples = self.scalar(277, 1)
        if not 1 <= self.samples <= _MAX_BITS:
            raise RejectedImage(f"malformed TIFF: SamplesPerPixel is {self.samples}")
        self.bits = self.ints(258, self.samples, _INTEGER) if 258 in values else [1] * self.samples
        if not all(1 <= b <= _MAX_BITS for b in self.bits):
            raise RejectedImage(f"malformed TIFF: BitsPerSample {self.bits} out of range")
        self.planar = self.scalar(284, 1)
        if self.planar not in (1, 2):
            raise RejectedImage(f"malformed TIFF: PlanarConfiguration is {self.planar}")
        self.tiled = 324 in values or 322 in values
        self._check_others()
        if self.compression != 1 and self.scalar(266, 1) != 1:
            raise RejectedImage("compressed TIFF with reversed bit order (FillOrder 2) is not supported")
        self.planes = self.samples if self.planar == 2 else 1
        if self.tiled:
            self.across_w, self.down_h = self.scalar(322), self.scalar(323)
            if self.across_w <= 0 or self.down_h <= 0:
                raise RejectedImage("malformed TIFF: empty tile size")
            widest, tallest = max(MAX_TILE, -(-self.width // 16) * 16), max(MAX_TILE, -(-self.height // 16) * 16)
            if self.across_w > widest or self.down_h > tallest:
                raise RejectedImage(f"TIFF tile {self.across_w}x{self.down_h} is larger than its {self.width}x"
                                    f"{self.height} image needs (the limit on tile size: {widest}x{tallest})")
            per_plane = -(-self.width // self.across_w) * -(-self.height // self.down_h)
        else:
            self.across_w = self.width
            self.down_h = min(self.scalar(278, _WHOLE_IMAGE), self.height)
            if self.down_h <= 0:
                raise RejectedImage("malformed TIFF: RowsPerStrip is 0")
            per_plane = -(-self.height // self.down_h)
        self.per_plane = per_plane
        self.pieces = per_plane * self.planes

    def ints(self, tag: int, count: int, types: frozenset[int] = _INTEGER) -> list[int]:
        """The tag's values, refused unless there are ``count`` of them, of one of ``types``."""
        typ, num, raw = self.values[tag]
        if typ not in types or num != count:
            raise RejectedImage(f"malformed TIFF: {_name(tag)} has type {typ} and {num} values, expected "
                                f"{count} number{'s' if count != 1 else ''}")
        return list(struct.unpack(self.endian + _FORMATS[typ] * num, raw)) if typ in _FORMATS else []

    def scalar(self, tag: int, default: int | None = None) -> int:
        if tag not in self.values:
            if default is None:
                raise RejectedImage(f"TIFF is missing required tag {_name(tag)}")
            return default
        return self.ints(tag, 1)[0]

    def _check_others(self) -> None:
        """Type and count of every other tag that is copied or read."""
        for tag, (typ, num, _raw) in self.values.items():
            if tag in _SCALARS:
                self.scalar(tag)
            elif tag in _RATIONALS:
                self.ints(tag, _RATIONALS[tag], frozenset({5}))
            elif tag in _PER_SAMPLE:
                self.ints(tag, self.samples)
            elif tag in (340, 341):
                self.ints(tag, self.samples, _NUMERIC)
            elif tag == 530:
                self.ints(tag, 2)
            elif tag in (301, 320):
                entries = 2 ** self.bits[0]
                expected = {entries, 3 * entries} if tag == 301 else {3 * entries}
                if typ != 3 or num not in expected:
                    raise RejectedImage(f"malformed TIFF: {_name(tag)} has type {typ} and {num} values, "
                                        f"expected {' or '.join(map(str, sorted(expected)))} SHORTs")
            elif tag == 338:
                if typ not in _INTEGER or not 1 <= num <= self.samples:
                    raise RejectedImage(f"malformed TIFF: ExtraSamples has type {typ} and {num} values, "
                                        f"expected at most {self.samples} numbers")
            elif tag == _ICC:
                if typ not in (1, 7):
                    raise RejectedImage(f"malformed TIFF: ICC profile has type {typ}, expected bytes")

    def sizes(self) -> list[int]:
        """Bytes each strip or tile holds once decompressed."""
        if self.photometric_subsampled():
            raise RejectedImage("subsampled YCbCr TIFF is not supported")
        row_bits = [sum(self.bits)] if self.planar == 1 else self.bits
        sizes = []
        for plane in range(self.planes):
            row = -(-self.across_w * row_bits[plane] // 8)
            for i in range(self.per_plane):
                rows = self.down_h if self.tiled else min(self.down_h, self.height - i * self.down_h)
                sizes.append(rows * row)
        return sizes

    def photometric_subsampled(self) -> bool:
        if self.scalar(262, 0) != 6:
            return False
        return (self.ints(530, 2) if 530 in self.values else [2, 2]) != [1, 1]


def _zero_padding(layout: _Layout, pieces: list[bytes | memoryview], sizes: list[int]) -> int:
    """Zero, in ``pieces`` (the tiles, plane by plane), the bytes of every tile that lie outside the
    image; return how many tiles changed."""
    across = -(-layout.width // layout.across_w)
    row_bits = [sum(layout.bits)] if layout.planar == 1 else layout.bits
    changed = 0
    for index, piece in enumerate(pieces):
        plane, at = divmod(index, layout.per_plane)
        down, column = divmod(at, across)
        wide = min(layout.across_w, layout.width - column * layout.across_w)
        high = min(layout.down_h, layout.height - down * layout.down_h)
        if wide == layout.across_w and high == layout.down_h:
            continue
        bits = row_bits[plane]
        stride = -(-layout.across_w * bits // 8)
        if layout.compression == 1:
            raw = bytearray(piece)
        elif layout.compression in _DEFLATE:
            raw = bytearray(zlib.decompress(piece))
        else:
            raise RejectedImage("TIFF LZW or PackBits tiles that extend past the image are not supported "
                                "(their padding, which no viewer shows, cannot be cleared)")
        if len(raw) != sizes[index]:
            raise RejectedImage(f"malformed TIFF: tile {index} holds {len(raw)} bytes, its rows need {sizes[index]}")
        before = bytes(raw)
        used_bits = wide * bits
        for row in range(high):
            start = row * stride + used_bits // 8
            if used_bits % 8:
                raw[start] &= (0xFF00 >> (used_bits % 8)) & 0xFF
                start += 1
            raw[start : (row + 1) * stride] = bytes((row + 1) * stride - start)
        raw[high * stride :] = bytes(len(raw) - high * stride)
        if raw == before:
            continue
        pieces[index] = bytes(raw) if layout.compression == 1 else zlib.compress(bytes(raw), 6)
        changed += 1
    return changed


def _cut(counts: list[int], sizes: list[int]) -> list[int]:
    """Uncompressed strip/tile sizes: exactly what the rows need, never what the file claims."""
    for i, (count, size) in enumerate(zip(counts, sizes)):
        if count < size:
            raise RejectedImage(f"malformed TIFF: strip or tile {i} holds fewer bytes ({count}) than its rows need ({size})")
    return sizes


def _structures(data: bytes, endian: str, first: int) -> list[tuple[int, int]]:
    """Byte ranges of the header, every IFD reachable from IFD0 (further pages, EXIF, GPS,
    interoperability, SubIFDs) and every out-of-line value they hold; at most ``_MAX_IFDS`` IFDs."""
    n = len(data)
    ranges = [(0, 8)]
    queue, seen = [first], set[int]()
    while queue and len(seen) < _MAX_IFDS:
        at = queue.pop()
        if at in seen or at < 8 or at + 2 > n:
            continue
        seen.add(at)
        (count,) = struct.unpack_from(endian + "H", data, at)
        count = min(count, _MAX_ENTRIES, (n - at - 2) // 12)
        end = at + 2 + 12 * count
        ranges.append((at, min(end + 4, n)))
        for pos in range(at + 2, end, 12):
            tag, typ, num = struct.unpack_from(endian + "HHI", data, pos)
            size = _TYPE_SIZES.get(typ, 0) * num
            where = pos + 8 if size <= 4 else struct.unpack_from(endian + "I", data, pos + 8)[0]
            if size > 4:
                ranges.append((where, where + size))
            if tag in _POINTERS and typ in (4, 13) and where + size <= n and len(queue) < _MAX_IFDS:
                queue.extend(struct.unpack_from(endian + "I" * min(num, _MAX_IFDS), data, where))
        if end + 4 <= n:
            queue.append(struct.unpack_from(endian + "I", data, end)[0])
    return ranges


def _check_apart(pieces: list[tuple[int, int]], structures: list[tuple[int, int]]) -> None:
    """Refuse image data overlapping other image data, or any IFD, tag value or the header."""
    spans = sorted([(o, o + c, True) for o, c in pieces if c] + [(a, b, False) for a, b in structures if b > a])
    reach_any = reach_data = 0
    for start, end, is_data in spans:
        if start < (reach_any if is_data else reach_data):
            raise RejectedImage("malformed TIFF: strip or tile data overlaps other data in the file")
        reach_any = max(reach_any, end)
        if is_data:
            reach_data = max(reach_data, end)


def _write(endian: str, tags: dict[int, Value], offsets_tag: int, pieces: list[bytes | memoryview],
           orientation: int) -> bytes:
    """A fresh TIFF: header, IFD0, out-of-line values, then the image data (``pieces``)."""
    counts = [len(piece) for piece in pieces]
    tags = dict(tags)
    tags[_DATA[offsets_tag]] = (4, len(counts), struct.pack(endian + "I" * len(counts), *counts))
    if orientation != 1:
        tags[ORIENTATION] = (3, 1, struct.pack(endian + "H", orientation))

    def head(starts: list[int]) -> bytes:
        tags[offsets_tag] = (4, len(starts), struct.pack(endian + "I" * len(starts), *starts))
        order = sorted(tags)
        extra = 8 + 2 + 12 * len(order) + 4
        parts = [(b"II*\x00" if endian == "<" else b"MM\x00*") + struct.pack(endian + "IH", 8, len(order))]
        blobs = []
        for tag in order:
            typ, num, raw = tags[tag]
            if len(raw) <= 4:
                parts.append(struct.pack(endian + "HHI", tag, typ, num) + raw.ljust(4, b"\x00"))
            else:
                parts.append(struct.pack(endian + "HHII", tag, typ, num, extra))
                blobs.append(raw + b"\x00" * (len(raw) & 1))
                extra += len(blobs[-1])
        return b"".join([*parts, b"\x00" * 4, *blobs])

    start = len(head([0] * len(pieces)))
    starts = []
    for count in counts:
        starts.append(start)
        start += count
    return b"".join([head(starts), *pieces])
