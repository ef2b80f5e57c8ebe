"""Where the LZW stream of a GIF frame ends. The walk keeps only the length of each table entry
(never a pixel: 4096 small ints whatever the frame's size) and returns the bit just after the last
code that counts: the End-Of-Information code, or, when none follows, the code that completes the
frame. Decoders stop there, so whatever follows (bytes an encoder left, or data hidden after the
EOI) is never seen; the caller cuts it off.

GIF LZW: codes packed LSB first, starting ``min_size + 1`` bits wide, ``clear = 1 << min_size``,
``eoi = clear + 1``, the first free entry ``clear + 2``; a code is read one bit wider once the next
free entry reaches ``1 << width``, up to 12 bits. A full table (4096 entries) keeps being read at
12 bits without adding entries until a clear code ("deferred clear": the GIF89a cover sheet
allows it, giflib, Pillow and browsers decode it).

Refused (``RejectedImage``):

- a code outside the table: the first code after a clear (or at the start) that is not a literal,
  or a later one beyond the next free entry;
- a stream producing more pixels than the frame holds: a code running past its last pixel, or,
  after the frame is complete, a code producing pixels (decoders ignore them, so they could carry
  data). Clear codes may come before the EOI or the end, and go with them; what the last byte
  holds after the last code that counts (fewer than 8 bits) is padding, whatever it reads as;
- a stream that ends, or reaches its EOI, before the frame is complete. That is what a truncated
  upload looks like; Pillow refuses it too ("image file is truncated", unless told to load
  truncated images, when it fills the rest with colour 0), browsers show what was decoded. The
  picture could not be promised to display as before, nor the same everywhere, and bytes after an
  early EOI would be the hiding place this walk closes.

Speed: every code costs a few Python operations, about 100 ns (a 4000x3000 noise GIF, 11.7
million codes: 1.2 s; Pillow's C decoder takes 0.09 s). Codes are peeled from a buffer loaded 64
bytes at a time, as many as it holds before a refill or a change of code width, in a ``for`` loop
over the table entries they add, with one comparison per code: the lengths of clear, EOI and
undefined entries are set to 2^32, so the pixel count reaching the frame's size is the only test,
and the code is looked at only then.
"""
from __future__ import annotations

from .result import RejectedImage

_TABLE = 4096
_READ = 64  # bytes loaded into the bit buffer at a time: the larger, the fewer loop passes
_NONE = 1 << 32  # the "length" of clear, EOI and undefined entries: more than a frame's pixels
_UNDEFINED = [_NONE] * _TABLE
# the table as a frame starts, for each minimum code size: as long as the first code width needs
# (a frame's first codes cost little, however many tiny frames an animation holds)
_START = {size: [1] * (1 << size) + [_NONE] * (1 << size) for size in range(2, 9)}


def _malformed(what: str) -> RejectedImage:
    return RejectedImage(f"malformed GIF: image data {what}")


def _short(pixels: int) -> RejectedImage:
    # the count read by then may include zeros past the end: not worth a number
    return _malformed(f"is cut short (the frame has {pixels} pixels)")


