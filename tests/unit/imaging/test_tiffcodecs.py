"""TIFF LZW stream ends: ``tiffcodecs._lzw`` (which reads codes in batches) gives exactly what a
straightforward code-by-code walk gives (the previous implementation, kept here as the reference):
the same byte count or the same refusal, on real libtiff strips as written, with bytes appended,
cut short or mutated, and on generated code streams; plus hand-built edge cases."""
from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from pressroom.imaging import RejectedImage
from pressroom.imaging.tiffcodecs import _lzw

CLEAR, EOI, FIRST, TABLE = 256, 257, 258, 4096


def reference_lzw(strip: bytes | memoryview, expected: int) -> int:
    """The code-by-code walk ``_lzw`` replaced: one code per pass, the bit buffer refilled a byte at
    a time."""
    lengths = [1] * 256 + [0] * (TABLE - 256)
    width, free, old = 9, FIRST, -2  # old: -2 before the first ClearCode, -1 right after one
    at = produced = bits = buffer = 0
    done = -1
    while True:
        while bits < width:
            if at == len(strip):
                if done < 0:
                    raise RejectedImage("malformed TIFF: an LZW strip or tile is cut short")
                return done
            buffer, at, bits = (buffer << 8 | strip[at]) & 0xFFFFFF, at + 1, bits + 8
        bits -= width
        code = buffer >> bits & (1 << width) - 1
        if code == EOI:
            if done < 0:
                raise RejectedImage(f"malformed TIFF: an LZW strip or tile holds {produced} bytes, its rows need {expected}")
            return at
        if code == CLEAR:
            width, free, old = 9, FIRST, -1
            continue
        if old == -2:
            raise RejectedImage("malformed TIFF: an LZW strip or tile does not start with a ClearCode")
        if done >= 0:
            return done
        if code > (255 if old < 0 else free) or old >= 0 and free == TABLE:
            raise RejectedImage("malformed TIFF: an LZW strip or tile holds a code outside its table")
        if old >= 0:
            lengths[free] = lengths[old] + 1
            free += 1
            if free == (1 << width) - 1 and width < 12:
                width += 1
        produced += lengths[code]
        old = code
        if produced > expected:
            raise RejectedImage(f"malformed TIFF: an LZW strip or tile holds more than the {expected} bytes its rows need")
        if produced == expected:
            done = at


def outcome(decode: Callable[[bytes, int], int], strip: bytes, expected: int) -> int | str:
    try:
        return decode(strip, expected)
    except RejectedImage as exc:
        return str(exc)


def assert_same(strip: bytes, expected: int) -> int | str:
    """Both walks agree on ``strip`` (given as bytes and, as the scrubber passes it, as a view)."""
    want = outcome(reference_lzw, strip, expected)
    assert outcome(_lzw, strip, expected) == want
    assert outcome(_lzw, memoryview(strip), expected) == want
    return want


# ---- streams built code by code -------------------------------------------------------------------
def after(code: int, free: int, first: bool, width: int) -> tuple[int, bool, int]:
    """The next free entry, whether the next code follows a ClearCode, and its width, once ``code``
    is read (libtiff's early change: one bit wider as the table reaches 2^n - 1 entries)."""
    if code == CLEAR:
        return FIRST, True, 9
    if code != EOI:
        if not first and free < TABLE:
            free += 1
            if free == (1 << width) - 1 and width < 12:
                width += 1
        first = False
    return free, first, width


def widths(codes: list[int]) -> list[int]:
    """The width each code is written at (code values are not checked)."""
    out, free, first, width = [], FIRST, True, 9
    for code in codes:
        out.append(width)
        free, first, width = after(code, free, first, width)
    return out


