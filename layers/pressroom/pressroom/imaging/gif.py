"""GIF: rewrite the block stream keeping the screen descriptor (its pixel aspect ratio, which no
decoder applies, zeroed), colour tables, graphic control
extensions and image data. Comments, plain-text and application extensions (XMP, ICC, vendor
data) and anything after the trailer are dropped. The NETSCAPE2.0 loop count is kept in canonical
form: it is only a repeat count, and animations need it to keep looping.

Each frame's LZW codes are copied as they are up to the End-Of-Information code, or, with none,
up to the code that completes the frame (``giflzw`` finds it, counting pixels without decoding
them); bytes after it, which every decoder ignores, are cut, as are the unused bits of the last
byte kept (zeroed), and the codes are re-chunked into 255-byte sub-blocks (the sizes an encoder
chose could carry data too). A stream that ends before its frame is complete, produces more
pixels than it holds or uses a code outside its table is refused (see ``giflzw``). Every frame
must lie inside the logical screen (Pillow grows its canvas to take in one that does not: a 1x1
GIF's frame at 65534,65534 made it a 4.3 gigapixel image) and fit the pixel limit, and all frames together ten times that limit, each counted as at least
64x64 pixels: the work a frame costs does not shrink with it (a 200 MB upload holds 12 million
1x1 frames, close to a minute's walk).

Colour table entries no pixel uses are zeroed, and each table cut to the fewest entries (2, 4, ...
256) holding those still needed (see ``palette``; every frame's pixels are decoded by Pillow, one
byte per pixel, to find them). Needed besides the pixels': the background colour of the global
table, each frame's transparent index (Pillow shows its colour in places, as when a frame is
disposed on an opaque canvas), and what else Pillow, which later steps open these images with,
shows (see ``_needed``). A table that is a greyscale ramp (entry i = grey i) holds nothing and stays.
"""
from __future__ import annotations

import struct

from . import palette
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


def _needed(image_data: bytearray, size: tuple[int, int], transparent: set[int], disposal: int,
             background: int, uncovered: bool) -> set[int]:
    """The entries of a frame's colour table whose colour stays: the indices its pixels use, its
    transparent index, and what Pillow shows besides: for a frame disposed to the background (by
    Pillow's ``disposal``: the last one other than 0 of this frame or any before it) the background
    entry, or entry 0 when the table is too short for it; entry 0 where the first frame leaves the
    screen ``uncovered``."""
    keep = palette.gif_indices(image_data, size) | transparent
    if disposal >= 2:
        keep |= {background, 0}
    if uncovered:
        keep.add(0)
    return keep


def _cleared(table: memoryview, packed: int, keep: set[int]) -> tuple[int, bytes | memoryview, int]:
    """A colour table's flags byte (``packed`` with the table's new size), the table with every
    entry not in ``keep`` zeroed, cut to the fewest entries (2, 4, ... 256) holding ``keep``, and
    how many entries it lost or had zeroed (0 when it is unchanged). A table whose every entry is
    the grey of its index is left as it is."""
    if table == bytes(index for index in range(len(table) // 3) for _ in range(3)):
        return packed, table, 0  # a greyscale ramp: nothing in it an index does not give (Pillow reads it as L)
    bits = max(1, max(keep).bit_length())
    if 1 << bits >= len(table) // 3:
        bits = (packed & 7) + 1
    out = palette.cleared(table, keep, 1 << bits)
    if out == table:
        return packed, out, 0
    return packed & 0xF8 | bits - 1, out, len(table) // 3 - len({index for index in keep if index < 1 << bits})


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    view = memoryview(data)
    n = len(data)
    if n < 13:
        raise RejectedImage("truncated GIF header")
    width, height, packed = struct.unpack_from("<HHB", data, 6)
    check_pixels(width, height, max_pixels)
    pos = 13 + _table_size(packed)
    # the screen descriptor with its pixel aspect ratio zeroed: no decoder applies it, exiftool shows it
    kept: list[bytes | bytearray | memoryview] = [bytes(data[:12]) + b"\x00" + bytes(data[13:pos])]
    removed = Removals()
    captions = CaptionReader()
    frames = pixels = cut = unused = 0
    transparent: set[int] = set()  # transparent indices of the GCEs before a frame
    disposal = 0  # as Pillow reads it: a GCE's disposal method other than 0 holds until another
    keep_global: set[int] = set()  # global colour table entries whose colour stays
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
            fx, fy, fw, fh, fpacked = struct.unpack_from("<HHHHB", data, pos + 1)
            check_pixels(fw, fh, max_pixels)
            if fx + fw > width or fy + fh > height:  # Pillow grows its canvas to take it in
                raise RejectedImage(f"GIF frame {frames + 1} ({fw}x{fh} at {fx},{fy}) extends past its "
                                    f"{width}x{height} logical screen")
            pixels += max(fw * fh, FRAME_MINIMUM)
            if pixels > FRAMES_LIMIT * max_pixels:
                raise RejectedImage(f"GIF frames count {pixels} pixels by frame {frames + 1} (each at least "
                                    f"{FRAME_MINIMUM}), over the limit of {FRAMES_LIMIT} x {max_pixels} for all "
                                    "frames together")
            start, pos = pos, pos + 10 + _table_size(fpacked)  # descriptor and local colour table
            end, blocks, cut_bytes, zeroed = _image_data(data, pos, fw * fh)
            uncovered = not frames and struct.unpack_from("<HHHH", data, start + 1) != (0, 0, width, height)
            keep = _needed(blocks, (fw, fh), transparent, disposal, data[11], uncovered)
            if fpacked & 0x80:
                flags, table, cleared = _cleared(view[start + 10 : pos], fpacked, keep)
                kept.append(bytes(data[start : start + 9]) + bytes([flags]) + table)
                unused += cleared
            else:
                keep_global |= keep
                kept.append(view[start:pos])
            transparent.clear()
            pos = end
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
                disposal = ext[3] >> 2 & 7 or disposal
                if ext[3] & 1:
                    transparent.add(ext[6])
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
    if packed & 0x80:
        keep_global.add(data[11])  # the background colour
        flags, table, cleared = _cleared(view[13 : 13 + _table_size(packed)], packed, keep_global)
        kept[0] = bytes(data[:10]) + bytes([flags]) + bytes(data[11:12]) + b"\x00" + table
        unused += cleared
    if unused:
        removed.add(f"GIF colour table entries no pixel uses, cleared: {unused}")
    if cut:
        removed.add(f"GIF image data after its end: {cut} bytes")
    if pos < n:
        removed.add(f"trailer: {n - pos} bytes")
    out = b"".join((*kept, b"\x3b"))
    return Scrubbed(out, "gif", width, height, 1, removed.lines(), captions.result())
