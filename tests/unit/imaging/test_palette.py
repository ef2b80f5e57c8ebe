"""Palette entries no pixel uses: a PNG's PLTE and tRNS, a GIF's colour tables and a TIFF's ColorMap could carry a name
or coordinates in entries no decoder shows. The scrubber zeroes them and cuts the tables after the
last entry needed; every frame decodes (Pillow, RGBA) to the same pixels as before."""
from __future__ import annotations

import io
import random
import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps, ImageSequence

from pressroom.imaging import scrub_bytes
from tests.corpus import corpus_files
from tests.unit.imaging.test_gif import chunked, image_blocks, lzw_codes, pack

SECRET = b"SECRET-JohnSmith-51.5N-0.12W"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def rgba_frames(data: bytes) -> list[bytes]:
    """Every frame as Pillow shows it, RGBA."""
    with Image.open(io.BytesIO(data)) as image:
        return [frame.convert("RGBA").tobytes() for frame in ImageSequence.Iterator(image)]


def scrubbed_same(data: bytes) -> bytes:
    """The scrubbed bytes, after checking every frame shows the same pixels and a second scrub
    changes nothing."""
    out = scrub_bytes(data).data
    assert rgba_frames(out) == rgba_frames(data)
    assert scrub_bytes(out).data == out
    return out


def secret_palette(used: int, entries: int = 256) -> bytes:
    """``used`` distinct colours, then the secret over the rest of ``entries``."""
    colours = bytes((i * 53 + c * 101 + 7) % 256 for i in range(used) for c in range(3))
    return colours + (SECRET * 40)[: 3 * (entries - used)]


# ---- PNG ------------------------------------------------------------------------------------------

def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data: bytes) -> dict[bytes, bytes]:
    out, pos = {}, len(PNG_SIGNATURE)
    while pos < len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        out.setdefault(kind, data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    return out


def packed_rows(indices: list[int], width: int, height: int, depth: int, interlace: int) -> bytes:
    """The filtered rows (filter type 0) of an image of palette indices, Adam7 passes if interlaced."""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    out = bytearray()
    for x0, y0, dx, dy in passes:
        columns = range(x0, width, dx)
        if not columns:
            continue
        for y in range(y0, height, dy):
            value = bits = 0
            row = bytearray()
            for x in columns:
                value, bits = value << depth | indices[y * width + x], bits + depth
                if bits == 8:
                    row.append(value)
                    value = bits = 0
            if bits:
                row.append(value << (8 - bits))
            out += b"\x00" + row
    return bytes(out)


def palette_png(indices: list[int], size: tuple[int, int], plte: bytes, *, depth: int = 8, interlace: int = 0,
                trns: bytes | None = None, bkgd: int | None = None, frames: list[tuple] = ()) -> bytes:
    """A palette PNG built by hand; ``frames``: APNG frames after the default image, each
    (indices, (width, height), (x, y), dispose op, blend op)."""
    width, height = size
    parts = [chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, 3, 0, 0, interlace)),
             chunk(b"PLTE", plte)]
    if trns is not None:
        parts.append(chunk(b"tRNS", trns))
    if bkgd is not None:
        parts.append(chunk(b"bKGD", bytes([bkgd])))
    sequence = 0
    if frames:
        parts.append(chunk(b"acTL", struct.pack(">II", len(frames) + 1, 0)))
        parts.append(chunk(b"fcTL", struct.pack(">IIIIIHHBB", 0, width, height, 0, 0, 1, 10, 0, 0)))
        sequence = 1
    parts.append(chunk(b"IDAT", zlib.compress(packed_rows(indices, width, height, depth, interlace))))
    for pixels, (fw, fh), (x, y), dispose, blend in frames:
        parts.append(chunk(b"fcTL", struct.pack(">IIIIIHHBB", sequence, fw, fh, x, y, 1, 10, dispose, blend)))
        stream = zlib.compress(packed_rows(pixels, fw, fh, depth, interlace))
        parts.append(chunk(b"fdAT", struct.pack(">I", sequence + 1) + stream))
        sequence += 2
    return PNG_SIGNATURE + b"".join(parts) + chunk(b"IEND", b"")


def test_png_unused_palette_entries_lose_what_they_hold() -> None:
    indices = [(x + y) % 5 for y in range(12) for x in range(20)]
    data = palette_png(indices, (20, 12), secret_palette(5), trns=bytes([255, 0, 128, 255, 255]) + SECRET)
    assert SECRET in data and rgba_frames(data)  # the hiding place: Pillow shows the image all the same
    result = scrub_bytes(data)
    assert SECRET not in result.data and SECRET[:6] not in result.data
    assert rgba_frames(result.data) == rgba_frames(data)
    kept = chunks(result.data)
    assert kept[b"PLTE"] == secret_palette(5)[:15]  # the five used entries, the rest dropped
    assert kept[b"tRNS"] == bytes([255, 0, 128])  # opaque entries at the end need not be written
    assert "PNG palette entries no pixel uses, cleared: 251" in result.removed


