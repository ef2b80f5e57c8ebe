"""Format-aware mutations, drawn by Hypothesis: a seed is split into the units its format is made of
(JPEG segments and scans, PNG chunks, RIFF chunks, GIF blocks, TIFF IFD entries, ISO boxes), then
changed at that level (a unit dropped, doubled, swapped, a header field set to a boundary value,
a metadata container holding a secret planted between units, a secret grown onto the end of an
image-data unit, a hostile ICC profile inserted) and at the byte level (flips, inserts, deletes,
truncation), with lengths and checksums optionally made right again so mutations get past the
first check. Every secret planted is returned with the input: it must not come out."""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from hypothesis import strategies as st

from tests.fuzzing.promise import input_format
from tests.fuzzing.seeds import all_seeds

INTERESTING = [0, 1, 2, 7, 8, 15, 16, 17, 127, 128, 255, 256, 4096, 65499, 65500, 65501, 65535, 65536,
               2**24, 2**31 - 1, 2**31, 2**32 - 1]
#: leading bytes that say which format a file is: left alone (a file that is no format is refused
#: at once, a waste of an input)
MAGIC = {"jpeg": 3, "png": 8, "webp": 12, "gif": 6, "tiff": 4, "heic": 12}
BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0xD9, 0xDA, 0xC4, 0xDB]


@dataclass
class Unit:
    start: int
    end: int
    kind: bytes = b""


@dataclass
class Fuzzed:
    data: bytes
    seed: str
    steps: list[str] = field(default_factory=list)
    planted: list[bytes] = field(default_factory=list)

    def __repr__(self) -> str:  # what Hypothesis prints for a failing example
        return f"Fuzzed(seed={self.seed!r}, steps={self.steps}, size={len(self.data)})"


# ---- splitting ----------------------------------------------------------------------------------

def units(data: bytes) -> list[Unit]:
    """The top-level units of ``data`` by its format; one unit (everything) when it does not parse."""
    try:
        found = _SPLITTERS.get(input_format(data), lambda d: [])(data)
    except (IndexError, struct.error, ValueError):
        found = []
    return found or [Unit(0, len(data))]


def _jpeg(data: bytes) -> list[Unit]:
    found, pos = [Unit(0, 2, b"SOI")], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xD9:
            found.append(Unit(pos, pos + 2, b"EOI"))
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if marker == 0xDA:  # the scan's entropy-coded data belongs to it
            while end < len(data) - 1 and not (data[end] == 0xFF and data[end + 1] not in (0, *range(0xD0, 0xD8))):
                end += 1
        found.append(Unit(pos, min(end, len(data)), bytes((marker,))))
        pos = end
    return found


def _png(data: bytes) -> list[Unit]:
    found, pos = [Unit(0, 8, b"SIG")], 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        found.append(Unit(pos, min(pos + 12 + length, len(data)), data[pos + 4 : pos + 8]))
        pos += 12 + length
    return found


def _riff(data: bytes) -> list[Unit]:
    found, pos = [Unit(0, 12, b"RIFF")], 12
    while pos + 8 <= len(data):
        (size,) = struct.unpack_from("<I", data, pos + 4)
        end = pos + 8 + size + (size & 1)
        found.append(Unit(pos, min(end, len(data)), data[pos : pos + 4]))
        pos = end
    return found


def _gif(data: bytes) -> list[Unit]:
    packed = data[10]
    pos = 13 + (3 << ((packed & 7) + 1) if packed & 0x80 else 0)
    found = [Unit(0, pos, b"HEAD")]
    while pos < len(data):
        start, block = pos, data[pos]
        if block == 0x3B:
            found.append(Unit(pos, pos + 1, b"TRAILER"))
            break
        if block == 0x2C:
            local = data[pos + 9]
            pos += 10 + (3 << ((local & 7) + 1) if local & 0x80 else 0) + 1
        elif block == 0x21:
            pos += 2
        else:
            break
        while pos < len(data) and data[pos]:
            pos += 1 + data[pos]
        pos += 1
        found.append(Unit(start, min(pos, len(data)), bytes((block,))))
    return found


