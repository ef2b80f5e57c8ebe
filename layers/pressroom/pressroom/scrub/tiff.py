"""TIFF: write a new single-page TIFF holding only IFD0's image-structure tags, the ICC profile
and Orientation; strip or tile data is copied byte for byte, so any bit depth and compression
survives losslessly. EXIF/GPS IFDs, XMP, IPTC, Photoshop resources, make/model/serial/owner and
text tags, SubIFDs and further pages (thumbnails) are dropped. Only IFD0 is read: looping or
deep offset chains are never followed. JPEG-compressed TIFF is refused (its strips are JPEG
streams that could carry their own metadata).
"""
from __future__ import annotations

import struct

from . import icc
from .captions import CaptionReader
from .exif import ORIENTATION
from .result import RejectedImage, Removals, Scrubbed, check_pixels

_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_STRUCTURE = frozenset({
    256, 257, 258, 259, 262, 266, 277, 278, 282, 283, 284, 296, 301, 317, 318, 319, 320, 322, 323,
    338, 339, 340, 341, 529, 530, 531, 532, 34675,
})
_DATA = {273: 279, 324: 325}  # offsets tag -> byte counts tag
_COMPRESSIONS = frozenset({1, 2, 3, 4, 5, 8, 32773, 32946})
_NAMES = {
    270: "description", 271: "make", 272: "model", 305: "software", 306: "date", 315: "artist",
    316: "host computer", 700: "XMP", 33432: "copyright", 33723: "IPTC", 34377: "Photoshop resources",
    34665: "EXIF", 34853: "GPS", 42016: "unique id", 50708: "camera model", 50735: "camera serial number",
    330: "SubIFDs", 37724: "Photoshop layers", 40965: "interoperability",
}
_TEXTS = {270: "description", 315: "creator", 33432: "copyright"}
_MAX_ENTRIES = 4096
_ICC = 34675


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
    values: dict[int, tuple[int, int, bytes]] = {}
    removed = Removals()
    for i in range(count):
        pos = ifd + 2 + 12 * i
        tag, typ, num = struct.unpack_from(endian + "HHI", data, pos)
        if typ not in _TYPE_SIZES:
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

    def number(tag: int, default: int | None = None) -> int:
        if tag not in values:
            if default is None:
                raise RejectedImage(f"TIFF is missing required tag {tag}")
            return default
        return _ints(values[tag], endian)[0]

    width, height = number(256), number(257)
    check_pixels(width, height, max_pixels)
    if number(259, 1) not in _COMPRESSIONS:
        raise RejectedImage(f"TIFF compression {number(259, 1)} is not supported")
    offsets_tag = 324 if 324 in values else 273
    if offsets_tag not in values or _DATA[offsets_tag] not in values:
        raise RejectedImage("TIFF has no strip or tile data")
    offsets = _ints(values[offsets_tag], endian)
    counts = _ints(values[_DATA[offsets_tag]], endian)
    if len(offsets) != len(counts) or not offsets:
        raise RejectedImage("malformed TIFF: strip offsets and byte counts disagree")
    if any(o + c > n for o, c in zip(offsets, counts)):
        raise RejectedImage("truncated TIFF: image data runs past the end of the file")
    captions = CaptionReader()
    texts: dict[str, str] = {}
    for tag, (_typ, _num, raw) in values.items():
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
    orientation = number(ORIENTATION, 1)
    orientation = orientation if 1 <= orientation <= 8 else 1
    out = _write(data, endian, values, offsets_tag, offsets, counts, orientation)
    return Scrubbed(out, "tiff", width, height, orientation, removed.lines(), captions.result())


def _ints(value: tuple[int, int, bytes], endian: str) -> list[int]:
    typ, num, raw = value
    code = {1: "B", 3: "H", 4: "I", 13: "I", 16: "Q"}.get(typ)
    if code is None:
        raise RejectedImage("malformed TIFF: numeric tag of a non-integer type")
    return list(struct.unpack(endian + code * num, raw))


def _write(data: bytes, endian: str, values: dict[int, tuple[int, int, bytes]], offsets_tag: int,
           offsets: list[int], counts: list[int], orientation: int) -> bytes:
    """A fresh TIFF: header, IFD0, out-of-line values, then the image data."""
    tags = {t: v for t, v in values.items() if t in _STRUCTURE and t != _ICC}
    profile = icc.clean(values[_ICC][2]) if _ICC in values else None
    if profile is not None:
        tags[_ICC] = (7, len(profile), profile)
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

    start = len(head([0] * len(offsets)))
    starts = []
    for count in counts:
        starts.append(start)
        start += count
    view = memoryview(data)
    return b"".join([head(starts), *(view[o : o + c] for o, c in zip(offsets, counts))])
