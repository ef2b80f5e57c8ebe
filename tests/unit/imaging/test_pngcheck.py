"""The PNG check that replaces a Pillow decode: it accepts every well-formed PNG (every colour type
and bit depth, interlaced or not, animated), refuses damaged image data and the places data could
hide, runs in memory that does not grow with the pixel count, and never accepts what Pillow cannot
decode. Bytes after the end of the image data's zlib stream are cut by the scrubber."""
from __future__ import annotations

import io
import json
import random
import shutil
import struct
import subprocess
import tracemalloc
import warnings
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageCms

from pressroom.imaging import (
    RejectedImage,
    png,
    pngcheck,
    scrub_bytes,
)
from tests.corpus import corpus_files
from tests.memory import check_growth_kib, linux_only

EXIFTOOL = shutil.which("exiftool")
SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
COMBOS = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8),
          (4, 8), (4, 16), (6, 8), (6, 16)]  # (colour type, bit depth): every one the specification allows
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
SECRET = b"the informant is J. Doe, 12 Acacia Avenue"


# ---- building PNGs ---------------------------------------------------------------------------

def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], len(SIGNATURE)
    while pos + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, pos)
        out.append((kind, data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def build(parts: list[tuple[bytes, bytes]]) -> bytes:
    return SIGNATURE + b"".join(chunk(kind, body) for kind, body in parts)


def ihdr(width: int, height: int, depth: int = 8, colour: int = 2, compression: int = 0, filtering: int = 0,
         interlace: int = 0) -> tuple[bytes, bytes]:
    return b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour, compression, filtering, interlace)


def rows(width: int, height: int, depth: int, colour: int, interlace: int, rng: random.Random,
         filters: tuple[int, ...] = (0, 1, 2, 3, 4)) -> bytes:
    """Random filtered rows (any filter type, any sample bytes: every such stream decodes)."""
    bits = CHANNELS[colour] * depth
    shapes = ([(len(range(x0, width, dx)), len(range(y0, height, dy))) for x0, y0, dx, dy in ADAM7]
              if interlace else [(width, height)])
    stream = bytearray()
    for columns, count in shapes:
        if columns and count:
            for _ in range(count):
                stream += bytes([rng.choice(filters)]) + rng.randbytes((columns * bits + 7) // 8)
    return bytes(stream)


def raw_png(width: int, height: int, depth: int = 8, colour: int = 2, interlace: int = 0, seed: int = 0,
            extra: list[tuple[bytes, bytes]] = (), split: int = 1) -> bytes:
    """A PNG built by hand: IHDR, a full palette for colour type 3, ``extra`` chunks, the rows'
    zlib stream in ``split`` IDAT chunks, IEND."""
    rng = random.Random(seed)
    parts = [ihdr(width, height, depth, colour, interlace=interlace), *extra]
    if colour == 3:
        parts.insert(1, (b"PLTE", rng.randbytes(3 << depth)))
    stream = zlib.compress(rows(width, height, depth, colour, interlace, rng))
    step = -(-len(stream) // split)
    parts += [(b"IDAT", stream[i : i + step]) for i in range(0, len(stream), step)]
    return build(parts + [(b"IEND", b"")])


def with_stream(data: bytes, stream: bytes) -> bytes:
    """``data`` with its IDAT chunks replaced by one holding ``stream``."""
    parts = chunks(data)
    first = next(i for i, (kind, _) in enumerate(parts) if kind == b"IDAT")
    rest = [part for part in parts[first:] if part[0] != b"IDAT"]
    return build(parts[:first] + [(b"IDAT", stream)] + rest)


def inflated(data: bytes) -> bytes:
    return zlib.decompress(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))


def encode(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", **params)
    return out.getvalue()


def picture(mode: str = "RGB", size: tuple[int, int] = (37, 23)) -> Image.Image:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.putpixel((0, 0), (255, 0, 128))
    return image.convert(mode)


def apng(frames: int = 3, size: tuple[int, int] = (30, 20), **params: object) -> bytes:
    images = [picture("RGBA", size).rotate(40 * i) for i in range(frames)]
    return encode(images[0], save_all=True, append_images=images[1:], duration=40, loop=0, **params)


def pillow_frames(data: bytes) -> list[bytes]:
    """Every frame Pillow decodes, as RGBA bytes (a failure raises)."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(io.BytesIO(data)) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                image.load()
                out.append(image.convert("RGBA").tobytes())
    return out


def renumbered(parts: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """APNG sequence numbers rewritten 0, 1, 2, ... in chunk order."""
    out, number = [], 0
    for kind, body in parts:
        if kind in (b"fcTL", b"fdAT"):
            body, number = struct.pack(">I", number) + body[4:], number + 1
        out.append((kind, body))
    return out


def refused(data: bytes, words: str) -> None:
    with pytest.raises(RejectedImage, match=words):
        pngcheck.check(data)


# ---- what it accepts -------------------------------------------------------------------------

def test_every_corpus_png_passes_and_has_nothing_to_cut() -> None:
    files = corpus_files("*.png")
    assert len(files) >= 4
    for path in files:
        scrubbed = png.scrub(path.read_bytes(), 100_000_000)
        pngcheck.check(scrubbed.data, (scrubbed.width, scrubbed.height))
        assert pngcheck.stream_cuts(scrubbed.data) == {}, path.name
        assert not any("zlib stream" in line for line in scrub_bytes(path.read_bytes()).removed)


@pytest.mark.parametrize("interlace", [0, 1])
@pytest.mark.parametrize("colour,depth", COMBOS)
def test_every_colour_type_and_bit_depth_passes(colour: int, depth: int, interlace: int) -> None:
    for seed, (width, height) in enumerate([(13, 11), (1, 1), (3, 9), (9, 2), (64, 3)]):
        data = raw_png(width, height, depth, colour, interlace, seed=seed, split=1 + seed % 3)
        pngcheck.check(data, (width, height))
        assert pngcheck.stream_cuts(data) == {}
        result = scrub_bytes(data).data
        assert pillow_frames(result) == pillow_frames(data)  # Pillow agrees it decodes, the same
        if colour != 3:  # nothing to drop, nothing to cut (a palette loses entries no pixel uses)
            assert result == data


@pytest.mark.parametrize("mode,params", [
    ("1", {}), ("L", {}), ("LA", {}), ("P", {}), ("P", {"bits": 1}), ("P", {"bits": 2}), ("P", {"bits": 4}),
    ("RGB", {"optimize": True}), ("RGBA", {}), ("I;16", {}), ("L", {"transparency": 7}),
    ("RGB", {"transparency": (1, 2, 3)}), ("P", {"transparency": 0}), ("RGB", {"dpi": (300, 300)}),
    ("RGB", {"icc_profile": ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()}),
])
def test_pillow_written_pngs_pass(mode: str, params: dict) -> None:
    data = encode(picture(mode), **params)
    pngcheck.check(data, (37, 23))
    assert scrub_bytes(data).width == 37


@pytest.mark.parametrize("params", [{}, {"default_image": True}])
def test_animated_png_passes_and_every_frame_survives_the_scrub(params: dict) -> None:
    data = apng(**params)
    pngcheck.check(data, (30, 20))
    result = scrub_bytes(data)
    assert pillow_frames(result.data) == pillow_frames(data)


def test_empty_idat_chunks_within_the_stream_pass() -> None:
    data = raw_png(20, 10)
    parts = chunks(data)
    at = next(i for i, (kind, _) in enumerate(parts) if kind == b"IDAT")
    pngcheck.check(build(parts[:at] + [(b"IDAT", b"")] + parts[at:at + 1] + [(b"IDAT", b"")] + parts[at + 1 :]))


# ---- the image data --------------------------------------------------------------------------

def test_truncated_zlib_stream_is_refused() -> None:
    data = raw_png(40, 30, seed=1)
    stream = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    refused(with_stream(data, stream[:-9]), "zlib stream cut short|not a valid zlib stream")
    refused(with_stream(data, stream[:-4]), "zlib stream cut short")  # all rows there, no Adler-32
    with pytest.raises(RejectedImage, match="cut short"):
        scrub_bytes(with_stream(data, stream[: len(stream) // 2]))


def test_wrong_adler32_is_refused() -> None:
    data = raw_png(40, 30, seed=1)
    stream = bytearray(b"".join(body for kind, body in chunks(data) if kind == b"IDAT"))
    stream[-1] ^= 1
    refused(with_stream(data, bytes(stream)), "not a valid zlib stream")


def test_too_few_or_too_many_decompressed_bytes_are_refused() -> None:
    data = raw_png(40, 30, colour=0, seed=2)
    raw = inflated(data)
    refused(with_stream(data, zlib.compress(raw[:-1])), f"inflates to {len(raw) - 1} bytes, its rows need {len(raw)}")
    refused(with_stream(data, zlib.compress(raw[:-41])), "its rows need")
    refused(with_stream(data, zlib.compress(raw + b"\x00")), f"more than the {len(raw)} bytes its rows need")
    refused(with_stream(data, zlib.compress(raw + bytes(1 << 20))), "more than")


def test_interlaced_stream_sized_as_if_not_interlaced_is_refused() -> None:
    laced = raw_png(13, 11, interlace=1, seed=3)
    flat = (b"\x00" + bytes(13 * 3)) * 11  # the rows of the image not interlaced: fewer filter bytes
    assert len(flat) < len(inflated(laced))
    need = len(inflated(laced))
    refused(with_stream(laced, zlib.compress(flat)), f"inflates to {len(flat)} bytes, its rows need {need}")


@pytest.mark.parametrize("interlace,last", [(0, "row 10 has"), (1, "row 4 of Adam7 pass 7 has")])
def test_bad_filter_byte_is_refused(interlace: int, last: str) -> None:
    data = raw_png(13, 11, interlace=interlace, seed=4)
    raw = bytearray(inflated(data))
    last_row = len(raw) - (1 + 13 * 3)  # the last pass's (or image's) last row
    raw[last_row] = 5
    refused(with_stream(data, zlib.compress(bytes(raw))), f"{last} filter type 5")
    raw[last_row], raw[0] = 0, 255
    refused(with_stream(data, zlib.compress(bytes(raw))), "row 0 .*filter type 255")


def test_bad_filter_byte_in_a_large_image_is_found_wherever_it_is() -> None:
    width, height = 2000, 300  # rows straddle the inflate pieces
    raw = bytearray(b"\x00" + bytes(width * 3)) * height
    data = raw_png(width, height)
    for row in (0, 1, 131, 299):
        bad = bytearray(raw)
        bad[row * (1 + width * 3)] = 7
        refused(with_stream(data, zlib.compress(bytes(bad))), f"row {row} has filter type 7")
    pngcheck.check(with_stream(data, zlib.compress(bytes(raw))))


def test_bytes_after_the_zlib_stream_are_refused_by_the_check() -> None:
    data = raw_png(40, 30, seed=5)
    stream = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    refused(with_stream(data, stream + SECRET), f"{len(SECRET)} bytes after the end of its zlib stream")
    parts = chunks(data)
    at = [kind for kind, _ in parts].index(b"IEND")
    refused(build(parts[:at] + [(b"IDAT", SECRET)] + parts[at:]), "bytes after the end of its zlib stream")


def _trailing_variants(data: bytes) -> list[bytes]:
    parts = chunks(data)
    idat = [i for i, (kind, _) in enumerate(parts) if kind == b"IDAT"]
    last = idat[-1]
    inside = parts[:last] + [(b"IDAT", parts[last][1] + SECRET)] + parts[last + 1 :]
    separate = parts[: last + 1] + [(b"IDAT", SECRET), (b"IDAT", b""), (b"IDAT", SECRET)] + parts[last + 1 :]
    both = parts[:last] + [(b"IDAT", parts[last][1] + SECRET[:5]), (b"IDAT", SECRET[5:])] + parts[last + 1 :]
    return [build(inside), build(separate), build(both)]


@pytest.mark.parametrize("variant", range(3))
def test_scrubber_cuts_bytes_after_the_zlib_stream_pixels_unchanged(variant: int, tmp_path: Path) -> None:
    data = raw_png(40, 30, seed=6, split=2)
    hidden = _trailing_variants(data)[variant]
    result = scrub_bytes(hidden)
    assert result.data == data
    assert SECRET not in result.data and SECRET[5:] not in result.data
    assert any(line.startswith("PNG image data after the end of its zlib stream") for line in result.removed)
    assert pillow_frames(result.data) == pillow_frames(hidden)
    again = scrub_bytes(result.data)
    assert again.data == result.data and again.removed == []
    if EXIFTOOL:
        (tmp_path / "out.png").write_bytes(result.data)
        report = subprocess.run([EXIFTOOL, "-j", "-a", "-u", "-G1", "-ee", str(tmp_path / "out.png")],
                                capture_output=True, check=True, timeout=60).stdout
        (item,) = json.loads(report)
        assert b"Acacia" not in report and not any("Warning" in key for key in item)


def test_scrubber_cuts_bytes_after_an_apng_frame_stream_and_renumbers() -> None:
    data = apng(frames=3)
    parts = chunks(data)
    fdat = [i for i, (kind, _) in enumerate(parts) if kind == b"fdAT"]
    first = fdat[0]
    kind, body = parts[first]
    hidden = parts[:first] + [(kind, body + SECRET), (b"fdAT", b"\x00" * 4 + SECRET)] + parts[first + 1 :]
    hidden = build(renumbered(hidden))
    with pytest.raises(RejectedImage, match="frame 2 .*after the end of its zlib stream"):
        pngcheck.check(hidden)
    result = scrub_bytes(hidden)
    assert SECRET not in result.data and result.data == data
    assert pillow_frames(result.data) == pillow_frames(data)


# ---- the header and the chunks ---------------------------------------------------------------

@pytest.mark.parametrize("fields,words", [
    ((16, 3, 0, 0, 0), "bit depth 16 with colour type 3"),
    ((4, 2, 0, 0, 0), "bit depth 4 with colour type 2"),
    ((2, 6, 0, 0, 0), "bit depth 2 with colour type 6"),
    ((1, 4, 0, 0, 0), "bit depth 1 with colour type 4"),
    ((8, 1, 0, 0, 0), "colour type 1"),
    ((8, 5, 0, 0, 0), "colour type 5"),
    ((3, 0, 0, 0, 0), "bit depth 3"),
    ((8, 2, 1, 0, 0), "unknown compression"),
    ((8, 2, 0, 1, 0), "filter"),
    ((8, 2, 0, 0, 2), "interlace"),
])
def test_bad_ihdr_is_refused(fields: tuple[int, ...], words: str) -> None:
    data = raw_png(8, 8)
    parts = chunks(data)
    parts[0] = (b"IHDR", struct.pack(">II", 8, 8) + bytes(fields))
    refused(build(parts), words)


@pytest.mark.parametrize("width,height", [(0, 8), (8, 0), (1 << 31, 8), (8, 0xFFFFFFFF)])
def test_bad_ihdr_size_is_refused(width: int, height: int) -> None:
    parts = chunks(raw_png(8, 8))
    parts[0] = ihdr(width, height)
    refused(build(parts), "invalid size")


def test_size_must_match_the_one_expected() -> None:
    data = raw_png(8, 6)
    pngcheck.check(data, (8, 6))
    with pytest.raises(RejectedImage, match="differs"):
        pngcheck.check(data, (6, 8))


def test_palette_rules() -> None:
    data = raw_png(8, 8, depth=2, colour=3)
    parts = chunks(data)
    assert parts[1][0] == b"PLTE" and len(parts[1][1]) == 12
    refused(build(parts[:1] + parts[2:]), "colour type 3 has no PLTE")
    refused(build(parts[:1] + [(b"PLTE", bytes(15))] + parts[2:]), "5 entries, more than 2-bit")
    refused(build(parts[:1] + [(b"PLTE", bytes(10))] + parts[2:]), "not 1-256 entries")
    refused(build(parts[:1] + [(b"PLTE", b"")] + parts[2:]), "not 1-256 entries")
    grey = chunks(raw_png(8, 8, depth=8, colour=0))
    refused(build(grey[:1] + [(b"PLTE", bytes(6))] + grey[1:]), "PLTE chunk in a greyscale")
    rgb = chunks(raw_png(8, 8))
    pngcheck.check(build(rgb[:1] + [(b"PLTE", bytes(6))] + rgb[1:]))  # a suggested palette
    refused(build(parts[:1] + parts[2:-1] + parts[1:2] + parts[-1:]), "no PLTE before its image data")
    refused(build(rgb[:-1] + [(b"PLTE", bytes(6))] + rgb[-1:]), "PLTE after the image data")


@pytest.mark.parametrize("colour,depth,body,ok", [
    (0, 8, b"\x00\x07", True), (0, 8, b"\x01\x00", False), (0, 1, b"\x00\x01", True), (0, 1, b"\x00\x02", False),
    (0, 16, b"\xff\xff", True), (0, 8, b"\x00", False), (0, 8, b"\x00\x07\x00", False),
    (2, 8, b"\x00\x01\x00\x02\x00\x03", True), (2, 8, b"\x00\x01\x00\x02\x01\x03", False), (2, 8, b"\x00\x01", False),
    (3, 2, b"\x00\x80", True), (3, 2, b"\x00\x80\xff\xff", True), (3, 2, b"\x00" * 5, False), (3, 2, b"", False),
    (4, 8, b"\x00\x00", False), (6, 8, b"\x00" * 6, False),
])
def test_transparency_chunk_must_fit(colour: int, depth: int, body: bytes, ok: bool) -> None:
    data = raw_png(8, 8, depth, colour, extra=[(b"tRNS", body)])
    if ok:
        pngcheck.check(data)
        pillow_frames(data)
    else:
        refused(data, "tRNS")


@pytest.mark.parametrize("kind,body,words", [
    (b"gAMA", b"\x00\x00\xb1\x8f" + SECRET, "gAMA is 45 bytes long, not 4"),
    (b"sRGB", b"\x07", "intent 7"),
    (b"pHYs", struct.pack(">IIB", 1, 1, 2), "unit 2"),
    (b"sBIT", b"\x08\x08\x09", "sBIT"),
    (b"sBIT", b"\x08\x08", "sBIT"),
    (b"bKGD", b"\x00\x01\x00\x02\x00", "bKGD"),
    (b"tEXt", b"Comment\x00" + SECRET, "tEXt is not one a scrubbed PNG holds"),
    (b"prVt", SECRET, "prVt is not one"),
    (b"fcTL", bytes(26), "fcTL without acTL"),
    (b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(b"x" * 200) + SECRET, "iCCP chunk has bytes after"),
    (b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(b"x" * 200)[:-6], "iCCP profile's zlib stream is cut short"),
    (b"iCCP", b"ICC Profile\x00\x01" + zlib.compress(b"x" * 200), "compression method 0"),
    (b"iCCP", b"ICC Profile\x00\x00" + zlib.compress(bytes(2 << 20)), "iCCP profile inflates to more than"),
])
def test_malformed_or_unexpected_ancillary_chunks_are_refused(kind: bytes, body: bytes, words: str) -> None:
    refused(raw_png(8, 8, extra=[(kind, body)]), words)


def test_chunk_order_duplicates_and_the_end() -> None:
    data = raw_png(20, 10, split=3)
    parts = chunks(data)
    gama = (b"gAMA", b"\x00\x00\xb1\x8f")
    pngcheck.check(build(parts[:1] + [gama] + parts[1:]))
    refused(build(parts[:1] + [gama, gama] + parts[1:]), "more than one gAMA")
    refused(build(parts[:-1] + [gama] + parts[-1:]), "gAMA after the image data")
    refused(build(parts[:2] + [gama] + parts[2:]), "gAMA after the image data")  # between two IDAT
    plte = chunks(raw_png(8, 8, depth=8, colour=3))
    refused(build(plte[:2] + [gama] + plte[2:]), "gAMA after PLTE")
    refused(build(plte[:1] + [(b"tRNS", b"\x00")] + plte[1:]), "tRNS chunk before PLTE")
    refused(build(parts[:2] + [(b"pHYs", struct.pack(">IIB", 1, 1, 1))] + parts[2:]), "after the image data")
    refused(build(parts[:1] + parts[-1:]), "no image data")
    refused(data + b"\x00", "1 bytes after IEND")
    refused(data[:-12], "no IEND")
    refused(build(parts[1:]), "does not start with an IHDR")
    refused(build([parts[0]] + parts), "more than one IHDR")
    refused(build(parts[:-1] + [(b"IEND", b"\x00")]), "IEND is 1 bytes long")
    bad_crc = bytearray(data)
    bad_crc[-1] ^= 1
    refused(bytes(bad_crc), "IEND fails its CRC")
    refused(b"\x89PNG\r\n\x1a\x0b" + data[8:], "signature")


def test_apng_structure_is_checked() -> None:
    parts = chunks(apng(frames=3))
    kinds = [kind for kind, _ in parts]
    fctl = [i for i, kind in enumerate(kinds) if kind == b"fcTL"]
    actl = kinds.index(b"acTL")
    pngcheck.check(build(parts))

    swapped = list(parts)
    swapped[fctl[1]], swapped[fctl[1] + 1] = swapped[fctl[1] + 1], swapped[fctl[1]]
    refused(build(swapped), "out of sequence|before the frame control")
    for count in (4, 2, 0):
        declared = parts[:actl] + [(b"acTL", struct.pack(">II", count, 0))] + parts[actl + 1 :]
        refused(build(declared), f"declares {count} frames, the file has 3")
    refused(build(parts[:actl] + parts[actl + 1 :]), "fcTL without acTL")

    def with_fctl(index: int, width: int, height: int, x: int, y: int, ops: bytes = b"\x00\x00") -> bytes:
        body = parts[index][1]
        body = body[:4] + struct.pack(">IIII", width, height, x, y) + body[20:24] + ops
        return build(parts[:index] + [(b"fcTL", body)] + parts[index + 1 :])

    refused(with_fctl(fctl[2], 30, 20, 1, 0), "frame 3 .* not inside the 30x20 canvas")
    refused(with_fctl(fctl[2], 0, 20, 0, 0), "not inside")
    refused(with_fctl(fctl[0], 29, 20, 0, 0), "frame 1 before IDAT: only a first frame covering the whole image")
    refused(with_fctl(fctl[2], 30, 20, 0, 0, b"\x03\x00"), "dispose op 3")
    # a smaller frame: its fdAT data is checked against its own size
    frame = zlib.compress((b"\x00" + bytes(10 * 4)) * 5)
    small = parts[: fctl[2] + 1] + [(b"fdAT", parts[fctl[2] + 1][1][:4] + frame)] + parts[fctl[2] + 2 :]
    refused(with_fctl_in(small, fctl[2], 30, 20), "frame 3 \\(fdAT\\) inflates to")
    pngcheck.check(with_fctl_in(small, fctl[2], 10, 5))
    pillow_frames(with_fctl_in(small, fctl[2], 10, 5))
    # a frame with no data
    nodata = parts[: fctl[2] + 1] + parts[fctl[2] + 2 :]
    refused(build(renumbered(nodata)), "frame 3 \\(fdAT\\) has no image data")
    between = parts[: fctl[1] + 1] + [(b"IDAT", b"")] + parts[fctl[1] + 1 :]
    refused(build(between), "IDAT chunks are not consecutive")
    refused(build(parts[: fctl[1]] + [(b"fdAT", b"")] + parts[fctl[1] :]), "fdAT chunk out of sequence")
    single = encode(picture("RGBA"), save_all=True, append_images=[], default_image=True)  # acTL of 0 frames
    pngcheck.check(single)
    zero = chunks(single)
    refused(build(zero[:-1] + parts[fctl[1] : fctl[1] + 2] + zero[-1:]), "out of sequence|declares 0 frames")
    bad_filter = bytearray(zlib.decompress(parts[fctl[2] + 1][1][4:]))
    bad_filter[0] = 9
    fdat = (b"fdAT", parts[fctl[2] + 1][1][:4] + zlib.compress(bytes(bad_filter)))
    damaged = parts[: fctl[2] + 1] + [fdat] + parts[fctl[2] + 2 :]
    refused(build(damaged), "frame 3 \\(fdAT\\): row 0 has filter type 9")


def with_fctl_in(parts: list[tuple[bytes, bytes]], index: int, width: int, height: int) -> bytes:
    body = parts[index][1]
    body = body[:4] + struct.pack(">IIII", width, height, 0, 0) + body[20:]
    return build(parts[:index] + [(b"fcTL", body)] + parts[index + 1 :])


# ---- memory ----------------------------------------------------------------------------------

def flat_png(width: int, height: int) -> bytes:
    """RGBA 16-bit, mostly one colour: a small file holding width * height * 8 bytes of pixels."""
    compressor = zlib.compressobj(6)
    row = b"\x00" + b"\x12\x34\x56\x78\x9a\xbc\xff\xff" * width
    stripe = b"\x02" + bytes(range(256)) * (width * 8 // 256) + bytes(width * 8 % 256)
    stream = b"".join(compressor.compress(stripe if y % 499 == 0 else row) for y in range(height)) + compressor.flush()
    parts = [ihdr(width, height, 16, 6)] + [(b"IDAT", stream[i : i + 65536]) for i in range(0, len(stream), 65536)]
    return build(parts + [(b"IEND", b"")])


def test_memory_stays_near_the_file_size_whatever_the_pixel_count() -> None:
    data = flat_png(5000, 4000)  # 160 MB of pixels (Pillow would hold 80 MB as 8-bit RGBA)
    assert len(data) < 1_000_000
    for run in (lambda: pngcheck.check(data, (5000, 4000)), lambda: scrub_bytes(data)):
        tracemalloc.start()
        try:
            run()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < len(data) + 4_000_000


def test_memory_does_not_grow_with_the_chunk_count() -> None:
    data = raw_png(200, 100, seed=8)
    stream = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    parts = chunks(data)
    tiny = build(parts[:-2] + [(b"IDAT", stream[i : i + 1]) for i in range(len(stream))] + parts[-1:])
    assert tiny.count(b"IDAT") == len(stream) > 50_000
    tracemalloc.start()
    try:
        pngcheck.check(tiny)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # nothing kept per chunk


@linux_only
def test_process_memory_does_not_grow_with_the_pixel_count(tmp_path: Path) -> None:
    """tracemalloc does not see memory a C library allocates (Pillow's pixels): a child process's
    peak resident size does."""
    path = tmp_path / "flat.png"
    path.write_bytes(flat_png(5000, 4000))
    assert check_growth_kib("pngcheck", path, (5000, 4000)) < 16 * 1024  # KiB; decoding with Pillow adds 80 MB here


# ---- never more lenient than Pillow ----------------------------------------------------------

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@st.composite
def seeds(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["pillow", "pillow", "raw", "apng"]))
    width, height = draw(st.integers(1, 40)), draw(st.integers(1, 40))
    if kind == "raw":
        colour, depth = draw(st.sampled_from(COMBOS))
        return raw_png(width, height, depth, colour, draw(st.integers(0, 1)), seed=draw(st.integers(0, 99)),
                       split=draw(st.integers(1, 3)))
    if kind == "apng":
        return apng(frames=draw(st.integers(1, 3)), size=(width, height), default_image=draw(st.booleans()))
    mode = draw(st.sampled_from(MODES))
    params: dict = {"optimize": draw(st.booleans())}
    if mode == "P":
        params["bits"] = draw(st.sampled_from([1, 2, 4, 8]))
    if mode in ("L", "P", "RGB") and draw(st.booleans()):
        params["transparency"] = (1, 2, 3) if mode == "RGB" else 1
    if mode in ("RGB", "RGBA") and draw(st.booleans()):
        params["icc_profile"] = SRGB
    image = Image.effect_noise((width, height), draw(st.integers(0, 120))).convert(mode if mode != "I;16" else "L")
    if mode == "I;16":
        image = image.convert("I").point(lambda v: v * 257).convert("I;16")
    return encode(image, **params)


position = st.floats(min_value=0, max_value=1, exclude_max=True)
edit = st.one_of(
    st.tuples(st.just("flip"), position, st.integers(0, 7)),
    st.tuples(st.just("set"), position, st.integers(0, 255)),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), position, st.integers(1, 16)),
    st.tuples(st.just("truncate"), position, st.just(0)),
)


def mutate(data: bytes, edits: list, span: int) -> bytes:
    buf = bytearray(data)
    for kind, where, arg in edits:
        at = int(where * max(min(span, len(buf)), 1))
        if kind == "flip" and buf:
            buf[min(at, len(buf) - 1)] ^= 1 << arg
        elif kind == "set" and buf:
            buf[min(at, len(buf) - 1)] = arg
        elif kind == "insert":
            buf[at:at] = arg
        elif kind == "delete":
            del buf[at : at + arg]
        elif kind == "truncate":
            del buf[at:]
    return bytes(buf)


def fix_crcs(data: bytes) -> bytes:
    """Recompute every CRC the chunk lengths lead to, so edits reach past the CRC check."""
    buf, pos = bytearray(data), len(SIGNATURE)
    while pos + 12 <= len(buf):
        (length,) = struct.unpack_from(">I", buf, pos)
        if pos + 12 + length > len(buf):
            break
        struct.pack_into(">I", buf, pos + 8 + length, zlib.crc32(buf[pos + 4 : pos + 8 + length]))
        pos += 12 + length
    return bytes(buf)


chunk_edit = st.tuples(st.sampled_from(["drop", "duplicate", "move", "byte", "byte"]), position, position,
                       st.integers(0, 255))


def mutate_chunks(data: bytes, edits: list) -> bytes:
    """Chunks dropped, duplicated, moved, or a byte of one set (CRCs recomputed)."""
    parts = chunks(data)
    for op, which, where, value in edits:
        index = int(which * len(parts))
        kind, body = parts[index]
        if op == "drop":
            del parts[index]
        elif op == "duplicate":
            parts.insert(index, parts[index])
        elif op == "move":
            parts.insert(int(where * len(parts)), parts.pop(index))
        elif body:
            at = int(where * len(body))
            parts[index] = (kind, body[:at] + bytes([value]) + body[at + 1 :])
    return build(parts)


def mutate_stream(data: bytes, edits: list) -> bytes:
    """The edits applied to the inflated IDAT data, recompressed."""
    try:
        raw = inflated(data)
    except zlib.error:
        return data
    return with_stream(data, zlib.compress(mutate(raw, edits, len(raw))))


@settings(max_examples=1000, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(seed=seeds(), edits=st.lists(edit, min_size=1, max_size=3),
       chunk_edits=st.lists(chunk_edit, min_size=1, max_size=2),
       where=st.sampled_from(["file", "head", "crc-fixed file", "crc-fixed head", "stream", "chunks"]))
def test_whatever_pngcheck_accepts_pillow_decodes(seed: bytes, edits: list, chunk_edits: list, where: str) -> None:
    pngcheck.check(seed)  # every unmutated image passes
    if where == "chunks":
        data = mutate_chunks(seed, chunk_edits)
    elif where == "stream":
        data = mutate_stream(seed, edits)
    else:
        data = mutate(seed, edits, 64 if "head" in where else len(seed))
        if "crc-fixed" in where:
            data = fix_crcs(data)
    try:
        pngcheck.check(data)
    except RejectedImage as exc:
        assert exc.reason and "\n" not in exc.reason
        event(f"{where}: refused")
        return
    event(f"{where}: accepted{' (changed)' if data != seed else ''}")
    pillow_frames(data)  # must not raise: every frame decodes