def test_png_unused_entries_between_used_ones_are_zeroed() -> None:
    plte = secret_palette(256)
    data = palette_png([0, 3, 0, 3, 200, 3], (3, 2), plte, trns=SECRET + bytes(256 - len(SECRET)))
    out = scrubbed_same(data)
    kept = chunks(out)
    assert len(kept[b"PLTE"]) == 3 * 201
    assert [i for i in range(201) if kept[b"PLTE"][3 * i : 3 * i + 3] != b"\0\0\0"] == [0, 3, 200]
    assert kept[b"PLTE"][600:603] == plte[600:603]
    assert kept[b"tRNS"] == bytes([SECRET[0], 255, 255, SECRET[3]]) + b"\xff" * 196 + b"\0"


def test_png_all_opaque_trns_goes_and_the_background_entry_stays() -> None:
    plte = secret_palette(2)
    data = palette_png([0, 1] * 8, (4, 4), plte, trns=b"\xff\xff" + SECRET, bkgd=9)
    kept = chunks(scrubbed_same(data))
    assert b"tRNS" not in kept and kept[b"bKGD"] == b"\x09"
    assert kept[b"PLTE"] == plte[:6] + bytes(21) + plte[27:30]  # entry 9 keeps its colour: bKGD names it


def test_png_palette_all_in_use_is_untouched() -> None:
    plte = secret_palette(16, 16)
    data = palette_png(list(range(16)) * 3, (12, 4), plte, depth=4)
    result = scrub_bytes(data)
    assert result.data == data and not [line for line in result.removed if "palette" in line]


def test_png_index_past_the_palette_keeps_the_palette_whole() -> None:
    """Indices past PLTE's end (decoders show black or refuse) keep the palette's length."""
    plte = secret_palette(2, 4)
    out = scrubbed_same(palette_png([0, 1, 6, 7], (2, 2), plte, depth=4))
    assert chunks(out)[b"PLTE"] == plte[:6] + bytes(6)


def test_apng_frames_keep_the_entries_they_use() -> None:
    """An entry only a later frame uses stays; entry 0 too (Pillow fills a frame disposed to the
    background with it). Alpha only 0 or 255: Pillow blends a palette APNG frame over the last by
    mixing index numbers, showing entries no pixel names."""
    plte = secret_palette(8, 256)
    base = [1, 2] * 50
    frames = [([5] * 12, (4, 3), (2, 2), 1, 0), ([7, 6] * 8, (4, 4), (0, 5), 0, 1)]
    out = scrubbed_same(palette_png(base, (10, 10), plte, trns=bytes([255, 0, 255, 0, 0, 255, 0, 255]), frames=frames))
    kept = chunks(out)
    assert SECRET not in out and len(kept[b"PLTE"]) == 24
    assert [i for i in range(8) if kept[b"PLTE"][3 * i : 3 * i + 3] != b"\0\0\0"] == [0, 1, 2, 5, 6, 7]
    assert kept[b"tRNS"] == bytes([255, 0, 255, 255, 255, 255, 0])


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(depth=st.sampled_from([1, 2, 4, 8]), width=st.integers(1, 40), height=st.integers(1, 30),
       interlace=st.integers(0, 1), seed=st.integers(0, 2**32 - 1), trns=st.booleans(), bkgd=st.booleans(),
       animated=st.booleans())
def test_png_pixels_are_unchanged(depth: int, width: int, height: int, interlace: int, seed: int, trns: bool,
                                  bkgd: bool, animated: bool) -> None:
    rnd = random.Random(seed)
    entries = rnd.randint(1, 1 << depth)
    chosen = rnd.sample(range(entries), rnd.randint(1, entries))
    plte = rnd.randbytes(3 * entries)

    def pixels(count: int) -> list[int]:
        return [rnd.choice(chosen) for _ in range(count)]

    frames = []
    if animated:
        for _ in range(rnd.randint(1, 3)):
            fw, fh = rnd.randint(1, width), rnd.randint(1, height)
            frames.append((pixels(fw * fh), (fw, fh), (rnd.randint(0, width - fw), rnd.randint(0, height - fh)),
                           rnd.randint(0, 2), rnd.randint(0, 1)))
    # Pillow cannot decode an interlaced APNG frame, and blends a palette frame over the last by
    # mixing index numbers (alpha 0 and 255 only, then)
    alpha = (lambda count: bytes(rnd.choice((0, 255)) for _ in range(count))) if animated else rnd.randbytes
    data = palette_png(pixels(width * height), (width, height), plte, depth=depth,
                       interlace=0 if animated else interlace, trns=alpha(rnd.randint(1, entries)) if trns else None,
                       bkgd=rnd.randrange(entries) if bkgd else None, frames=frames)
    out = scrubbed_same(data)
    kept = chunks(out)
    used = set(chosen) if animated else set()
    if not animated:  # the palette holds nothing but what pixels (and bKGD) show
        with Image.open(io.BytesIO(data)) as image:
            used = {index for index, count in enumerate(image.histogram()) if count}
        named = used | ({chunks(data)[b"bKGD"][0]} if bkgd else set())
        assert len(kept[b"PLTE"]) == 3 * (max(named) + 1)
        assert all(kept[b"PLTE"][3 * i : 3 * i + 3] == b"\0\0\0" for i in range(max(named) + 1) if i not in named)