def _tiff(data: bytes) -> list[Unit]:
    endian = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(endian + "I", data, 4)
    (count,) = struct.unpack_from(endian + "H", data, ifd)
    return [Unit(0, 8, b"HEAD")] + [Unit(ifd + 2 + 12 * i, ifd + 14 + 12 * i, b"ENTRY") for i in range(min(count, 512))
                                    if ifd + 14 + 12 * i <= len(data)]


def _boxes(data: bytes) -> list[Unit]:
    found, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack_from(">I4s", data, pos)
        if size < 8:
            break
        found.append(Unit(pos, min(pos + size, len(data)), kind))
        if kind in (b"meta", b"iinf", b"iprp", b"ipco"):  # descend: children become units too
            skip = 12 if kind == b"meta" else 14 if kind == b"iinf" else 8
            found.extend(_boxes_at(data, pos + skip, pos + size))
        pos += size
    return found


def _boxes_at(data: bytes, start: int, stop: int) -> list[Unit]:
    inner = _boxes(data[start:stop])
    return [Unit(u.start + start, u.end + start, u.kind) for u in inner]


_SPLITTERS = {"jpeg": _jpeg, "png": _png, "webp": _riff, "gif": _gif, "tiff": _tiff, "heic": _boxes}


# ---- making lengths and checksums right again -------------------------------------------------------

def fix_png(data: bytes) -> bytes:
    out, pos = bytearray(data[:8]), 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        end = pos + 12 + length
        if end > len(data):
            break
        kind_body = data[pos + 4 : end - 4]
        out += data[pos : end - 4] + struct.pack(">I", zlib.crc32(kind_body))
        pos = end
    return bytes(out + data[pos:])


def fix_riff(data: bytes) -> bytes:
    return data[:4] + struct.pack("<I", len(data) - 8) + data[8:] if data[:4] == b"RIFF" else data


# ---- secrets and the containers that plant them -------------------------------------------------------

def secret(n: int) -> bytes:
    return b"PLANTED-SECRET-%08d" % n


def _jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def hostile_profile(text: bytes) -> bytes:
    """An sRGB profile carrying ``text`` in a private tag and its description, and a device
    manufacturer, model and date in its header."""
    from tests.fuzzing.seeds import srgb

    base = srgb()
    (count,) = struct.unpack_from(">I", base, 128)
    table = [struct.unpack_from(">4sII", base, 132 + 12 * i) for i in range(count)]
    blobs = {sig: base[off : off + ln] for sig, off, ln in table}
    blobs[b"desc"] = b"desc" + bytes(4) + struct.pack(">I", len(text) + 1) + text + b"\x00" + bytes(12 + 67)
    blobs[b"zzzz"] = b"text" + bytes(4) + text
    blobs[b"dmnd"] = b"text" + bytes(4) + text
    entries, body, pos = [], b"", 132 + 12 * len(blobs)
    for sig, blob in blobs.items():
        blob += b"\x00" * (-len(blob) % 4)
        entries.append(struct.pack(">4sII", sig, pos + len(body), len(blob)))
        body += blob
    header = bytearray(base[:128])
    struct.pack_into(">I", header, 0, pos + len(body))
    header[48:56] = text[:8]
    return bytes(header) + struct.pack(">I", len(blobs)) + b"".join(entries) + body


