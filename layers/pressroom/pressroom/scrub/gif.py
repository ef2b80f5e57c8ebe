"""GIF: rewrite the block stream keeping the screen descriptor, colour tables, graphic control
extensions and image data. Comments, plain-text and application extensions (XMP, ICC, vendor
data) and anything after the trailer are dropped. The NETSCAPE2.0 loop count is kept in canonical
form: it is only a repeat count, and animations need it to keep looping.

Each frame's LZW codes are copied as they are up to the End-Of-Information code, or, with none,
up to the code that completes the frame (``giflzw`` finds it, counting pixels without decoding
them); bytes after it, which every decoder ignores, are cut, as are the unused bits of the last
byte kept (zeroed), and the codes are re-chunked into 255-byte sub-blocks (the sizes an encoder
chose could carry data too). A stream that ends before its frame is complete, produces more
pixels than it holds or uses a code outside its table is refused (see ``giflzw``). Every frame
must fit the pixel limit, and all frames together ten times that limit, each counted as at least
64x64 pixels: the work a frame costs does not shrink with it (a 200 MB upload holds 12 million
1x1 frames, close to a minute's walk).
"""
from __future__ import annotations

import struct

from .captions import CaptionReader
from .giflzw import stream_end
from .result import FRAMES_LIMIT, RejectedImage, Removals, Scrubbed, check_pixels

_LABELS = {0xFE: "GIF comment", 0x01: "GIF plain-text extension"}
FRAME_MINIMUM = 64 * 64  # pixels each frame counts for towards FRAMES_LIMIT: a frame costs work however small


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


def _image_data(data: bytes, pos: int, pixels: int) -> tuple[int, bytearray, int, bool]:
    """The image data at ``pos`` (LZW minimum code size, sub-blocks) of a frame of ``pixels``
    pixels: the position after it, the image data to keep (cut after its last code that counts,
    unused bits of its last byte zeroed, re-chunked), how many LZW bytes were cut and whether any
    of those unused bits were set."""
    if pos >= len(data):
        raise RejectedImage("truncated GIF image data")
    view, pieces, at = memoryview(data), [], pos + 1
    while True:
        if at >= len(data):
            raise RejectedImage("truncated GIF data sub-blocks")
        size = data[at]
        if not size:
            break
        pieces.append(view[at + 1 : at + 1 + size])
        at += 1 + size
    lzw = b"".join(pieces)
    end = stream_end(lzw, data[pos], pixels)
    size, spare = (end + 7) >> 3, -end & 7
    kept, out = memoryview(lzw)[:size], bytearray(data[pos : pos + 1])
    for start in range(0, size, 255):
        block = kept[start : start + 255]
        out.append(len(block))
        out += block
    out[-1] &= 0xFF >> spare
    zeroed = out[-1] != lzw[size - 1]
    out.append(0)
    return at + 1, out, len(lzw) - size, zeroed


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    if n < 13:
        raise RejectedImage("truncated GIF header")
    width, height, packed = struct.unpack_from("<HHB", data, 6)
    check_pixels(width, height, max_pixels)
    pos = 13 + _table_size(packed)
    kept: list[bytes | bytearray | memoryview] = [view[:pos]]
    removed = Removals()
    captions = CaptionReader()
    frames = pixels = cut = 0
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
            pixels += max(fw * fh, FRAME_MINIMUM)
            if pixels > FRAMES_LIMIT * max_pixels:
                raise RejectedImage(f"GIF frames count {pixels} pixels by frame {frames + 1} (each at least "
                                    f"{FRAME_MINIMUM}), over the limit of {FRAMES_LIMIT} x {max_pixels} for all "
                                    "frames together")
            start, pos = pos, pos + 10 + _table_size(fpacked)  # descriptor and local colour table
            kept.append(view[start:pos])
            pos, blocks, cut_bytes, zeroed = _image_data(data, pos, fw * fh)
            kept.append(blocks)
            cut += cut_bytes
            if zeroed:
                removed.add("GIF image data: set bits after its end, zeroed")
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
    if cut:
        removed.add(f"GIF image data after its end: {cut} bytes")
    if pos < n:
        removed.add(f"trailer: {n - pos} bytes")
    out = b"".join((*kept, b"\x3b"))
    return Scrubbed(out, "gif", width, height, 1, removed.lines(), captions.result())
