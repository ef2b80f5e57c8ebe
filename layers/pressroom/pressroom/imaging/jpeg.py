"""JPEG: keep the image data byte for byte, drop every metadata segment and anything after EOI.

Kept: SOI, a rebuilt JFIF APP0 without thumbnail, the ICC profile (reassembled, cleaned by ``icc``
and re-chunked), the last Adobe APP14 before the first scan (the one libjpeg reads) cut to its 12
defined bytes (needed to decode CMYK/YCCK colours), the restart interval (DRI), the frame header, scans with their entropy-coded data
(restart markers included) and EOI. A minimal EXIF APP1 holding only Orientation is written when
the original orientation (EXIF, else XMP tiff:Orientation, as Pillow reads it) is not 1.

Tables (DQT, DHT, DAC) are split into their definitions and only those a decoder uses are kept,
byte for byte, in place: a definition is used when it is the one in force (the last one given for
its destination before the scan) for a scan that reads it (ITU T.81: a quantisation table when a
component's first scan starts, the decoder latching it; a DC Huffman/conditioning table in
sequential and lossless scans and the first DC scan of a progressive image, never in a DC
refinement; an AC one in sequential scans and progressive AC scans; Huffman tables only in
Huffman frames, conditioning tables only in arithmetic ones). A segment left with no definition is
dropped. An unused table would otherwise carry up to 273 bytes of anything. A table segment holding
anything but whole, well-formed definitions is refused, as are hierarchical (multi-frame) JPEGs,
which no decoder we publish to reads; DNL (height 0 is refused) is dropped, and any marker
libjpeg stops at (reserved, JPG extensions, DHP/EXP, a second SOI) refused.

Refused besides: a side over 65,500 pixels (libjpeg's JPEG_MAX_DIMENSION: no decoder built on it
opens such a file), more than ``MAX_SCANS`` scans (every scan is a pass over the image for every
later decoder: 4,000 one-byte scans of a 10000x10000 image took 22 s; djpeg's -maxscans guards the
same), and a TEM marker (0xFF01), which libjpeg reads as the end of the scan it sits in. Between
segments, bytes are skipped as libjpeg skips them (0xFF 0x00 is no marker there).

What survives, since finding it would mean Huffman-decoding every scan (the scans are copied, not
decoded): bytes placed inside a scan after its last MCU, before the marker that ends it (the next
segment, a restart marker or EOI). Decoders read up to a few of them into their bit buffer and
skip the rest, so pixels are unchanged and exiftool shows nothing.

Captions are read before removal from EXIF, IPTC, the first XMP packet and the extended XMP it
names (XMP part 3, 1.1.3.1): the portions carrying its GUID, in any order, must make exactly one
serialisation of at most 4 MB whose MD5 is that GUID.
"""
from __future__ import annotations

import re
import struct

from . import icc
from .captions import CaptionReader, xmp_orientation
from .exif import ExifFacts, doubted, minimal_exif, read_exif
from .result import RejectedImage, Removals, Scrubbed, check_pixels

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_HIERARCHICAL = frozenset({0xC5, 0xC6, 0xC7, 0xCD, 0xCE, 0xCF})
_PROGRESSIVE = frozenset({0xC2, 0xCA})
_LOSSLESS = frozenset({0xC3, 0xCB})
_DHT, _DQT, _DAC, _DRI = 0xC4, 0xDB, 0xCC, 0xDD
_TABLE_NAMES = {_DHT: "Huffman table", _DQT: "quantisation table", _DAC: "arithmetic conditioning table"}
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
_SCAN_END = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
_ICC = b"ICC_PROFILE\x00"
_ICC_CHUNK = 0xFFFF - 2 - len(_ICC) - 2
_MAX_EXTENDED_XMP = 4 << 20  # as PNG text chunks
MAX_SIDE = 65500  # libjpeg's JPEG_MAX_DIMENSION
MAX_SCANS = 100  # a progressive encoder writes about 10 (libjpeg) to 30 (mozjpeg's search)


def app_name(payload: memoryview | bytes) -> str:
    """The printable identifier at the start of an APPn payload, for reports."""
    ident = bytes(payload[:32]).split(b"\x00", 1)[0]
    text = "".join(chr(c) for c in ident if 32 < c < 127)
    return text[:24] or "unnamed"


def segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def icc_segments(chunks: list[bytes], removed: Removals) -> bytes:
    """APP2 segments holding the cleaned ICC profile assembled from ``chunks`` (each payload after
    the identifier: sequence number, count, data); nothing when they do not make one profile."""
    ordered = sorted(chunks, key=lambda c: c[0])
    if [c[0] for c in ordered] != list(range(1, len(ordered) + 1)) or any(c[1] != len(ordered) for c in ordered):
        removed.add("ICC profile (chunks do not make one profile)")
        return b""
    profile = icc.clean(b"".join(c[2:] for c in ordered))
    if profile is None:
        removed.add("ICC profile (malformed)")
        return b""
    parts = [profile[i : i + _ICC_CHUNK] for i in range(0, len(profile), _ICC_CHUNK)]
    return b"".join(segment(0xE2, _ICC + bytes((i, len(parts))) + part) for i, part in enumerate(parts, 1))


def extended_xmp(portions: list[memoryview], guid: str, removed: Removals) -> bytes:
    """The extended XMP the main packet names by ``guid``, joined from the portions carrying that
    GUID (each payload after the namespace: GUID, full length, offset, data); b"" when they do not
    make it. Every portion is reported removed, saying so when it is not read."""
    key = guid.encode()
    ours = [p for p in portions if p[:32] == key] if len(key) == 32 else []
    for _ in range(len(portions) - len(ours)):
        removed.add("extended XMP (not the main packet's, not read)")
    whole, problem = join_extension(ours)
    for _ in ours:
        removed.add(f"extended XMP ({problem}, not read)" if problem else "extended XMP")
    return whole


def join_extension(portions: list[memoryview]) -> tuple[bytes, str]:
    """The serialisation the portions make, in any order, or b"" and why not: each must hold some
    of it, all must state one full length, at most ``_MAX_EXTENDED_XMP``, and cover it exactly once."""
    if not portions:
        return b"", ""
    if any(len(p) <= 40 for p in portions):
        return b"", "incomplete or inconsistent"
    heads = [struct.unpack_from(">II", p, 32) for p in portions]
    full = heads[0][0]
    if any(length != full for length, _offset in heads):
        return b"", "incomplete or inconsistent"
    if full > _MAX_EXTENDED_XMP:
        return b"", "over 4 MB"
    ordered = sorted(zip(heads, portions), key=lambda hp: hp[0][1])
    pos = 0
    for (_length, offset), portion in ordered:
        if offset != pos:
            return b"", "incomplete or inconsistent"
        pos += len(portion) - 40
    if pos != full:
        return b"", "incomplete or inconsistent"
    return b"".join(portion[40:] for _head, portion in ordered), ""


class _Table:
    """One definition from a DHT, DQT or DAC segment: its destination, its bytes, whether used."""

    __slots__ = ("key", "raw", "used")

    def __init__(self, key: tuple[int, int, int], raw: bytes) -> None:
        self.key, self.raw, self.used = key, raw, False


def split_tables(marker: int, payload: memoryview) -> list[_Table]:
    """The definitions of a DHT, DQT or DAC payload, keyed (marker, class, destination) (class 0
    for DQT, whose precision is no part of its destination); ``RejectedImage`` for a class,
    precision or destination T.81 does not define, a definition cut short or bytes after the last."""
    tables = []
    pos, n = 0, len(payload)
    while pos < n:
        kind, index = payload[pos] >> 4, payload[pos] & 0x0F
        if marker == _DHT:
            size = 17 + sum(payload[pos + 1 : pos + 17]) if pos + 17 <= n else n + 1
        elif marker == _DQT:
            size = 1 + 64 * (kind + 1)
        else:
            size = 2
        if kind > 1 or index > 3 or pos + size > n or size > 17 + 256:
            raise RejectedImage(f"malformed JPEG {_TABLE_NAMES[marker]} segment")
        tables.append(_Table((marker, 0 if marker == _DQT else kind, index), bytes(payload[pos : pos + size])))
        pos += size
    return tables