def container(fmt: str, text: bytes, choice: int) -> bytes:
    """A metadata container of ``fmt`` holding ``text``, one of several kinds by ``choice``."""
    if fmt == "jpeg":
        options = [
            _jpeg_segment(0xFE, text),
            _jpeg_segment(0xE1, b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x0e\x01\x02\x00"
                          + struct.pack("<II", len(text), 26) + b"\x00" * 4 + text),
            _jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + text
                          + b"</x:xmpmeta>"),
            _jpeg_segment(0xEE, b"Adobe\x00d\x00\x00\x00\x00\x01" + text),
            _jpeg_segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x01\x01" + text[:3] + text),
            _jpeg_segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + hostile_profile(text)),
            _jpeg_segment(0xDB, b"\x03" + (text * 4)[:64]),  # an unused quantisation table
            _jpeg_segment(0xEF, text),
        ]
    elif fmt == "png":
        options = [
            _png_chunk(b"tEXt", b"Comment\x00" + text),
            _png_chunk(b"zzZz", text),
            _png_chunk(b"iCCP", b"x\x00\x00" + zlib.compress(hostile_profile(text))),
            _png_chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta>" + text + b"</x:xmpmeta>"),
            _png_chunk(b"tIME", text[:7]) + _png_chunk(b"sPLT", b"p\x00\x08" + text + b"\x00\x00"),
        ]
    elif fmt == "webp":
        options = [_riff_chunk(b"ZZZZ", text), _riff_chunk(b"XMP ", text), _riff_chunk(b"EXIF", text),
                   _riff_chunk(b"ICCP", hostile_profile(text)), _riff_chunk(b"ALPH", b"\x00" + text)]
    elif fmt == "gif":
        blocks = b"".join(bytes((len(text[i : i + 255]),)) + text[i : i + 255] for i in range(0, len(text), 255))
        options = [b"\x21\xfe" + blocks + b"\x00", b"\x21\xff\x0bXMP DataXMP" + blocks + b"\x00",
                   b"\x21\x01\x0c" + bytes(12) + blocks + b"\x00", b"\x21\xf9\x04\x00\x00\x00\x00" + blocks + b"\x00"]
    else:
        options = [text]
    return options[choice % len(options)]


