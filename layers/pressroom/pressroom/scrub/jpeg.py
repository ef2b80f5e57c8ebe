"""JPEG: keep the image data byte for byte, drop every metadata segment and anything after EOI.

Kept: SOI, a rebuilt JFIF APP0 without thumbnail, the ICC profile (reassembled, cleaned by ``icc``
and re-chunked), the first Adobe APP14 cut to its 12 defined bytes (needed to decode CMYK/YCCK
colours), the tables (DQT, DHT, DAC, DRI), frame headers, scans with their entropy-coded data
(restart markers included) and EOI. A minimal EXIF APP1 holding only Orientation is written when
the original orientation (EXIF, else XMP tiff:Orientation, as Pillow reads it) is not 1.
"""
from __future__ import annotations

import re
import struct

from . import icc
from .captions import CaptionReader, xmp_orientation
from .exif import ExifFacts, minimal_exif, read_exif
from .result import RejectedImage, Removals, Scrubbed, check_pixels

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_TABLES = frozenset({0xC4, 0xCC, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF})
_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})
_SCAN_END = re.compile(rb"\xff[^\x00\xff\xd0-\xd7]")
_XMP = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT = b"http://ns.adobe.com/xmp/extension/\x00"
_ICC = b"ICC_PROFILE\x00"
_ICC_CHUNK = 0xFFFF - 2 - len(_ICC) - 2


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


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    removed = Removals()
    captions = CaptionReader()
    kept: list[memoryview] = []
    jfif = b""
    exif: ExifFacts | None = None
    xmp: bytes | None = None
    photoshop: list[bytes] = []
    profile: list[bytes] = []
    adobe = False
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
        if marker == 0xD9:
            if not scans:
                raise RejectedImage("JPEG has no image data before its end-of-image marker")
            break
        if marker in _STANDALONE:
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
            if len(payload) < 6:
                raise RejectedImage("malformed JPEG frame header")
            if size is None:
                height, width = struct.unpack_from(">HH", payload, 1)
                if height == 0:
                    raise RejectedImage("JPEG height defined by a DNL marker is not supported")
                check_pixels(width, height, max_pixels)
                size = (width, height)
            kept.append(view[pos:end])
        elif marker == 0xDA:
            if size is None:
                raise RejectedImage("JPEG scan before any frame header")
            match = _SCAN_END.search(data, end)
            if match is None:
                raise RejectedImage("truncated JPEG: scan data has no end")
            kept.append(view[pos : match.start()])
            scans += 1
            pos = match.start()
            continue
        elif marker in _TABLES:
            kept.append(view[pos:end])
        elif marker == 0xE0:
            if payload[:5] == b"JFIF\x00" and len(payload) >= 14 and not jfif:
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
                captions.xmp(xmp)
            removed.add("XMP")
        elif marker == 0xE1 and payload[: len(_XMP_EXT)] == _XMP_EXT:
            removed.add("extended XMP")
        elif marker == 0xE2 and payload[:12] == _ICC and len(payload) > 14:
            profile.append(bytes(payload[12:]))
        elif marker == 0xE2 and payload[:4] == b"MPF\x00":
            removed.add("MPF index of secondary images")
        elif marker == 0xED and payload[:14] == b"Photoshop 3.0\x00":
            photoshop.append(bytes(payload[14:]))
            removed.add("IPTC / Photoshop resources")
        elif marker == 0xEE and payload[:5] == b"Adobe" and len(payload) >= 12 and not adobe:
            adobe = True  # version, flags and colour transform only: nothing may ride along
            kept.append(memoryview(segment(0xEE, bytes(payload[:12]))))
        elif 0xE0 <= marker <= 0xEF:
            removed.add(f"APP{marker - 0xE0} {app_name(payload)}")
        elif marker == 0xFE:
            removed.add("JPEG comment")
        else:
            removed.add(f"JPEG marker 0xFF{marker:02X}")
        pos = end
    trailer = n - (pos + 2)
    if trailer:
        removed.add(f"trailer: {trailer} bytes")
    if photoshop:
        captions.photoshop(b"".join(photoshop))
    orientation = exif.orientation if exif and exif.orientation else (xmp_orientation(xmp) if xmp else 1)
    exif_segment = segment(0xE1, b"Exif\x00\x00" + minimal_exif(orientation)) if orientation != 1 else b""
    assert size is not None
    colour = icc_segments(profile, removed) if profile else b""
    out = b"".join((b"\xff\xd8", jfif, exif_segment, colour, *kept, b"\xff\xd9"))
    return Scrubbed(out, "jpeg", size[0], size[1], orientation, removed.lines(), captions.result())
