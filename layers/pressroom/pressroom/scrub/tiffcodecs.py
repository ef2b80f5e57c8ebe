"""Where a compressed TIFF strip or tile ends. Each decoder walks the stream only until it has
produced the bytes the strip's rows need (known in advance, so memory is bounded) and returns how
many input bytes that took: bytes a stated byte count adds after the end of the stream are never
copied. A stream that ends early, or produces more than its rows need, is refused."""
from __future__ import annotations

import zlib
from collections.abc import Callable

from .result import RejectedImage

Strip = bytes | memoryview


def _malformed(codec: str, what: str) -> RejectedImage:
    return RejectedImage(f"malformed TIFF: {codec} strip or tile {what}")


def _deflate(strip: Strip, expected: int) -> int:
    stream = zlib.decompressobj()
    try:
        produced = len(stream.decompress(strip, expected + 1))
    except zlib.error as exc:
        raise _malformed("a Deflate", f"is corrupt ({exc})") from None
    if produced > expected:
        raise _malformed("a Deflate", f"holds more than the {expected} bytes its rows need")
    if not stream.eof:
        raise _malformed("a Deflate", "is cut short")
    if produced != expected:
        raise _malformed("a Deflate", f"holds {produced} bytes, its rows need {expected}")
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
        raise _malformed("a PackBits", "is cut short")
    if produced > expected:
        raise _malformed("a PackBits", f"holds more than the {expected} bytes its rows need")
    return at


_CLEAR, _EOI, _FIRST, _TABLE = 256, 257, 258, 4096
_START = -2  # ``old`` before the first ClearCode; -1 right after one


def _lzw(strip: Strip, expected: int) -> int:
    """TIFF LZW (codes MSB first, 9 to 12 bits, one bit wider as the table reaches 2^n - 1 entries,
    as libtiff reads it); only the length of each table entry is kept. The stream ends after its
    EoiCode, or, when none follows, with the code that completes the rows."""
    lengths = [1] * 256 + [0] * (_TABLE - 256)
    width, free, old = 9, _FIRST, _START
    at = produced = bits = buffer = 0
    done = -1  # bytes read when the rows were complete
    while True:
        while bits < width:
            if at == len(strip):
                if done < 0:
                    raise _malformed("an LZW", "is cut short")
                return done
            buffer, at, bits = (buffer << 8 | strip[at]) & 0xFFFFFF, at + 1, bits + 8
        bits -= width
        code = buffer >> bits & (1 << width) - 1
        if code == _EOI:
            if done < 0:
                raise _malformed("an LZW", f"holds {produced} bytes, its rows need {expected}")
            return at
        if code == _CLEAR:
            width, free, old = 9, _FIRST, -1
            continue
        if old == _START:
            raise _malformed("an LZW", "does not start with a ClearCode")
        if done >= 0:
            return done
        if code > (255 if old < 0 else free) or old >= 0 and free == _TABLE:
            raise _malformed("an LZW", "holds a code outside its table")
        if old >= 0:
            lengths[free] = lengths[old] + 1
            free += 1
            if free == (1 << width) - 1 and width < 12:
                width += 1
        produced += lengths[code]
        old = code
        if produced > expected:
            raise _malformed("an LZW", f"holds more than the {expected} bytes its rows need")
        if produced == expected:
            done = at


DECODERS: dict[int, Callable[[Strip, int], int]] = {8: _deflate, 32946: _deflate, 32773: _packbits, 5: _lzw}


def stream_length(compression: int, strip: Strip, expected: int) -> int:
    """Bytes of ``strip`` its compressed stream occupies, given it must decode to ``expected`` bytes."""
    return DECODERS[compression](strip, expected)