def stream_end(data: bytes, min_size: int, pixels: int) -> int:
    """Bit position in ``data`` (a frame's LZW bytes, its sub-blocks joined) just after its last
    code that counts, given the frame holds ``pixels`` pixels."""
    if not 2 <= min_size <= 8:
        raise RejectedImage(f"malformed GIF: LZW minimum code size {min_size} (2 to 8 allowed)")
    clear = 1 << min_size
    eoi, first = clear + 1, clear + 2
    total = len(data) * 8
    # lengths[i]: pixels table entry i produces; _NONE (enough to end the fast loop) for clear, EOI
    # and every entry not yet defined; grown as codes widen
    lengths = _START[min_size].copy()
    # ``buf`` holds ``bits`` unread bits, those before byte ``at``; past the end of ``data`` it
    # reads zeros, which the position checks catch (after each batch of codes, and at the last)
    at = bits = buf = produced = 0
    while True:  # once at the start and once after each clear code
        width = min_size + 1
        mask, limit = (1 << width) - 1, 1 << width
        while True:  # the first code: a literal, adding no entry (or more clear codes)
            if bits < width:
                buf |= int.from_bytes(data[at : at + _READ], "little") << bits
                at, bits = at + _READ, bits + 8 * _READ
            code = buf & mask
            buf >>= width
            bits -= width
            if code != clear:
                break
        if at * 8 - bits > total:
            raise _short(pixels)
        if code == eoi:
            raise _malformed(f"ends early ({produced} of {pixels} pixels)")
        if code > clear:
            raise _malformed("holds a code outside its table")
        last = 1  # pixels the previous code produced
        produced += 1
        if produced == pixels:
            return _tail(data, at * 8 - bits, width, clear)
        free = first
        while free < _TABLE:  # each pass reads the codes the buffer holds at this width
            if bits < width:
                buf |= int.from_bytes(data[at : at + _READ], "little") << bits
                at, bits = at + _READ, bits + 8 * _READ
            start = free
            stop = start + bits // width
            if stop > limit:
                stop = limit
            for free in range(start, stop):
                code = buf & mask
                buf >>= width
                lengths[free] = last + 1  # previous string + first pixel of this one (defined
                last = lengths[code]      # before the look-up: the code may be this very entry)
                produced += last
                if produced >= pixels:
                    break
            else:
                bits -= (stop - start) * width
                if at * 8 - bits > total:
                    raise _short(pixels)
                free = stop
                if free == limit and width < 12:
                    width += 1
                    mask, limit = (1 << width) - 1, limit << 1
                    if len(lengths) < limit:
                        lengths += _UNDEFINED[: limit - len(lengths)]
                continue
            bits -= (free - start + 1) * width
            special = code > free or code == clear or code == eoi
            free += 1
            if free == limit and width < 12:
                width += 1
            break
        else:  # the table is full: 12-bit codes, nothing added, until a clear code
            while True:
                if bits < 12:
                    buf |= int.from_bytes(data[at : at + _READ], "little") << bits
                    at, bits = at + _READ, bits + 8 * _READ
                count = bits // 12
                for read in range(1, count + 1):  # noqa: B007 - how many were read is used after the loop
                    code = buf & 4095
                    buf >>= 12
                    produced += lengths[code]
                    if produced >= pixels:
                        break
                else:
                    bits -= count * 12
                    if at * 8 - bits > total:
                        raise _short(pixels)
                    continue
                bits -= read * 12
                break
            special = code == clear or code == eoi
        if at * 8 - bits > total:
            raise _short(pixels)
        if not special:
            if produced > pixels:
                raise _malformed(f"holds more than the frame's {pixels} pixels")
            return _tail(data, at * 8 - bits, width, clear)
        produced -= _NONE
        if code == eoi:
            raise _malformed(f"ends early ({produced} of {pixels} pixels)")
        if code != clear:
            raise _malformed("holds a code outside its table")
        lengths[first:free] = _UNDEFINED[: free - first]


def _tail(data: bytes, done: int, width: int, clear: int) -> int:
    """Where to cut a stream whose frame is complete at bit ``done`` (the next code ``width`` bits
    wide): after an EOI that follows at once, else at ``done``. Clear codes may come between, and
    go; the bits of the last byte (fewer than 8) are padding, whatever they hold; any other code
    would produce pixels past the frame."""
    eoi, total = clear + 1, len(data) * 8
    at = done
    while total - at >= width:
        code = int.from_bytes(data[at >> 3 : (at + width + 7) >> 3], "little") >> (at & 7) & (1 << width) - 1
        if code == eoi:
            return at + width if at == done else done
        if total - at < 8:
            break
        if code != clear:
            raise _malformed("goes on producing pixels after the frame is complete")
        at += width
        width = clear.bit_length()  # min_size + 1, after a clear
    return done
