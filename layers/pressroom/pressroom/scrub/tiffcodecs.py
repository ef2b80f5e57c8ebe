"""Where a compressed TIFF strip or tile ends. Each decoder walks the stream only until it has
produced the bytes the strip's rows need (known in advance, so memory is bounded) and returns how
many input bytes that took: bytes a stated byte count adds after the end of the stream are never
copied. A stream that ends early, or produces more than its rows need, is refused."""
from __future__ import annotations

import zlib
from collections.abc import Callable

from .result import RejectedImage

Strip = bytes | memoryview


def _deflate(strip: Strip, expected: int) -> int:
    stream = zlib.decompressobj()
    try:
        produced = len(stream.decompress(strip, expected + 1))
    except zlib.error as exc:
        raise RejectedImage(f"malformed TIFF: Deflate strip or tile ({exc})") from None
    if produced > expected:
        raise RejectedImage(f"malformed TIFF: a Deflate strip or tile holds more than the {expected} bytes its rows need")
    if not stream.eof:
        raise RejectedImage("malformed TIFF: a Deflate strip or tile is cut short")
    if produced != expected:
        raise RejectedImage(f"malformed TIFF: a Deflate strip or tile holds {produced} bytes, its rows need {expected}")
    return len(strip) - len(stream.unused_data)


def _packbits(strip: Strip, expected: int) -> int:
    """Runs are counted, not expanded: n < 128 copies n + 1 bytes, n > 128 repeats one 257 - n
    times, 128 is a no-op."""
    at = produced = 0
    while produced < expected and at < len(strip):
        header = strip[at]
        if header < 128:
            produced, at = produced + header + 1, at + header + 2
        else:
            produced, at = produced + (257 - header if header > 128 else 0), at + (2 if header > 128 else 1)
    if produced < expected or at > len(strip):
        raise RejectedImage("malformed TIFF: a PackBits strip or tile is cut short")
    if produced > expected:
        raise RejectedImage(f"malformed TIFF: a PackBits strip or tile holds more than the {expected} bytes its rows need")
    return at


DECODERS: dict[int, Callable[[Strip, int], int]] = {8: _deflate, 32946: _deflate, 32773: _packbits}


def stream_length(compression: int, strip: Strip, expected: int) -> int:
    """Bytes of ``strip`` its compressed stream occupies, given it must decode to ``expected`` bytes."""
    return DECODERS[compression](strip, expected)
