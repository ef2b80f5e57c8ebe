"""EXIF (TIFF-structured) reading of the few fields the scrubber keeps or reports, and the
minimal EXIF it writes back: only IFD0 Orientation.

Only IFD0, the Exif IFD it points to and the *presence* of a next IFD are looked at; no offset
chain is followed further, so looping or deeply nested IFDs cannot make this hang.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

ORIENTATION = 0x0112
_TEXTS = {0x010E: "description", 0x013B: "creator", 0x8298: "copyright"}
_EXIF_IFD, _GPS_IFD = 0x8769, 0x8825
_SERIALS = {0xA431, 0xA435, 0xC62F, 0xA430}
_DATES = {0x0132, 0x9003, 0x9004}
_MAX_ENTRIES = 1024
_INTEGERS = {1: "B", 3: "H", 4: "I", 6: "b", 8: "h", 9: "i"}  # the types Pillow reads Orientation as a number from
_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


@dataclass
class ExifFacts:
    """What an EXIF block held: its orientation, caption texts and identifying kinds of data."""

    orientation: int | None = None
    #: an IFD0 entry before Orientation has a value running past the block: Pillow stops reading
    #: there (so shows no orientation) where other readers go on
    doubtful: bool = False
    parsed: bool = False  # the block starts with a TIFF header: Pillow can read it
    texts: dict[str, str] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)

    def label(self, name: str = "EXIF") -> str:
        return f"{name} ({', '.join(self.kinds)})" if self.kinds else name


def _ifd(tiff: bytes, offset: int, endian: str) -> tuple[list[tuple[int, int, int, int]], int]:
    """Entries (tag, type, count, entry position) of one IFD and its next-IFD offset."""
    if offset < 8 or offset + 2 > len(tiff):
        return [], 0
    (count,) = struct.unpack_from(endian + "H", tiff, offset)
    count = min(count, _MAX_ENTRIES, (len(tiff) - offset - 2) // 12)
    entries = []
    for i in range(count):
        pos = offset + 2 + 12 * i
        tag, typ, n = struct.unpack_from(endian + "HHI", tiff, pos)
        entries.append((tag, typ, n, pos))
    end = offset + 2 + 12 * count
    nxt = struct.unpack_from(endian + "I", tiff, end)[0] if end + 4 <= len(tiff) else 0
    return entries, nxt


def _value(tiff: bytes, endian: str, typ: int, n: int, pos: int) -> bytes:
    size = _TYPE_SIZES.get(typ, 1) * n
    if size <= 4:
        return tiff[pos + 8 : pos + 8 + size]
    (off,) = struct.unpack_from(endian + "I", tiff, pos + 8)
    return tiff[off : off + size] if off + size <= len(tiff) else b""


def _text(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode("utf-8", "replace").strip()


def read_exif(tiff: bytes | memoryview) -> ExifFacts:
    """Read a TIFF-structured EXIF block (without the ``Exif\\0\\0`` prefix); never raises."""
    facts = ExifFacts()
    tiff = bytes(tiff)
    if tiff[:4] == b"II*\x00":
        endian = "<"
    elif tiff[:4] == b"MM\x00*":
        endian = ">"
    else:
        return facts
    facts.parsed = True
    entries, nxt = _ifd(tiff, struct.unpack_from(endian + "I", tiff, 4)[0], endian)
    kinds: set[str] = set()
    sub: list[tuple[int, int, int, int]] = []
    readable = True  # as Pillow reads IFD0: it stops at the first value it cannot read
    for tag, typ, n, pos in entries:
        if typ in _TYPE_SIZES and _TYPE_SIZES[typ] * n > 4:
            (off,) = struct.unpack_from(endian + "I", tiff, pos + 8)
            readable = readable and off + _TYPE_SIZES[typ] * n <= len(tiff)
        if tag == ORIENTATION and typ in _INTEGERS:
            facts.doubtful = facts.doubtful or not readable
            value = struct.unpack_from(endian + _INTEGERS[typ], tiff, pos + 8)[0] if n == 1 else 1
            facts.orientation = value if 1 <= value <= 8 else 1
        elif tag in _TEXTS and typ in (1, 2, 7):
            text = _text(_value(tiff, endian, typ, n, pos))
            if text:
                facts.texts[_TEXTS[tag]] = text
                kinds.add("artist/copyright" if tag != 0x010E else "description")
        elif tag == _GPS_IFD:
            kinds.add("GPS")
        elif tag == _EXIF_IFD and typ in (4, 13):
            offset = struct.unpack_from(endian + "I", tiff, pos + 8)[0]
            sub = _ifd(tiff, offset, endian)[0]
        kinds.update(_kind(tag))
    for tag, _typ, _n, _pos in sub:
        kinds.update(_kind(tag))
    if nxt:
        kinds.add("thumbnail")
    order = ["GPS", "serial numbers", "MakerNotes", "thumbnail", "dates", "artist/copyright", "description"]
    facts.kinds = [k for k in order if k in kinds]
    return facts


def doubted(facts: ExifFacts | None, orientation: int) -> None:
    """Refuse an ``orientation`` decoders would disagree on: one read after a damaged IFD0 value
    (``ExifFacts.doubtful``), or one taken from XMP beside an EXIF block that does not parse
    (Pillow fails on it, browsers show the picture as stored)."""
    if facts is not None and (facts.doubtful or (not facts.parsed and orientation != 1)):
        from .result import RejectedImage

        raise RejectedImage("EXIF is damaged before its Orientation entry: decoders disagree on how the picture is turned")


def _kind(tag: int) -> set[str]:
    if tag in _SERIALS:
        return {"serial numbers"}
    if tag == 0x927C:
        return {"MakerNotes"}
    if tag in _DATES:
        return {"dates"}
    return set()


def minimal_exif(orientation: int) -> bytes:
    """A big-endian TIFF block whose only entry is IFD0 Orientation."""
    return b"MM\x00*\x00\x00\x00\x08\x00\x01" + struct.pack(">HHIHH", ORIENTATION, 3, 1, orientation, 0) + b"\x00" * 4