class _TableUse:
    """The definitions in force, and which of them the scans of the frame read (module docstring)."""

    def __init__(self) -> None:
        self.in_force: dict[tuple[int, int, int], _Table] = {}
        self.quant: dict[int, int] = {}  # component -> quantisation table destination
        self.latched: set[int] = set()
        self.progressive = self.lossless = False
        self.coder = _DHT

    def frame(self, marker: int, payload: memoryview) -> None:
        count = payload[5]
        if len(payload) != 6 + 3 * count:
            raise RejectedImage("malformed JPEG frame header")
        self.progressive = marker in _PROGRESSIVE
        self.lossless = marker in _LOSSLESS
        self.coder = _DAC if marker >= 0xC9 else _DHT
        self.quant = {payload[6 + 3 * i]: payload[8 + 3 * i] for i in range(count)}

    def define(self, tables: list[_Table]) -> None:
        for table in tables:
            self.in_force[table.key] = table

    def scan(self, payload: memoryview) -> None:
        """Mark the definitions the scan with this SOS header reads."""
        count = payload[0] if payload else 0
        if not count or len(payload) != 4 + 2 * count:
            raise RejectedImage("malformed JPEG scan header")
        ss, ah = payload[1 + 2 * count], payload[3 + 2 * count] >> 4
        dc = self.lossless or not self.progressive or (ss == 0 and ah == 0)
        ac = not self.lossless and (not self.progressive or ss > 0)
        for i in range(count):
            ident, selectors = payload[1 + 2 * i], payload[2 + 2 * i]
            if ident not in self.quant:
                raise RejectedImage("JPEG scan names a component its frame lacks")
            keys = []
            if dc:
                keys.append((self.coder, 0, selectors >> 4))
            if ac:
                keys.append((self.coder, 1, selectors & 0x0F))
            if not self.lossless and ident not in self.latched:
                self.latched.add(ident)
                keys.append((_DQT, 0, self.quant[ident]))
            for key in keys:
                if key in self.in_force:
                    self.in_force[key].used = True