# ---- GIF ------------------------------------------------------------------------------------------

def gif(screen: tuple[int, int], gct: bytes | None, frames: list[dict], background: int = 0) -> bytes:
    """A GIF89a built by hand. Each frame: ``pixels``, ``box`` (x, y, width, height), optional
    ``table`` (local colour table), ``disposal``, ``transparent`` (index or None), ``control``
    (False: no graphic control extension)."""
    def flags(table: bytes | None) -> int:  # a table of 2^n entries
        return 0x80 | (len(table) // 3).bit_length() - 2 if table else 0

    out = b"GIF89a" + struct.pack("<HHBBB", *screen, flags(gct) | 0x70, background, 0) + (gct or b"")
    for frame in frames:
        table, transparent = frame.get("table"), frame.get("transparent")
        if frame.get("control", True):
            out += b"\x21\xf9\x04" + bytes([frame.get("disposal", 0) << 2 | (transparent is not None)])
            out += b"\x0a\x00" + bytes([transparent or 0]) + b"\x00"
        out += b"," + struct.pack("<HHHHB", *frame["box"], flags(table)) + (table or b"")
        min_size = max(2, max(frame["pixels"]).bit_length())
        out += bytes([min_size]) + chunked(pack(lzw_codes(frame["pixels"], min_size) + [(1 << min_size) + 1],
                                                min_size)[0])
    return out + b";"


def tables(data: bytes) -> list[bytes]:
    """The global colour table (b"" when none), then each frame's local one (b"" when none)."""
    def size(packed: int) -> int:
        return 3 << (packed & 7) + 1 if packed & 0x80 else 0

    return [data[13 : 13 + size(data[10])]] + [data[start - size(packed) : start]
                                                for start, *_, packed in image_blocks(data)]


def test_gif_unused_colour_table_entries_lose_what_they_hold() -> None:
    gct, lct = secret_palette(3), secret_palette(6, 64)
    data = gif((10, 8), gct, [
        {"pixels": [(x * y) % 3 for y in range(8) for x in range(10)], "box": (0, 0, 10, 8)},
        {"pixels": [i % 6 for i in range(20)], "box": (2, 2, 5, 4), "table": lct},
    ])
    assert SECRET in data and len(rgba_frames(data)) == 2
    result = scrub_bytes(data)
    assert SECRET not in result.data and SECRET[:6] not in result.data
    assert rgba_frames(result.data) == rgba_frames(data)
    assert tables(result.data) == [gct[:9] + bytes(3), b"", lct[:18] + bytes(6)]
    assert "GIF colour table entries no pixel uses, cleared: 311" in result.removed


def test_gif_background_and_transparent_indices_keep_their_meaning() -> None:
    """The background and transparent entries keep their colour (Pillow shows the transparent one's
    in places, as where a frame is disposed on an opaque canvas)."""
    gct = secret_palette(256)
    data = gif((6, 6), gct, [{"pixels": [1, 2] * 18, "box": (0, 0, 6, 6), "transparent": 40}], background=9)
    out = scrubbed_same(data)
    table, _ = tables(out)
    assert len(table) == 3 * 64  # index 40 needs 64 entries
    assert [i for i in range(64) if table[3 * i : 3 * i + 3] != b"\0\0\0"] == [1, 2, 9, 40]
    assert out[11] == 9 and SECRET not in out


def test_gif_pillow_shows_what_disposal_and_an_uncovered_screen_need() -> None:
    """Pillow fills what the first frame leaves uncovered with entry 0, and a frame disposed to the
    background with the background entry (entry 0 when its table is too short); a disposal method
    of 0 leaves the last other one in force."""
    gct, lct = secret_palette(16, 16), secret_palette(16, 16)[::-1]
    data = gif((8, 8), gct, [
        {"pixels": [3] * 16, "box": (2, 2, 4, 4)},
        {"pixels": [4] * 4, "box": (0, 0, 2, 2), "disposal": 2, "transparent": 7},
        {"pixels": [6] * 4, "box": (6, 6, 2, 2), "table": lct},
    ], background=5)
    out = scrubbed_same(data)
    assert [[i for i in range(len(table) // 3) if table[3 * i : 3 * i + 3] != b"\0\0\0"]
            for table in tables(out)] == [[0, 3, 4, 5, 7], [], [], [0, 5, 6]]


def test_gif_index_past_its_table_keeps_the_table_whole() -> None:
    gct = secret_palette(2, 4)
    out = scrubbed_same(gif((4, 1), gct, [{"pixels": [0, 1, 9, 1], "box": (0, 0, 4, 1)}]))
    assert tables(out) == [gct[:6] + bytes(6), b""]


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), count=st.integers(1, 4), global_table=st.booleans())
def test_gif_pixels_are_unchanged(seed: int, count: int, global_table: bool) -> None:
    rnd = random.Random(seed)
    screen = rnd.randint(1, 30), rnd.randint(1, 30)

    def table() -> bytes:
        return rnd.randbytes(3 << rnd.randint(1, 8))

    gct = table() if global_table else None
    frames = []
    for _ in range(count):
        local = table() if not gct or rnd.random() < 0.5 else None
        entries = len(local or gct) // 3
        chosen = rnd.sample(range(entries), rnd.randint(1, min(entries, 12)))
        width, height = rnd.randint(1, screen[0]), rnd.randint(1, screen[1])
        box = rnd.randint(0, screen[0] - width), rnd.randint(0, screen[1] - height), width, height
        frames.append({"pixels": [rnd.choice(chosen) for _ in range(width * height)], "box": box, "table": local,
                       "disposal": rnd.randint(0, 3), "control": rnd.random() < 0.8,
                       "transparent": rnd.choice([None, rnd.randrange(entries), rnd.choice(chosen)])})
    data = gif(screen, gct, frames, background=rnd.randrange(256))
    out = scrubbed_same(data)
    assert len(out) <= len(data)


# ---- corpus photos as palette images --------------------------------------------------------------

def corpus_palette_images() -> dict[str, bytes]:
    """Corpus photos made into palette PNGs (adaptive and web palettes, 4-bit), a GIF and an animated
    GIF with a palette of its own per frame."""
    out = {}
    for path in corpus_files("*.jpg")[:3]:
        name = path.name
        with Image.open(path) as image:
            photo = ImageOps.exif_transpose(image).convert("RGB")
        photo.thumbnail((160, 160))
        for label, image, params in [("adaptive", photo.quantize(200), {}), ("web", photo.convert("P"), {}),
                                     ("16", photo.quantize(16), {"bits": 4})]:
            buffer = io.BytesIO()
            image.save(buffer, "PNG", **params)
            out[f"{name}-{label}.png"] = buffer.getvalue()
        frames = [photo.rotate(angle).quantize(32 + angle) for angle in (0, 10, 20)]
        for label, params in [("still", {}), ("animated", {"save_all": True, "append_images": frames[1:],
                                                             "duration": 50, "loop": 0, "disposal": 2})]:
            buffer = io.BytesIO()
            frames[0].save(buffer, "GIF", optimize=False, **params)
            out[f"{name}-{label}.gif"] = buffer.getvalue()
    return out


def test_corpus_photos_as_palette_images_keep_their_pixels() -> None:
    images = corpus_palette_images()
    assert len(images) == 15
    for name, data in images.items():
        scrubbed_same(data)
        if name.endswith("-web.png"):  # the web palette has more entries than any of these photos uses
            assert scrub_bytes(data).data != data, name


@pytest.mark.parametrize("compression", ["raw", "tiff_lzw", "tiff_adobe_deflate", "packbits"])
def test_tiff_colormap_entries_no_pixel_uses_lose_what_they_hold(compression: str) -> None:
    """A ColorMap always has 2^bits entries of three 16-bit values: unused, they could carry 2 bytes
    each. Those no pixel uses are zeroed, the used ones kept, and the pixels shown are the same."""
    image = Image.new("P", (40, 30))
    image.putdata([(x // 10 + y // 10) % 4 for y in range(30) for x in range(40)])
    image.putpalette([0, 0, 0, 200, 0, 0, 0, 200, 0, 0, 0, 200] + list(SECRET.ljust(30, b"."))[: 3 * 12])
    out = io.BytesIO()
    image.save(out, "TIFF", compression=compression)
    before = out.getvalue()
    with Image.open(io.BytesIO(before)) as original:
        assert bytes(original.getpalette()[12:40]) == SECRET  # the secret is in the file's ColorMap
        used = {i for i, n in enumerate(original.histogram()) if n}
    after = scrubbed_same(before)
    with Image.open(io.BytesIO(after)) as scrubbed:
        palette = scrubbed.getpalette()
        assert all(palette[3 * i : 3 * i + 3] == [0, 0, 0] for i in range(len(palette) // 3) if i not in used)
        assert SECRET[:6] not in bytes(palette)
