"""Palette entries no pixel uses. A PNG palette (PLTE, up to 256 RGB entries, and tRNS alpha) and
a GIF's colour tables hold entries decoders show only where a pixel refers to them: up to 768
(+256) bytes of anything per table. The scrubber zeroes them (PNG alpha: opaque, its default) and
drops those after the last entry still needed; no displayed pixel changes.

The indices a frame uses come from decoding its pixels with Pillow's C decoders (zlib and the PNG
filters, GIF's LZW) into an image of one byte per pixel: memory grows with the frame's size, at
most the pixel limit, and is freed before the next frame.
"""
from __future__ import annotations

from PIL import Image


def png_indices(stream: bytes, size: tuple[int, int], depth: int, interlace: int) -> set[int]:
    """Indices the pixels of a palette PNG's zlib stream of filtered rows (IDAT, or one APNG
    frame's fdAT data) use."""
    raw = "P" if depth == 8 else f"P;{depth}"
    return _indices(Image.frombytes("P", size, stream, "zip", raw, interlace))


def gif_indices(image_data: bytes | bytearray, size: tuple[int, int]) -> set[int]:
    """Indices a GIF frame's pixels use, given its image data (the LZW minimum code size, then
    the sub-blocks). Interlacing only moves rows, so it is left out."""
    return _indices(Image.frombytes("L", size, bytes(image_data[1:]), "gif", image_data[0], False, -1))


def _indices(image: Image.Image) -> set[int]:
    return {index for index, count in enumerate(image.histogram()) if count}


def cleared(table: bytes | memoryview, keep: set[int], entries: int) -> bytes:
    """The first ``entries`` of ``table`` (3 bytes an entry), every entry not in ``keep`` zeroed."""
    out = bytearray(3 * entries)
    for index in keep:
        if index < entries:
            out[3 * index : 3 * index + 3] = table[3 * index : 3 * index + 3]
    return bytes(out)