def tiff_with_tag(data: bytes, tag: int, typ: int, value: bytes) -> bytes:
    """``data`` with one more IFD0 entry holding ``value`` (appended), IFD0 rewritten at the end."""
    endian = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(endian + "I", data, 4)
    (count,) = struct.unpack_from(endian + "H", data, ifd)
    entries = [data[ifd + 2 + 12 * i : ifd + 14 + 12 * i] for i in range(count)]
    out = bytearray(data)
    if len(out) & 1:
        out += b"\x00"
    value_at = len(out)
    out += value + b"\x00" * (len(value) & 1)
    size = {1: 1, 2: 1, 3: 2, 4: 4, 7: 1}[typ]
    entries.append(struct.pack(endian + "HHII", tag, typ, len(value) // size, value_at))
    entries.sort(key=lambda e: struct.unpack_from(endian + "H", e)[0])
    new_ifd = len(out)
    out += struct.pack(endian + "H", len(entries)) + b"".join(entries) + data[ifd + 2 + 12 * count : ifd + 6 + 12 * count]
    struct.pack_into(endian + "I", out, 4, new_ifd)
    return bytes(out)


# ---- the strategy -----------------------------------------------------------------------------------

_OPS = ["flip", "byte", "field", "insert", "delete", "truncate", "drop", "dup", "swap", "plant", "grow", "icc"]


@st.composite
def fuzzed(draw: st.DrawFn, seeds: list[tuple[str, bytes]] | None = None) -> Fuzzed:
    """One input: a seed, and one to four mutations, with lengths and checksums made right or not."""
    seeds = seeds or all_seeds()
    name, data = draw(st.sampled_from(seeds))
    item = Fuzzed(data, name)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(_OPS))
        _apply(draw, item, op)
    fmt = input_format(item.data)
    if draw(st.booleans()):
        item.data = fix_png(item.data) if fmt == "png" else fix_riff(item.data) if fmt == "webp" else item.data
    return item


def _apply(draw: st.DrawFn, item: Fuzzed, op: str) -> None:
    data = item.data
    fmt = input_format(data)
    parts = units(data)
    where = draw(st.integers(0, max(0, len(parts) - 1)))
    unit = parts[where]
    position = draw(st.integers(min(8, len(data)), max(min(8, len(data)), len(data) - 1)))  # past the magic
    magic = MAGIC.get(fmt, 0)
    if op in ("flip", "byte", "field") and unit.start < magic:
        unit = Unit(magic, max(magic, unit.end), unit.kind)
    if op == "flip" and data:
        bit = draw(st.integers(0, 7))
        at = draw(st.integers(unit.start, max(unit.start, unit.end - 1)))
        data = data[:at] + bytes((data[at] ^ (1 << bit),)) + data[at + 1 :] if at < len(data) else data
    elif op == "byte" and data:
        at = draw(st.integers(unit.start, max(unit.start, min(unit.end, len(data)) - 1)))
        data = data[:at] + bytes((draw(st.sampled_from(BYTES)),)) + data[at + 1 :]
    elif op == "field":  # a header-sized integer set to a boundary value
        width, order = draw(st.sampled_from([(2, ">"), (2, "<"), (4, ">"), (4, "<")]))
        at = draw(st.integers(unit.start, max(unit.start, min(unit.start + 32, unit.end) - width)))
        value = draw(st.sampled_from(INTERESTING)) % (1 << (8 * width))
        if at + width <= len(data):
            data = data[:at] + struct.pack(order + ("H" if width == 2 else "I"), value) + data[at + width :]
    elif op == "insert":
        data = data[:position] + draw(st.binary(min_size=1, max_size=24)) + data[position:]
    elif op == "delete":
        data = data[:position] + data[position + draw(st.integers(1, 64)) :]
    elif op == "truncate":
        data = data[: draw(st.integers(min(12, len(data)), len(data)))]
    elif op == "drop" and len(parts) > 1 and unit.start >= magic:
        data = data[: unit.start] + data[unit.end :]
    elif op == "dup":
        data = data[: unit.end] + data[unit.start : unit.end] + data[unit.end :]
    elif op == "swap" and len(parts) > 2:
        other = parts[draw(st.integers(0, len(parts) - 1))]
        first, second = sorted((unit, other), key=lambda u: u.start)
        if first.end <= second.start:
            data = (data[: first.start] + data[second.start : second.end] + data[first.end : second.start]
                    + data[first.start : first.end] + data[second.end :])
    elif op in ("plant", "icc", "grow"):
        text = secret(draw(st.integers(0, 99_999_999)))
        if op == "grow":
            grown = _grow(data, fmt, parts, where, text)
            if grown is None:
                return
            data = grown
        elif fmt == "tiff":
            tag = 34675 if op == "icc" else draw(st.sampled_from([270, 315, 700, 33432, 34665, 37510, 65000]))
            try:
                data = tiff_with_tag(data, tag, 7 if tag in (34675, 700, 37510, 65000) else 2,
                                     hostile_profile(text) if op == "icc" else text + b"\x00")
            except (struct.error, IndexError, KeyError):
                return
        elif fmt in ("jpeg", "png", "webp", "gif"):
            choice = draw(st.integers(0, 7))
            blob = container(fmt, text, 5 if (op == "icc" and fmt == "jpeg") else 2 if (op == "icc" and fmt == "png")
                             else 3 if (op == "icc" and fmt == "webp") else choice)
            # between units, never inside a JPEG scan or before the first unit ends
            at = parts[max(where, 0)].end if len(parts) > 1 else len(data)
            if fmt == "jpeg" and parts[min(where, len(parts) - 1)].kind == b"EOI":
                at = parts[where].start
            data = data[:at] + blob + data[at:]
        else:
            return
        item.planted.append(text)
    item.data = data
    item.steps.append(f"{op}@{where}")


def _grow(data: bytes, fmt: str, parts: list[Unit], where: int, text: bytes) -> bytes | None:
    """``text`` appended inside an image-data unit, its length made right: after a PNG's IDAT or
    fdAT zlib stream, a WebP bitstream or alpha data, or in the last sub-block of GIF image data."""
    wanted = {"png": (b"IDAT", b"fdAT"), "webp": (b"VP8 ", b"VP8L", b"ALPH", b"ANMF")}.get(fmt)
    if wanted is None:
        return None
    candidates = [u for u in parts if u.kind in wanted]
    if not candidates:
        return None
    unit = candidates[where % len(candidates)]
    if fmt == "png":
        length = unit.end - unit.start - 12
        body = data[unit.start + 8 : unit.start + 8 + length] + text
        return data[: unit.start] + _png_chunk(unit.kind, body) + data[unit.end :]
    size = struct.unpack_from("<I", data, unit.start + 4)[0]
    body = data[unit.start + 8 : unit.start + 8 + size] + text
    return fix_riff(data[: unit.start] + _riff_chunk(unit.kind, body) + data[unit.end :])
