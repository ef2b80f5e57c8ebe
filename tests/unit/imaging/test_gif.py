"""GIF image data: every frame's LZW stream is walked (``scrub.giflzw``) and cut where decoders stop
reading it, so bytes hidden after its End-Of-Information code go; pixels of every frame stay the
same, and a stream that is malformed, too long or too short is refused."""
from __future__ import annotations

import io
import json
import random
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageSequence

from pressroom.imaging import RejectedImage, scrub_bytes
from pressroom.imaging.giflzw import stream_end

SECRET = b"SECRET-JohnSmith-51.5N"
CUT = "GIF image data after its end: {} bytes"
ZEROED = "GIF image data: set bits after its end, zeroed"
EXIFTOOL = shutil.which("exiftool")


# -- building GIFs --------------------------------------------------------------------------------

def save(frames: list[Image.Image], **params: object) -> bytes:
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=len(frames) > 1, append_images=frames[1:], **params)
    return out.getvalue()


def palette_image(size: tuple[int, int], colours: int, seed: int, noise: bool = False) -> Image.Image:
    rnd = random.Random(seed)
    width, height = size
    image = Image.new("P", size)
    if noise:
        image.putdata([rnd.randrange(colours) for _ in range(width * height)])
    else:
        image.putdata([(x // 3 + y // 2 + seed) % colours for y in range(height) for x in range(width)])
    image.putpalette([rnd.randrange(256) for _ in range(3 * colours)])
    return image


def gradient(mode: str, size: tuple[int, int] = (64, 48)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([(x * 4 % 256, y * 5 % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image.convert(mode)


def pillow_gifs() -> dict[str, bytes]:
    """Every kind of GIF Pillow writes."""
    animated = [palette_image((40, 30), 64, seed) for seed in range(4)]  # own palettes: local tables
    transparent = [palette_image((40, 30), 16, seed) for seed in range(3)]
    gifs = {
        "rgb-interlaced": save([gradient("RGB")]),
        "rgb-progressive": save([gradient("RGB")], interlace=False),
        "greyscale": save([gradient("L")]),
        "bilevel": save([gradient("1")]),
        "noise-256": save([palette_image((300, 200), 256, 1, noise=True)], interlace=False),
        "tiny": save([palette_image((1, 1), 2, 0)]),
        "single-row": save([palette_image((97, 1), 8, 3, noise=True)]),
        "transparent": save([palette_image((40, 30), 16, 5)], transparency=3),
        "animated-local-tables": save(animated, loop=0, duration=[40, 80, 120, 40], disposal=2, optimize=False),
        "animated-transparent": save(transparent, loop=0, duration=60, transparency=0, disposal=1),
        "animated-rgb": save([gradient("RGB"), gradient("RGB").rotate(180)], loop=3),
        "comment": save([gradient("RGB")], comment=b"internal note"),
    }
    for bits in range(1, 9):
        gifs[f"palette-{bits}-bit"] = save([palette_image((50, 40), 1 << bits, bits, noise=True)], optimize=False)
    return gifs


GIFS = pillow_gifs()


def frames(data: bytes) -> list[tuple[str, tuple[int, int], bytes, bytes]]:
    """Every frame as Pillow shows it: mode, size, raw data and RGBA pixels."""
    with Image.open(io.BytesIO(data), formats=["GIF"]) as image:
        return [(frame.mode, frame.size, frame.tobytes(), frame.convert("RGBA").tobytes())
                for frame in ImageSequence.Iterator(image)]


def _table(packed: int) -> int:
    return 3 << ((packed & 7) + 1) if packed & 0x80 else 0


def image_blocks(data: bytes) -> list[tuple[int, int, int, int, bytes, int]]:
    """Per frame: where its LZW minimum code size byte starts, where its sub-blocks end, its
    pixels, its minimum code size, its LZW bytes (sub-blocks joined) and its descriptor's flags."""
    found = []
    pos = 13 + _table(data[10])
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            pos += 2
            while data[pos]:
                pos += 1 + data[pos]
            pos += 1
            continue
        width, height, packed = struct.unpack_from("<HHB", data, pos + 5)
        start = pos = pos + 10 + _table(packed)
        lzw = bytearray()
        pos += 1
        while data[pos]:
            lzw += data[pos + 1 : pos + 1 + data[pos]]
            pos += 1 + data[pos]
        found.append((start, pos + 1, width * height, data[start], bytes(lzw), packed))
        pos += 1
    return found


def chunked(lzw: bytes, size: int = 255) -> bytes:
    return b"".join(bytes([len(lzw[i : i + size])]) + lzw[i : i + size] for i in range(0, len(lzw), size)) + b"\0"


def with_lzw(data: bytes, frame: int, lzw: bytes, size: int = 255) -> bytes:
    """``data`` with frame ``frame``'s LZW bytes replaced (re-chunked in ``size``-byte sub-blocks)."""
    start, end, _, min_size, *_ = image_blocks(data)[frame]
    return data[:start] + bytes([min_size]) + chunked(lzw, size) + data[end:]


def lzw_codes(pixels: list[int], min_size: int, *, deferred: bool = False, clear_first: bool = True) -> list[int]:
    """A plain GIF LZW encoder: clear code first (unless told not to), a clear code whenever the
    table is full, or, ``deferred``, none: the table then stays full and codes stay 12 bits wide."""
    clear = 1 << min_size
    fresh = {bytes([i]): i for i in range(clear)}
    codes, table, free, string = [clear] if clear_first else [], dict(fresh), clear + 2, b""
    for pixel in pixels:
        longer = string + bytes([pixel])
        if longer in table:
            string = longer
            continue
        codes.append(table[string])
        if free < 4096:
            table[longer], free = free, free + 1
        elif not deferred:
            codes.append(clear)
            table, free = dict(fresh), clear + 2
        string = bytes([pixel])
    return codes + [table[string]]


def pack(codes: list[int], min_size: int) -> tuple[bytes, int]:
    """Codes packed LSB first at the width a decoder reads each one; the bytes and the bit count."""
    clear = 1 << min_size
    width, free, started = min_size + 1, clear + 2, False
    value = bits = 0
    for code in codes:
        value |= code << bits
        bits += width
        if code == clear:
            width, free, started = min_size + 1, clear + 2, False
        elif code != clear + 1:
            if started and free < 4096:
                free += 1
                if free == 1 << width and width < 12:
                    width += 1
            started = True
    return value.to_bytes((bits + 7) // 8, "little"), bits


def crafted(size: tuple[int, int], streams: list[bytes], min_size: int) -> bytes:
    """A GIF89a of full-screen frames with the given LZW streams and a 2^min_size colour table."""
    width, height = size
    colours = bytes((i * 37 + c * 91) % 256 for i in range(1 << min_size) for c in range(3))
    out = b"GIF89a" + struct.pack("<HHBBB", width, height, 0xF0 | (min_size - 1), 0, 0) + colours
    for lzw in streams:
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
        out += b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + bytes([min_size]) + chunked(lzw)
    return out + b";"


def noise(count: int, colours: int, seed: int = 0) -> list[int]:
    rnd = random.Random(seed)
    return [rnd.randrange(colours) for _ in range(count)]


def refused(data: bytes, words: str, **params: object) -> None:
    with pytest.raises(RejectedImage, match=words):
        scrub_bytes(data, **params)


# -- what Pillow makes comes out the same -----------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GIFS))
def test_pillow_gif_keeps_every_frame(name: str) -> None:
    data = GIFS[name]
    result = scrub_bytes(data)
    assert frames(result.data) == frames(data)
    assert not [line for line in result.removed if line.startswith("GIF image data")]
    for before, after in zip(image_blocks(data), image_blocks(result.data), strict=True):
        assert after[4] == before[4]  # Pillow ends each stream with EOI and zero bits: nothing to cut
    assert scrub_bytes(result.data).data == result.data


def test_pillow_fixtures_hold_what_they_are_named_for() -> None:
    flags = {name: [packed for *_, packed in image_blocks(data)] for name, data in GIFS.items()}
    assert all(packed & 0x80 for packed in flags["animated-local-tables"][1:])  # local colour tables
    assert flags["rgb-interlaced"][0] & 0x40 and not flags["rgb-progressive"][0] & 0x40
    assert [len(flags[name]) for name in ("animated-local-tables", "animated-transparent", "animated-rgb")] == [4, 3, 2]
    assert {GIFS[f"palette-{bits}-bit"][10] & 7 for bits in range(1, 9)} == set(range(1, 8))  # 4 to 256 colours
    for name in ("transparent", "animated-transparent"):
        with Image.open(io.BytesIO(GIFS[name])) as image:
            assert "transparency" in image.info


#: exiftool group -> tags a scrubbed GIF may show (None: the whole group); all of it structure.
STRUCTURE: dict[str, set[str] | None] = {
    "ExifTool": {"ExifToolVersion"},
    "System": None,
    "File": {"FileType", "FileTypeExtension", "MIMEType"},
    "Composite": {"ImageSize", "Megapixels"},
    "GIF": {"GIFVersion", "ImageWidth", "ImageHeight", "HasColorMap", "ColorResolutionDepth", "BitsPerPixel",
            "BackgroundColor", "AnimationIterations", "FrameCount", "Duration", "TransparentColor"},
}


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")
def test_exiftool_finds_only_structure(tmp_path: Path) -> None:
    paths = []
    for name, data in GIFS.items():
        paths.append(tmp_path / f"{name}.gif")
        paths[-1].write_bytes(scrub_bytes(data).data)
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", "-s", *map(str, paths)], capture_output=True, check=True,
                         timeout=120)
    reports = json.loads(out.stdout)
    assert len(reports) == len(paths)
    for report in reports:
        extra = [key for key in report if key != "SourceFile" and not (
            (group := key.partition(":")[0]) in STRUCTURE
            and (STRUCTURE[group] is None or key.partition(":")[2] in STRUCTURE[group]))]
        assert extra == [], report["SourceFile"]
    comment = json.loads(subprocess.run([EXIFTOOL, "-j", "-a", "-G1", "-s", "-"], input=GIFS["comment"],
                                        capture_output=True, check=True, timeout=60).stdout)[0]
    assert comment["File:Comment"] == "internal note"  # what exiftool shows when something is there


# -- bytes and bits after the end of a frame's stream ----------------------------------------------

@pytest.mark.parametrize("name,frame", [("rgb-progressive", 0), ("noise-256", 0), ("animated-local-tables", 2)])
def test_bytes_after_eoi_are_cut(name: str, frame: int) -> None:
    data = GIFS[name]
    lzw = image_blocks(data)[frame][4]
    hidden = with_lzw(data, frame, lzw + SECRET * 20)
    assert frames(hidden) == frames(data)  # decoders ignore them: a hiding place
    result = scrub_bytes(hidden)
    assert SECRET not in result.data and SECRET[:8] not in result.data
    assert CUT.format(len(SECRET) * 20) in result.removed
    assert result.data == scrub_bytes(data).data  # and a colour table's unused entries cleared
    assert frames(result.data) == frames(data)


def test_set_bits_after_eoi_in_the_last_byte_are_zeroed() -> None:
    data, frame, end, lzw = next((data, frame, end, lzw) for data in GIFS.values()
                                 for frame, (*_, pixels, min_size, lzw, _) in enumerate(image_blocks(data))
                                 if (end := stream_end(lzw, min_size, pixels)) % 8 and frame)
    assert end // 8 == len(lzw) - 1  # the EOI ends inside the last byte, whose other bits are 0
    marked = lzw[:-1] + bytes([lzw[-1] | 0xFF << end % 8 & 0xFF])
    hidden = with_lzw(data, frame, marked)
    assert frames(hidden) == frames(data)  # up to 7 bits per frame no decoder reads
    result = scrub_bytes(hidden)
    assert ZEROED in result.removed and not [line for line in result.removed if line.startswith("GIF image data after")]
    assert result.data == scrub_bytes(data).data


def test_sub_block_sizes_are_normalised() -> None:
    data = GIFS["animated-local-tables"]
    lzw = image_blocks(data)[0][4]
    rechunked = with_lzw(data, 0, lzw, size=7)  # the sizes a writer picks could spell something too
    assert rechunked != data and frames(rechunked) == frames(data)
    assert scrub_bytes(rechunked).data == scrub_bytes(data).data


# -- streams that do not fit their frame are refused -------------------------------------------------

def test_stream_running_past_the_frame_is_refused() -> None:
    size = (8, 5)
    runs = lzw_codes([1] * 44, 2)  # the last code runs 4 pixels past the 40 of the frame
    lzw, _ = pack(runs + [5], 2)
    refused(crafted(size, [lzw], 2), "holds more than the frame's 40 pixels")


def test_pixels_after_the_complete_frame_are_refused() -> None:
    size, pixels = (8, 5), noise(40, 4)
    codes = lzw_codes(pixels, 2)
    lzw, _ = pack(codes + [1, 2, 3, 5], 2)  # three literal pixels more, then EOI
    data = crafted(size, [lzw], 2)
    good, _ = pack(codes + [5], 2)
    assert frames(data) == frames(crafted(size, [good], 2))  # Pillow ignores them
    refused(data, "goes on producing pixels after the frame is complete")


@pytest.mark.parametrize("codes,words", [
    ([4, 6, 1, 5], "outside its table"),  # first code after the clear is not a literal
    ([4, 1, 7, 5], "outside its table"),  # 7: two past the next free entry (6)
    ([4, 1, 2, 4, 6, 5], "outside its table"),  # after a clear, the next free entry is undefined
    ([1, 2, 3, 12, 5], "outside its table"),  # no leading clear: 8 is the next free entry all the same
])
def test_code_outside_the_table_is_refused(codes: list[int], words: str) -> None:
    lzw, _ = pack(codes, 2)
    refused(crafted((2, 2), [lzw], 2), words)


@pytest.mark.parametrize("min_size", [0, 1, 9, 12])
def test_minimum_code_size_outside_2_to_8_is_refused(min_size: int) -> None:
    data = GIFS["tiny"]
    start = image_blocks(data)[0][0]
    refused(data[:start] + bytes([min_size]) + data[start + 1 :], f"minimum code size {min_size}")


def test_frame_ending_early_at_its_eoi_is_refused() -> None:
    pixels = noise(40, 4)
    lzw, _ = pack(lzw_codes(pixels[:30], 2) + [5] + lzw_codes(pixels[30:], 2) + [5], 2)
    refused(crafted((8, 5), [lzw], 2), r"ends early \(30 of 40 pixels\)")


def test_frame_whose_data_runs_out_is_refused() -> None:
    lzw, _ = pack(lzw_codes(noise(30, 4), 2), 2)
    refused(crafted((8, 5), [lzw], 2), r"cut short \(the frame has 40 pixels\)")


@pytest.mark.parametrize("name,frame", [("noise-256", 0), ("animated-local-tables", 0), ("animated-local-tables", 3)])
def test_truncated_pillow_frame_is_refused(name: str, frame: int) -> None:
    """A later frame is caught here, not by the final Pillow check, which decodes the first only."""
    data = GIFS[name]
    lzw = image_blocks(data)[frame][4]
    refused(with_lzw(data, frame, lzw[: len(lzw) // 2]), "malformed GIF: image data is cut short")


# -- streams decoders accept and Pillow never writes --------------------------------------------------

@pytest.mark.parametrize("min_size", range(2, 9))
@pytest.mark.parametrize("eoi", [True, False])
def test_every_minimum_code_size(min_size: int, eoi: bool) -> None:
    size = (61, 47)
    streams = [pack(lzw_codes(noise(61 * 47, 1 << min_size, seed), min_size, clear_first=seed == 0)
                    + [(1 << min_size) + 1] * eoi, min_size)[0] for seed in range(2)]
    data = crafted(size, streams, min_size)
    result = scrub_bytes(data)
    assert frames(result.data) == frames(data)
    assert [line for line in result.removed if line.startswith("GIF image data")] == []
    assert result.data == data


def test_deferred_clear_is_accepted() -> None:
    """With the table full and no clear code, codes stay 12 bits wide and add nothing (Pillow's own
    encoder clears instead)."""
    pixels = noise(160 * 120, 256, 7)
    codes = lzw_codes(pixels, 8, deferred=True)
    assert codes.count(256) == 1 and len(codes) > 3 * 4096
    lzw, _ = pack(codes + [257], 8)
    data = crafted((160, 120), [lzw], 8)
    with Image.open(io.BytesIO(data)) as image:
        assert list(image.tobytes()) == pixels  # the crafted stream is what a decoder expects
    result = scrub_bytes(data)
    assert result.data == data and frames(result.data) == frames(data)
    small = noise(300 * 100, 4, 8)  # the 4-colour table fills after ~4090 codes too
    lzw, _ = pack(lzw_codes(small, 2, deferred=True) + [5], 2)
    data = crafted((300, 100), [lzw], 2)
    assert scrub_bytes(data).data == data


@pytest.mark.parametrize("after", [[4, 5], [4, 4, 5], [4]])
def test_clear_codes_after_the_complete_frame_are_cut(after: list[int]) -> None:
    """Pillow's older run-length encoder wrote clear, EOI after the last pixel when its table filled
    there; the clear codes go, with the EOI after them."""
    codes = lzw_codes(noise(40, 4), 2)
    kept, _ = pack(codes, 2)
    lzw, _ = pack(codes + after, 2)
    data = crafted((8, 5), [lzw], 2)
    result = scrub_bytes(data)
    assert image_blocks(result.data)[0][4] == kept and frames(result.data) == frames(data)
    expected = [CUT.format(len(lzw) - len(kept))] * (len(lzw) > len(kept)) + [ZEROED] * (lzw[len(kept) - 1] != kept[-1])
    assert sorted(line for line in result.removed if line.startswith("GIF image data")) == sorted(expected)
    assert scrub_bytes(result.data).data == result.data


@settings(max_examples=200, deadline=None, derandomize=True)
@given(min_size=st.integers(2, 8), seed=st.integers(0, 2**16), count=st.integers(1, 9000),
       deferred=st.booleans(), clear_first=st.booleans(), eoi=st.booleans(), tail=st.binary(max_size=6))
def test_stream_end_is_where_the_encoder_stopped(min_size: int, seed: int, count: int, deferred: bool,
                                                  clear_first: bool, eoi: bool, tail: bytes) -> None:
    rnd = random.Random(seed)
    colours = rnd.choice([2, 1 << min_size])
    pixels = [rnd.randrange(colours) if rnd.random() < 0.3 else 0 for _ in range(count)]
    codes = lzw_codes(pixels, min_size, deferred=deferred, clear_first=clear_first)
    lzw, end = pack(codes + [(1 << min_size) + 1] * eoi, min_size)
    assert stream_end(lzw, min_size, count) == end
    if eoi:  # with an EOI, whatever follows is cut
        assert stream_end(lzw + tail, min_size, count) == end
    with pytest.raises(RejectedImage, match="ends early" if eoi else "cut short"):
        stream_end(lzw if eoi else lzw[:-1], min_size, count + 1 if eoi else count)
    if count > 1:  # one pixel too many: refused, unless all that follows lies in the last byte (cut)
        try:
            cut = stream_end(lzw, min_size, count - 1)
        except RejectedImage as exc:
            assert "more than the frame's" in exc.reason or "goes on producing" in exc.reason
        else:
            assert len(lzw) * 8 - cut < 8


# -- frame bombs ----------------------------------------------------------------------------------

def repeated_frames(data: bytes, count: int) -> bytes:
    """``data`` (a one-frame GIF) with its frame (control extension, descriptor, data) ``count`` times."""
    start = 13 + _table(data[10])
    return data[:start] + data[start:-1] * count + b";"


def test_many_frames_are_refused_over_ten_times_the_pixel_limit() -> None:
    data = save([palette_image((100, 100), 16, 1)])
    assert len(frames(scrub_bytes(repeated_frames(data, 10), max_pixels=10_000).data)) == 10
    refused(repeated_frames(data, 11), r"110000 pixels by frame 11 \(each at least 4096\), over the limit of "
                                       r"10 x 10000 for all frames together", max_pixels=10_000)


def test_frame_bomb_is_refused_quickly() -> None:
    frame = save([Image.new("P", (4000, 3000))])  # 12 megapixels in a few KB
    started = time.process_time()
    refused(repeated_frames(frame, 2000), "by frame 84 .* for all frames together")
    assert time.process_time() - started < 5


def test_tiny_frames_count_as_64_by_64() -> None:
    """A million 1x1 frames hold few pixels but cost a million frames' work."""
    frame = save([Image.new("P", (1, 1))])
    assert len(frames(scrub_bytes(repeated_frames(frame, 24), max_pixels=10_000).data)) == 24
    refused(repeated_frames(frame, 25), r"by frame 25 \(each at least 4096\)", max_pixels=10_000)
    started = time.process_time()
    refused(repeated_frames(frame, 1_000_000), "by frame 244141")
    assert time.process_time() - started < 10


# -- any damage: refused, or every frame decodes -----------------------------------------------------

SEED = save([palette_image((24, 16), 8 << i, i, noise=i % 2 == 1) for i in range(3)], loop=0, duration=50,
            optimize=False, comment=b"note")
position = st.floats(min_value=0, max_value=1, exclude_max=True)
edit = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("truncate"), position, st.just(b"")),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), position, st.integers(1, 16)),
)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(edits=st.lists(edit, min_size=1, max_size=3))
def test_damaged_animation_is_refused_or_decodes_frame_by_frame(edits: list) -> None:
    buf = bytearray(SEED)
    for kind, where, arg in edits:
        at = int(where * len(buf))
        if kind == "flip" and buf:
            buf[min(at, len(buf) - 1)] ^= 1 << arg
        elif kind == "truncate":
            del buf[at:]
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "delete":
            del buf[at : at + arg]
    try:
        result = scrub_bytes(bytes(buf))
    except RejectedImage as exc:
        assert exc.reason and "\n" not in exc.reason
        return
    assert len(frames(result.data)) == len(image_blocks(result.data))
    assert scrub_bytes(result.data).data == result.data
