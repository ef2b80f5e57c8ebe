"""PNG: keep the image chunks byte for byte (CRC-checked), drop text, time, EXIF and unknown
chunks, anything after IEND and the PLTE of a truecolour image (only a suggested palette for
limited displays: up to 768 bytes of anything). Animated PNG (acTL/fcTL/fdAT) is kept. When the
original orientation is not 1, an eXIf chunk holding only Orientation is written after IHDR.
IDAT and fdAT data after the end of its zlib stream, which decoders ignore, is cut (as TIFF strips
are cut where their stream ends), found by ``pngcheck``, which refuses anything malformed.
A palette image's PLTE and tRNS entries no pixel uses (of the image or any APNG frame) are zeroed
(alpha: opaque) and those after the last one needed dropped (see ``palette``); bKGD's entry keeps
its colour, and so does entry 0 of an APNG, which Pillow shows where a frame is disposed to the
background. hIST and sPLT, which refer to the palette too, are dropped with the unknown chunks.
An APNG's frames together may hold at most ``FRAMES_LIMIT`` times the pixel limit, each counted as
at least 64x64 (as GIF's): every frame is inflated and decoded (50 frames of 10000x10000 took 21 s).
"""
from __future__ import annotations

import struct
import zlib

from . import icc, palette, pngcheck
from .captions import CaptionReader, xmp_orientation
from .exif import ExifFacts, doubted, minimal_exif, read_exif
from .gif import FRAME_MINIMUM
from .result import FRAMES_LIMIT, RejectedImage, Removals, Scrubbed, check_pixels

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_KEEP = frozenset(
    b"IHDR PLTE IDAT IEND tRNS cHRM gAMA sBIT sRGB cICP mDCV cLLI bKGD pHYs acTL fcTL fdAT".split()
)
_TEXT = frozenset((b"tEXt", b"zTXt", b"iTXt"))
#: colour types whose PLTE is only a suggestion for viewers (up to 768 bytes of anything)
_TRUECOLOUR = frozenset((2, 6))
_MAX_TEXT = 4 << 20
_TEXT_KEYS = {"Title": "title", "Description": "description", "Author": "creator", "Copyright": "copyright"}


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, _MAX_TEXT)
    except zlib.error:
        return b""


def text_chunk(kind: bytes, body: bytes) -> tuple[str, bytes]:
    """Keyword and raw value of a tEXt/zTXt/iTXt chunk ('' keyword when malformed)."""
    keyword, sep, rest = body.partition(b"\x00")
    if not sep:
        return "", b""
    name = keyword.decode("latin-1")
    if kind == b"tEXt":
        return name, rest
    if kind == b"zTXt":
        return name, _inflate(rest[1:])
    if len(rest) < 2:
        return "", b""
    compressed, rest = rest[0], rest[2:]
    _lang, _, rest = rest.partition(b"\x00")
    _translated, _, rest = rest.partition(b"\x00")
    return name, _inflate(rest) if compressed else rest


def raw_profile(value: bytes) -> bytes:
    """Decode an ImageMagick 'Raw profile type ...' value (name, length, hex lines)."""
    try:
        return bytes.fromhex("".join(value.decode("latin-1").split("\n")[3:]))
    except ValueError:
        return b""


def _cut_streams(png: bytes, removed: Removals) -> bytes:
    """``png`` without the IDAT/fdAT bytes after the end of their zlib stream: the chunk where a
    stream ends is shortened, the stream's later chunks (IDAT, or the frame's fdAT) dropped and APNG
    sequence numbers after a dropped fdAT renumbered; pixels are unchanged."""
    cuts = pngcheck.stream_cuts(png)
    if not cuts:
        return png
    view = memoryview(png)
    parts: list[bytes | memoryview] = [view[: len(SIGNATURE)]]
    pos, dropping, dropped, cut = len(SIGNATURE), b"", 0, 0
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        end = pos + 12 + length
        body: bytes | memoryview = view[pos + 8 : end - 4]
        head = 4 if kind == b"fdAT" else 0  # its sequence number
        if kind == dropping:
            cut += length - head
            dropped += kind == b"fdAT"
            pos = end
            continue
        dropping = b""
        changed = pos in cuts
        if changed:
            cut += length - head - cuts[pos]
            body, dropping = body[: head + cuts[pos]], kind
        if dropped and kind in (b"fcTL", b"fdAT"):
            body = struct.pack(">I", struct.unpack_from(">I", body)[0] - dropped) + body[4:]
            changed = True
        parts.append(chunk(kind, bytes(body)) if changed else view[pos:end])
        pos = end
    removed.add(f"PNG image data after the end of its zlib stream: {cut} bytes")
    return b"".join(parts)