def table_segment(marker: int, tables: list[_Table], removed: Removals) -> bytes:
    """The segment re-emitted with only the used definitions; nothing when none is used."""
    for table in tables:
        if not table.used:
            removed.add(f"unused {_TABLE_NAMES[marker]}")
    payload = b"".join(table.raw for table in tables if table.used)
    return segment(marker, payload) if payload else b""


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    removed = Removals()
    captions = CaptionReader()
    kept: list[memoryview | tuple[int, list[_Table]]] = []
    use = _TableUse()
    jfif = b""
    exif: ExifFacts | None = None
    xmp: bytes | None = None
    xmp_turns: set[int] = set()  # tiff:Orientation of every main XMP packet (Pillow reads the last)
    guid = ""
    extension: list[memoryview] = []
    photoshop: list[bytes] = []
    profile: list[bytes] = []
    adobe: tuple[int, bytes] | None = None  # where the Adobe segment goes, its 12 bytes
    size: tuple[int, int] | None = None
    scans = 0
    pos = 2
    while True:
        if pos + 2 > n:
            raise RejectedImage("truncated JPEG: no end-of-image marker")
        if data[pos] != 0xFF:
            pos = data.find(b"\xff", pos)
            if pos < 0:
                raise RejectedImage("truncated JPEG: no end-of-image marker")
            removed.add("stray bytes between segments")
            continue
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0x00:  # no marker: libjpeg skips it with the stray bytes
            removed.add("stray bytes between segments")
            pos += 2
            continue
        if marker == 0x01:
            raise RejectedImage("JPEG holds a TEM marker (0xFF01), which libjpeg reads as the end of a scan")
        if marker == 0xD9:
            if not scans:
                raise RejectedImage("JPEG has no image data before its end-of-image marker")
            break
        if marker == 0xD8:
            raise RejectedImage("JPEG holds a second start-of-image marker")
        if marker in _STANDALONE:  # restart markers outside a scan: libjpeg skips them
            pos += 2
            continue
        if pos + 4 > n:
            raise RejectedImage("truncated JPEG segment header")
        length = (data[pos + 2] << 8) | data[pos + 3]
        end = pos + 2 + length
        if length < 2 or end > n:
            raise RejectedImage(f"truncated or malformed JPEG segment 0xFF{marker:02X}")
        payload = view[pos + 4 : end]
        if marker in _SOF:
            if marker in _HIERARCHICAL or size is not None:
                raise RejectedImage("hierarchical JPEG (more than one frame) is not supported")
            if len(payload) < 6:
                raise RejectedImage("malformed JPEG frame header")
            height, width = struct.unpack_from(">HH", payload, 1)
            if height == 0:
                raise RejectedImage("JPEG height defined by a DNL marker is not supported")
            if max(width, height) > MAX_SIDE:
                raise RejectedImage(f"JPEG is {width}x{height}: a side over {MAX_SIDE} pixels, which libjpeg "
                                    "does not decode")
            check_pixels(width, height, max_pixels)
            size = (width, height)
            use.frame(marker, payload)
            kept.append(view[pos:end])
        elif marker == 0xDA:
            if size is None:
                raise RejectedImage("JPEG scan before any frame header")
            use.scan(payload)
            if scans == MAX_SCANS:
                raise RejectedImage(f"JPEG has more than {MAX_SCANS} scans (the limit on progressive scans: "
                                    "each is a pass over the image for every decoder)")
            match = _SCAN_END.search(data, end)
            if match is None:
                raise RejectedImage("truncated JPEG: scan data has no end")
            kept.append(view[pos : match.start()])
            scans += 1
            pos = match.start()
            continue
        elif marker in _TABLE_NAMES:
            tables = split_tables(marker, payload)
            use.define(tables)
            kept.append((marker, tables))
        elif marker == _DRI:
            if length != 4:
                raise RejectedImage("malformed JPEG restart interval")
            kept.append(view[pos:end])
        elif marker == 0xE0:
            if payload[:5] == b"JFIF\x00" and len(payload) >= 14 and not jfif and not scans:
                jfif = segment(0xE0, bytes(payload[:12]) + b"\x00\x00")
                if payload[12] or payload[13]:
                    removed.add("JFIF thumbnail")
            elif payload[:5] == b"JFXX\x00":
                removed.add("JFXX thumbnail")
            else:
                removed.add(f"APP0 {app_name(payload)}")
        elif marker == 0xE1 and payload[:6] == b"Exif\x00\x00":
            facts = read_exif(payload[6:])
            if exif is None:
                exif = facts
                captions.add(CaptionReader.EXIF, facts.texts)
            removed.add(facts.label())
        elif marker == 0xE1 and payload[: len(_XMP)] == _XMP:
            if xmp is None:
                xmp = bytes(payload[len(_XMP) :])
                guid = captions.xmp(xmp)
            xmp_turns.add(xmp_orientation(bytes(payload[len(_XMP) :])))
            removed.add("XMP")
        elif marker == 0xE1 and payload[: len(_XMP_EXT)] == _XMP_EXT:
            extension.append(payload[len(_XMP_EXT) :])
        elif marker == 0xE2 and payload[:12] == _ICC and len(payload) > 14:
            profile.append(bytes(payload[12:]))
        elif marker == 0xE2 and payload[:4] == b"MPF\x00":
            removed.add("MPF index of secondary images")
        elif marker == 0xED and payload[:14] == b"Photoshop 3.0\x00":
            photoshop.append(bytes(payload[14:]))
            removed.add("IPTC / Photoshop resources")
        elif marker == 0xEE and payload[:5] == b"Adobe" and len(payload) >= 12 and not scans:
            # version, flags and colour transform only: nothing may ride along. libjpeg reads
            # each one before the first scan, so the last one's colour transform holds
            if adobe is not None:
                removed.add("Adobe APP14 (a later one overrides it)")
            adobe = (adobe[0] if adobe else len(kept), bytes(payload[:12]))
            kept.append(memoryview(b""))
        elif 0xE0 <= marker <= 0xEF:
            removed.add(f"APP{marker - 0xE0} {app_name(payload)}")
        elif marker == 0xFE:
            removed.add("JPEG comment")
        elif marker == 0xDC:
            removed.add("JPEG DNL marker")
        else:  # libjpeg stops with an error at any other marker: no decoder shows this file
            raise RejectedImage(f"JPEG marker 0xFF{marker:02X} is one libjpeg does not read")
        pos = end
    trailer = n - (pos + 2)
    if trailer:
        removed.add(f"trailer: {trailer} bytes")
    if extension:
        serialisation = extended_xmp(extension, guid, removed)
        if serialisation:
            captions.extended_xmp(serialisation, guid)
    if photoshop:
        captions.photoshop(b"".join(photoshop))
    if exif and exif.orientation:
        orientation = exif.orientation
    elif len(xmp_turns) > 1:  # Pillow shows the last packet's turn, other readers the first's
        raise RejectedImage("two XMP packets disagree on how the picture is turned")
    else:
        orientation = xmp_orientation(xmp) if xmp else 1
    doubted(exif, orientation)
    exif_segment = segment(0xE1, b"Exif\x00\x00" + minimal_exif(orientation)) if orientation != 1 else b""
    assert size is not None
    colour = icc_segments(profile, removed) if profile else b""
    if adobe is not None:
        kept[adobe[0]] = memoryview(segment(0xEE, adobe[1]))
    body = [part if isinstance(part, memoryview) else table_segment(*part, removed) for part in kept]
    out = b"".join((b"\xff\xd8", jfif, exif_segment, colour, *body, b"\xff\xd9"))
    return Scrubbed(out, "jpeg", size[0], size[1], orientation, removed.lines(), captions.result())