def pack(codes: list[int], code_widths: list[int] | None = None) -> bytes:
    """Codes most significant bit first, the last byte padded with zero bits."""
    value = nbits = 0
    for code, width in zip(codes, code_widths or widths(codes)):
        value, nbits = value << width | code, nbits + width
    pad = -nbits % 8
    return (value << pad).to_bytes((nbits + pad) // 8, "big")


def decoded_size(codes: list[int]) -> int:
    """Bytes the codes decode to, up to an EoiCode or a code outside the table."""
    lengths, total, old = [1] * FIRST, 0, None
    for code in codes:
        if code == EOI:
            break
        if code == CLEAR:
            del lengths[FIRST:]
            old = None
            continue
        if old is not None:
            lengths.append(lengths[old] + 1)
        if code >= min(len(lengths), TABLE) or old is None and code >= CLEAR:
            break
        total += lengths[code]
        old = code
    return total


@st.composite
def code_streams(draw: st.DrawFn) -> list[int]:
    """Mostly valid codes (literals, table entries up to the next free one), with ClearCodes, stray
    codes (anything the width allows, EoiCode included) and a final EoiCode or not."""
    rnd = random.Random(draw(st.integers(0, 2**32)))  # thousands of codes: too many to draw one by one
    count = draw(st.sampled_from([0, 1, 5, 50, 300, 1000, 3000, 6000]))
    clears, strays, literal = draw(st.sampled_from([0, 1e-4, 1e-3, 1e-2, 0.2])), draw(st.sampled_from([0, 1e-4, 1e-2])), rnd.random()
    codes = [CLEAR] if draw(st.integers(0, 19)) else []
    free, first, width = FIRST, True, 9
    for _ in range(count):
        roll = rnd.random()
        if roll < clears:
            code = CLEAR
        elif roll < clears + strays:
            code = rnd.randrange(1 << width)
        elif first or rnd.random() < literal:
            code = rnd.randrange(256)
        else:
            code = rnd.randint(max(FIRST, free - 64), free)  # recent entries, the one being built too
        codes.append(code)
        free, first, width = after(code, free, first, width)
    if draw(st.booleans()):
        codes.append(EOI)
    return codes


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(codes=code_streams(), data=st.data())
def test_generated_code_streams_end_where_the_reference_says(codes: list[int], data: st.DataObject) -> None:
    strip = pack(codes) + data.draw(st.binary(max_size=8))
    size = decoded_size(codes)
    for expected in {size, max(size - 1, 0), size + 1, data.draw(st.integers(0, size + 10))}:
        assert_same(strip, expected)


# ---- real strips written by libtiff ---------------------------------------------------------------
MODES = {"1": 1, "L": 8, "LA": 16, "P": 8, "RGB": 24, "RGBA": 32, "CMYK": 32, "I;16": 16, "I": 32, "F": 32}


def lzw_strips(image: Image.Image, strip_size: int) -> list[tuple[bytes, int]]:
    """The strips Pillow (libtiff) writes for ``image``, each with the bytes its rows decode to."""
    out = io.BytesIO()
    image.save(out, "TIFF", compression="tiff_lzw", strip_size=strip_size)
    raw = out.getvalue()
    with Image.open(io.BytesIO(raw)) as im:
        tags = im.tag_v2
        assert tags[259] == 5
        offsets, counts, rows = tags[273], tags[279], tags.get(278, image.height)
    row_bytes = (image.width * MODES[image.mode] + 7) // 8
    heights = [min(rows, image.height - top) for top in range(0, image.height, rows)]
    return [(raw[o : o + c], h * row_bytes) for o, c, h in zip(offsets, counts, heights, strict=True)]


@st.composite
def images(draw: st.DrawFn) -> Image.Image:
    """Small images of any mode, noisy (short table entries, frequent ClearCodes) or made of few
    values (long entries, codes that name the entry being built)."""
    mode = draw(st.sampled_from(sorted(MODES)))
    size = draw(st.integers(1, 96)), draw(st.integers(1, 64))
    length = len(Image.new(mode, size).tobytes())
    if draw(st.booleans()):
        pixels = random.Random(draw(st.integers(0, 2**32))).randbytes(length)
    else:
        values = draw(st.lists(st.integers(0, 255), min_size=1, max_size=4))
        runs = draw(st.lists(st.tuples(st.sampled_from(values), st.integers(1, 400)), min_size=1, max_size=40))
        pixels = b"".join(bytes([v]) * n for v, n in runs)
        pixels = (pixels * (length // len(pixels) + 1))[:length]
    return Image.frombytes(mode, size, pixels)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(image=images(), strip_size=st.sampled_from([64, 512, 4096, 65536]), data=st.data())
def test_libtiff_strips_end_where_the_reference_says(image: Image.Image, strip_size: int, data: st.DataObject) -> None:
    for strip, expected in lzw_strips(image, strip_size):
        assert assert_same(strip, expected) == len(strip)  # libtiff ends each strip with its EoiCode
        garbage = data.draw(st.binary(min_size=1, max_size=64))
        assert assert_same(strip + garbage, expected) == len(strip)
        assert_same(strip[:-1] + garbage, expected)  # the last byte replaced
        cut = data.draw(st.integers(0, len(strip) - 1))
        assert_same(strip[:cut], expected)
        mutated = bytearray(strip)
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(0, len(strip) - 1))
            mutated[at] = data.draw(st.integers(0, 255)) if data.draw(st.booleans()) else mutated[at] ^ 1 << data.draw(st.integers(0, 7))
        assert_same(bytes(mutated), expected)
        assert_same(strip, expected + data.draw(st.sampled_from([-1, 1, expected])))


# ---- edge cases -----------------------------------------------------------------------------------
def literals(count: int, start: int = 0) -> list[int]:
    return [(start + i) % 256 for i in range(count)]


ENTRIES = TABLE - FIRST + 1  # literals after a ClearCode that fill the table: the first adds none


def test_a_full_table_needs_a_clear_code() -> None:
    full = [CLEAR, *literals(ENTRIES)]
    assert widths(full + [EOI])[-1] == 12
    strip = pack(full + [EOI])
    assert assert_same(strip, ENTRIES) == len(strip)  # a full table is fine ...
    for extra in (65, FIRST, TABLE - 1):  # ... a further code other than Clear/EoiCode is not
        with pytest.raises(RejectedImage, match="outside its table"):
            _lzw(pack([*full, extra, EOI]), ENTRIES + 1)
        assert_same(pack([*full, extra, EOI]), ENTRIES + 1)
    strip = pack([*full, CLEAR, 65, EOI])
    assert assert_same(strip, ENTRIES + 1) == len(strip)


@pytest.mark.parametrize("entries", [511, 1023, 2047])
def test_codes_widen_as_the_table_reaches_two_to_the_n_minus_one(entries: int) -> None:
    """The first code read one bit wider is the one after the code that adds entry 2^n - 2, whether
    it is a literal, the EoiCode, a ClearCode or the code of the entry it adds itself."""
    before = [CLEAR, *literals(entries - FIRST + 1)]  # the last of these adds entry entries - 1
    width = entries.bit_length()
    assert widths(before + [EOI])[-2:] == [width, width + 1]
    for after, extra in (([EOI], 0), ([65, EOI], 1), ([entries, EOI], 2), ([CLEAR, 7, EOI], 1)):
        codes = before + after
        strip = pack(codes)
        expected = len(before) - 1 + extra
        assert assert_same(strip, expected) == len(strip), after
        late = widths(codes)
        late[len(before)] = width  # widened a code late: not libtiff's rule
        assert assert_same(pack(codes, late), expected) != len(pack(codes, late))
    with pytest.raises(RejectedImage, match="outside its table"):
        _lzw(pack([*before, entries + 1, EOI]), len(before) + 1)


@pytest.mark.parametrize("count", [7, 300, 800, 1800, ENTRIES])
def test_stream_without_eoi_may_complete_its_rows_at_the_last_byte(count: int) -> None:
    """Leading ClearCodes (9 bits each) bring the end of the last literal onto a byte boundary."""
    clears = next(n for n in range(1, 9) if sum(widths([CLEAR] * n + literals(count))) % 8 == 0)
    strip = pack([CLEAR] * clears + literals(count))
    assert assert_same(strip, count) == len(strip)
    assert assert_same(strip + b"\xff\x00\xff", count) == len(strip)  # what follows is not part of it
    assert assert_same(strip[:-1], count) == "malformed TIFF: an LZW strip or tile is cut short"
    assert assert_same(strip, count + 1) == "malformed TIFF: an LZW strip or tile is cut short"


@pytest.mark.parametrize("codes, expected, result", [
    ([CLEAR, 65, 258, EOI], 3, None),  # the code of the entry being built (KwKwK)
    ([CLEAR, 65, 259, EOI], 3, "outside its table"),
    ([CLEAR, FIRST, EOI], 1, "outside its table"),  # no entry before the first code
    ([CLEAR, 65, EOI], 0, "more than the 0 bytes"),
    ([EOI], 0, "holds 0 bytes, its rows need 0"),
    ([], 1, "cut short"),
    ([CLEAR, CLEAR, 65, CLEAR, 66, EOI], 2, None),
    ([CLEAR, 65, 66, CLEAR, CLEAR, EOI], 2, None),  # ClearCodes after the rows are part of it
    ([CLEAR, 65, 66, CLEAR, 67], 2, "done"),  # a code after them is not
    ([65, CLEAR, EOI], 1, "does not start with a ClearCode"),
], ids=["kwkwk", "beyond free", "entry first", "nothing expected", "only eoi", "empty", "clears",
        "clears after rows", "code after rows", "no clear"])
def test_small_streams(codes: list[int], expected: int, result: str | None) -> None:
    strip = pack(codes)
    got = assert_same(strip, expected)
    if result is None:
        assert got == len(strip)
        assert assert_same(strip + b"trailing", expected) == len(strip)
    elif result == "done":
        assert got == (sum(widths(codes)[:3]) + 7) // 8
    else:
        assert isinstance(got, str) and result in got