def _clear_palette(png: bytes, removed: Removals) -> bytes:
    """``png``, a palette image already walked by ``pngcheck``, with the palette entries no pixel
    uses cleared: PLTE entries zeroed, tRNS entries opaque, both cut after the last entry needed
    (a tRNS left all opaque goes)."""
    view = memoryview(png)
    width, height, depth, _, _, _, interlace = struct.unpack_from(">IIBBBBB", png, len(SIGNATURE) + 8)
    found: dict[bytes, tuple[int, int]] = {}  # PLTE, tRNS: where each chunk starts and ends
    keep: set[int] = set()  # entries whose colour stays
    used: set[int] = set()  # entries pixels use (and an APNG's 0): their alpha stays too
    streams: list[tuple[tuple[int, int], list[memoryview]]] = []
    pieces: list[memoryview] | None
    size, pieces = (width, height), None
    pos = len(SIGNATURE)
    while pos < len(png):
        length, kind = struct.unpack_from(">I4s", png, pos)
        body = view[pos + 8 : pos + 8 + length]
        if kind in (b"PLTE", b"tRNS"):
            found[kind] = pos, pos + 12 + length
        elif kind == b"bKGD":
            keep.add(body[0])
        elif kind == b"acTL":
            used.add(0)
        elif kind == b"fcTL":
            size, pieces = struct.unpack_from(">II", body, 4), None
        elif kind in (b"IDAT", b"fdAT"):
            if pieces is None:
                pieces = []
                streams.append((size, pieces))
            pieces.append(body[4:] if kind == b"fdAT" else body)
        pos += 12 + length
    for size, pieces in streams:
        used |= palette.png_indices(b"".join(pieces), size, depth, interlace)
    keep |= used
    start, end = found[b"PLTE"]
    plte = png[start + 8 : end - 4]
    entries = min(len(plte) // 3, max(keep) + 1)
    colours = palette.cleared(plte, keep, entries)
    parts: list[bytes | memoryview] = [view[:start], chunk(b"PLTE", colours)]
    trns = alpha = b""
    if b"tRNS" in found:
        start, after = found[b"tRNS"]
        trns = png[start + 8 : after - 4]
        alpha = bytes(value if index in used else 255 for index, value in enumerate(trns[:entries])).rstrip(b"\xff")
        parts += [view[end:start], chunk(b"tRNS", alpha) if alpha else b""]
        end = after
    if colours == plte and alpha == trns:
        return png
    removed.add(f"PNG palette entries no pixel uses, cleared: {len(plte) // 3 - len(keep & set(range(entries)))}")
    return b"".join((*parts, view[end:]))


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    removed = Removals()
    captions = CaptionReader()
    texts: dict[str, str] = {}
    kept: list[memoryview] = []
    exif: ExifFacts | None = None
    raw_exif: ExifFacts | None = None
    xmp: bytes | None = None
    size: tuple[int, int] | None = None
    colour = 0
    frames = pixels = 0
    pos = len(SIGNATURE)
    while True:
        if pos + 12 > n:
            raise RejectedImage("truncated PNG: no IEND chunk")
        length, kind = struct.unpack_from(">I4s", data, pos)
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > n:
            raise RejectedImage(f"truncated or malformed PNG chunk {kind!r}")
        if not kind.isalpha():
            raise RejectedImage("malformed PNG chunk type")
        body = view[pos + 8 : pos + 8 + length]
        if size is None:
            if kind != b"IHDR" or length != 13:
                raise RejectedImage("PNG does not start with a valid IHDR chunk")
            size, colour = struct.unpack_from(">II", body), body[9]
            check_pixels(*size, max_pixels)
        if kind == b"fcTL" and length >= 12:
            frames += 1
            pixels += max(struct.unpack_from(">I", body, 4)[0] * struct.unpack_from(">I", body, 8)[0], FRAME_MINIMUM)
            if pixels > FRAMES_LIMIT * max_pixels:
                raise RejectedImage(f"APNG frames count {pixels} pixels by frame {frames} (each at least "
                                    f"{FRAME_MINIMUM}), over the limit of {FRAMES_LIMIT} x {max_pixels} for all "
                                    "frames together")
        (crc,) = struct.unpack_from(">I", data, end - 4)
        if zlib.crc32(view[pos + 4 : end - 4]) != crc:  # any chunk: Pillow refuses the file then
            raise RejectedImage(f"PNG chunk {kind.decode()} fails its CRC check (corrupt file)")
        if kind == b"PLTE" and colour in _TRUECOLOUR:
            removed.add("PNG suggested palette (PLTE of a truecolour image)")
        elif kind in _KEEP:
            kept.append(view[pos:end])
            if kind == b"IEND":
                break
        elif kind == b"iCCP":
            profile = icc.clean(_inflate(bytes(body).partition(b"\x00")[2][1:]))
            if profile is None:
                removed.add("ICC profile (malformed)")
            else:  # a neutral name: the original is free text
                kept.append(memoryview(chunk(b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(profile, 9))))
        elif kind in _TEXT:
            name, value = text_chunk(kind, bytes(body))
            if name in ("XML:com.adobe.xmp", "Raw profile type xmp"):
                packet = value if name.startswith("XML") else raw_profile(value)
                xmp = xmp if xmp is not None else packet
                captions.xmp(packet)
                removed.add("XMP")
            elif name == "Raw profile type iptc":
                profile = raw_profile(value)
                if profile[:4] == b"8BIM":
                    captions.photoshop(profile)
                else:
                    captions.iptc(profile)
                removed.add("IPTC")
            elif name == "Raw profile type exif":
                profile = raw_profile(value)
                facts = read_exif(profile.partition(b"Exif\x00\x00")[2] or profile)
                raw_exif = raw_exif or facts
                captions.add(CaptionReader.EXIF, facts.texts)
                removed.add(facts.label())
            else:
                if name in _TEXT_KEYS and value.strip():
                    encoding = "utf-8" if kind == b"iTXt" else "latin-1"
                    texts.setdefault(_TEXT_KEYS[name], value.decode(encoding, "replace").strip())
                removed.add(f"PNG text ({kind.decode()})")
        elif kind == b"eXIf":
            if exif is not None:  # Pillow shows the last one's orientation, other readers the first's
                raise RejectedImage("PNG has more than one eXIf chunk (the PNG specification allows one)")
            exif = read_exif(bytes(body))
            captions.add(CaptionReader.EXIF, exif.texts)
            removed.add(exif.label())
        elif kind == b"tIME":
            removed.add("PNG modification time (tIME)")
        else:
            removed.add(f"PNG chunk {kind.decode()}")
        pos = end
    if end < n:
        removed.add(f"trailer: {n - end} bytes")
    captions.add(CaptionReader.TEXT, texts)
    orientation = next(
        (f.orientation for f in (exif, raw_exif) if f and f.orientation), xmp_orientation(xmp) if xmp else 1
    )
    doubted(exif or raw_exif, orientation)
    head, rest = kept[0], kept[1:]
    extra = chunk(b"eXIf", minimal_exif(orientation)) if orientation != 1 else b""
    out = _cut_streams(b"".join((SIGNATURE, head, extra, *rest)), removed)
    if colour == 3:
        out = _clear_palette(out, removed)
    return Scrubbed(out, "png", size[0], size[1], orientation, removed.lines(), captions.result())
