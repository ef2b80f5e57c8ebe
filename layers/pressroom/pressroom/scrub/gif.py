"""GIF: rewrite the block stream keeping the screen descriptor, colour tables, graphic control
extensions and image data (LZW sub-blocks copied byte for byte). Comments, plain-text and
application extensions (XMP, ICC, vendor data) and anything after the trailer are dropped.
The NETSCAPE2.0 loop count is kept in canonical form: it is only a repeat count, and animations
need it to keep looping.
"""
from __future__ import annotations

import struct

from .captions import CaptionReader
from .result import RejectedImage, Removals, Scrubbed, check_pixels

_LABELS = {0xFE: "GIF comment", 0x01: "GIF plain-text extension"}


def _sub_blocks(data: bytes, pos: int) -> int:
    """Position just after the sub-block chain starting at ``pos``."""
    n = len(data)
    while True:
        if pos >= n:
            raise RejectedImage("truncated GIF data sub-blocks")
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos


def xmp_packet(raw: bytes) -> bytes:
    """The XMP packet of a GIF "XMP DataXMP" extension, without its 258-byte magic trailer."""
    end = raw.find(b"<?xpacket end")
    end = raw.find(b"?>", end) + 2 if end >= 0 else raw.rfind(b">") + 1
    return raw[:end]


def _table_size(packed: int) -> int:
    return 3 << ((packed & 7) + 1) if packed & 0x80 else 0


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    if n < 13:
        raise RejectedImage("truncated GIF header")
    width, height, packed = struct.unpack_from("<HHB", data, 6)
    check_pixels(width, height, max_pixels)
    pos = 13 + _table_size(packed)
    kept: list[bytes | memoryview] = [view[:pos]]
    removed = Removals()
    captions = CaptionReader()
    frames = 0
    while True:
        if pos >= n:
            raise RejectedImage("truncated GIF: no trailer")
        block = data[pos]
        if block == 0x3B:
            pos += 1
            break
        if block == 0x2C:
            if pos + 10 > n:
                raise RejectedImage("truncated GIF image descriptor")
            fw, fh, fpacked = struct.unpack_from("<HHB", data, pos + 5)
            check_pixels(fw, fh, max_pixels)
            start, pos = pos, pos + 10 + _table_size(fpacked) + 1  # + LZW minimum code size
            pos = _sub_blocks(data, pos)
            kept.append(view[start:pos])
            frames += 1
        elif block == 0x21:
            if pos + 2 > n:
                raise RejectedImage("truncated GIF extension")
            label = data[pos + 1]
            start, pos = pos, _sub_blocks(data, pos + 2)
            ext = view[start:pos]
            if label == 0xF9:
                if ext[2] != 4 or len(ext) < 7:
                    raise RejectedImage("malformed GIF graphic control extension")
                kept.append(bytes(ext[:7]) + b"\x00")  # its 4 defined bytes, no sub-blocks after
            elif label == 0xFF and bytes(ext[2:14]) == b"\x0bNETSCAPE2.0" and bytes(ext[14:16]) == b"\x03\x01":
                kept.append(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + bytes(ext[16:18]) + b"\x00")
            elif label == 0xFF and bytes(ext[2:14]) == b"\x0bXMP DataXMP":
                captions.xmp(xmp_packet(bytes(ext[14:])))
                removed.add("XMP")
            elif label == 0xFF:
                name = "".join(chr(c) for c in bytes(ext[3:11]) if 32 < c < 127)
                removed.add(f"GIF application extension {name or 'unnamed'}")
            else:
                removed.add(_LABELS.get(label, f"GIF extension 0x{label:02X}"))
        else:
            raise RejectedImage(f"malformed GIF: unexpected block 0x{block:02X}")
    if not frames:
        raise RejectedImage("GIF has no image")
    if pos < n:
        removed.add(f"trailer: {n - pos} bytes")
    out = b"".join((*kept, b"\x3b"))
    return Scrubbed(out, "gif", width, height, 1, removed.lines(), captions.result())
