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


_PIECE = 1 << 18  # bytes inflated at a time: memory does not grow with the strip


def _deflate(strip: Strip, expected: int) -> int:
    stream = zlib.decompressobj()
    produced, tail = 0, strip
    try:
        while produced <= expected:
            out = stream.decompress(tail, min(_PIECE, expected + 1 - produced))
            produced += len(out)
            tail = stream.unconsumed_tail
            if stream.eof or (not out and not tail):
                break
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


_CLEAR, _EOI, _TABLE = 256, 257, 4096
_MIN_WIDTH, _MAX_WIDTH = 9, 12
_GROUP = 8  # codes of any width that fill whole bytes: ``width`` of them


def _codes(strip: Strip, pos: int, width: int, count: int) -> list[int]:
    """``count`` codes of ``width`` bits from bit ``pos`` on, fewer where ``strip`` ends. A group of
    eight fills ``width`` bytes, starting ``skip`` bits into the first: it is read with the byte
    after as one integer and shifted apart."""
    count = min(count, (len(strip) * 8 - pos) // width)
    start, skip = divmod(pos, 8)
    size = -(-count // _GROUP) * width
    data = bytes(strip[start : start + size + 1]).ljust(size + 1, b"\0")
    groups = map(int.from_bytes, [data[at : at + width + 1] for at in range(0, size, width)])
    shifts = range(_GROUP * width + 8 - skip - width, 7 - skip, -width)
    mask = (1 << width) - 1
    return [group >> shift & mask for group in groups for shift in shifts][:count]


def _find(codes: list[int], code: int, start: int, stop: int) -> int:
    """Index of the first ``code`` in ``codes[start:stop]``, or ``stop``."""
    try:
        return codes.index(code, start, stop)
    except ValueError:
        return stop


def _lzw(strip: Strip, expected: int) -> int:
    """TIFF LZW (codes MSB first, 9 to 12 bits, one bit wider as the table reaches 2^n - 1 entries,
    as libtiff reads it); only the length of each table entry is kept. The stream ends after its
    EoiCode, or, when none follows, with the code that completes the rows.

    Codes are read a batch at a time: those left until the width changes (one when the table is
    full), and walked between ClearCodes (after which the rest of the batch is read again unless
    it was 9 bits wide) up to the first EoiCode. A ClearCode cuts ``lengths`` back to end at
    EoiCode's slot: the entry every code appends for the one before it lands there for the first
    code, which adds none, and only a literal can then be looked up."""
    lengths = [1] * _EOI  # bytes each code stands for; len(lengths) is the next free code
    produced = last = pos = 0  # last: bytes the previous code stood for
    width, done = _MIN_WIDTH, -1  # done: bytes read when the rows were complete
    if _codes(strip, 0, width, 1) not in ([], [_CLEAR], [_EOI]):
        raise _malformed("an LZW", "does not start with a ClearCode")
    while True:
        wanted = (_TABLE if width == _MAX_WIDTH else (1 << width) - 1) - len(lengths) or 1
        read, codes = width, _codes(strip, pos, width, wanted)
        at, eoi = 0, _find(codes, _EOI, 0, len(codes))
        while at < eoi and width == read:  # a ClearCode at a wider width makes the rest unreadable
            clear = _find(codes, _CLEAR, at, eoi)
            if at == clear:
                del lengths[_EOI:]
                width, at = _MIN_WIDTH, at + 1
                continue
            if done >= 0:
                return done
            if len(lengths) == _TABLE:
                raise _malformed("an LZW", "holds a code outside its table")
            first, append = len(lengths), lengths.append
            try:
                for code in codes[at:clear]:
                    append(last + 1)
                    last = lengths[code]
                    produced += last
                    if produced >= expected:
                        break
            except IndexError:
                raise _malformed("an LZW", "holds a code outside its table") from None
            at += len(lengths) - first  # codes walked
            if produced > expected:
                raise _malformed("an LZW", f"holds more than the {expected} bytes its rows need")
            if produced == expected:
                done = (pos + at * read + 7) // 8
        pos += at * read
        if width != read:
            continue
        if at < len(codes):  # at the EoiCode
            if done < 0:
                raise _malformed("an LZW", f"holds {produced} bytes, its rows need {expected}")
            return (pos + read + 7) // 8
        if len(codes) < wanted:  # the strip ended
            if done < 0:
                raise _malformed("an LZW", "is cut short")
            return done
        if len(lengths) == (1 << width) - 1 and width < _MAX_WIDTH:
            width += 1


DECODERS: dict[int, Callable[[Strip, int], int]] = {8: _deflate, 32946: _deflate, 32773: _packbits, 5: _lzw}


def stream_length(compression: int, strip: Strip, expected: int) -> int:
    """Bytes of ``strip`` its compressed stream occupies, given it must decode to ``expected`` bytes."""
    return DECODERS[compression](strip, expected)
