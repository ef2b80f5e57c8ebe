"""What an outside fuzzer found (``shared/fuzz-found``, its README has a line each): every reproducer
is refused with a one-line reason, or scrubbed into a file that decodes in full, every frame, with
the input's pixels and displayed orientation and none of the planted bytes, in bounded memory.
Each runs in a forked child (``judge_isolated``): a segfault is a failed test, not a dead run."""
from __future__ import annotations

import importlib.util
import io
import subprocess
import sys
from pathlib import Path

import pytest

from pressroom.imaging import RejectedImage, scrub_bytes
from pressroom_local.scrub import main
from tests.corpus import FUZZ_FOUND
from tests.fuzzing.promise import MEGABYTES, Verdict, judge_isolated

SECRET = b"SECRET: officer J. Smith"
#: reproducer -> (bytes that must not come out, what it must be: "refused", "scrubbed" or either)
EXPECTED: dict[str, tuple[tuple[bytes, ...], str]] = {
    "xmp_unknown_encoding.jpg": ((), "scrubbed"),
    "xmp_unknown_encoding.png": ((), "scrubbed"),
    "xmp_unknown_encoding.webp": ((), "scrubbed"),
    "xmp_unknown_encoding.gif": ((), "scrubbed"),
    "xmp_unknown_encoding.tif": ((), "scrubbed"),
    "heic_invalid_utf8_content_type_segfault.heic": ((), "refused"),
    "jpeg_height_65535_vouched_undecodable.jpg": ((), "refused"),
    "webp_truncated_vp8l_verified_via_next_chunk.webp": ((), "either"),
    "gif_frame_outside_screen.gif": ((), "either"),
    "tiff_deflate_tile_bomb_1x1.tif": ((), "either"),
    "jpeg_progressive_scan_flood.jpg": ((), "refused"),
    "leak_webp_bytes_after_vp8l_bitstream.webp": ((SECRET,), "either"),
    "leak_webp_stray_alph_chunk.webp": ((SECRET,), "either"),
    # bytes inside a scan after its last MCU: what survives, as the README says (see the test below)
    "leak_jpeg_bytes_before_eoi.jpg": ((), "scrubbed"),
    # the private tag's text, the header's device manufacturer and model, its creation date
    "leak_icc_private_tag_device_date.jpg": ((SECRET, b"SMTHJ123", b"\x07\xe8\x00\x03\x00\x0e\x00\t\x00\x1a\x005",
                                              b"zzzz"), "scrubbed"),
    "leak_tiff_tile_padding.tif": ((SECRET,), "either"),
    "orientation_tiff_xmp_dropped.tif": ((), "scrubbed"),
    "pixels_jpeg_two_adobe_app14.jpg": ((), "either"),
    "pixels_jpeg_tem_marker_in_progressive_scan.jpg": ((), "either"),
}
LARGE = {"tiff_deflate_tile_bomb_1x1_32k.tif": "refused", "apng_palette_50_frames_100mp.png": "refused"}


def check(verdict: Verdict, expected: str) -> None:
    assert verdict.kept, f"{verdict.outcome}: {verdict.detail}"
    if expected != "either":
        assert verdict.outcome == expected, verdict.detail
    assert verdict.peak_mb < MEGABYTES


def test_every_reproducer_is_listed(fuzz_found: Path) -> None:
    shipped = {p.name for p in fuzz_found.iterdir() if p.suffix not in (".md", ".py")}
    assert shipped == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_reproducer_is_refused_or_scrubbed_as_promised(name: str, fuzz_found: Path) -> None:
    planted, expected = EXPECTED[name]
    data = (fuzz_found / name).read_bytes()
    for secret in planted:
        assert secret in data  # the reproducer still holds what it plants
    check(judge_isolated(data, planted), expected)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two reproducers too large to keep, written by the fuzz-found script into a temp folder."""
    folder = tmp_path_factory.mktemp("large")
    spec = importlib.util.spec_from_file_location("make_large_repros", FUZZ_FOUND / "make_large_repros.py")
    assert spec and spec.loader, f"no make_large_repros.py in {FUZZ_FOUND}"
    subprocess.run([sys.executable, spec.origin], cwd=folder, check=True, timeout=300)
    return folder


@pytest.mark.parametrize("name", sorted(LARGE))
def test_large_reproducer_is_refused_before_the_work(name: str, large: Path) -> None:
    verdict = judge_isolated((large / name).read_bytes())
    check(verdict, LARGE[name])
    assert verdict.peak_mb < 256  # refused from what the headers declare, not after inflating it


def test_the_scan_flood_names_the_limit(fuzz_found: Path) -> None:
    with pytest.raises(RejectedImage, match="scans"):
        scrub_bytes((fuzz_found / "jpeg_progressive_scan_flood.jpg").read_bytes())


def test_the_tile_bomb_names_the_limit(large: Path) -> None:
    with pytest.raises(RejectedImage, match="tile"):
        scrub_bytes((large / "tiff_deflate_tile_bomb_1x1_32k.tif").read_bytes())


def test_the_apng_names_the_limit(large: Path) -> None:
    with pytest.raises(RejectedImage, match="frames"):
        scrub_bytes((large / "apng_palette_50_frames_100mp.png").read_bytes())


def test_directory_mode_outlives_every_reproducer(fuzz_found: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """One run over the whole folder (the HEIC that segfaults pillow_heif included): every file is
    written or named as rejected, one line each, and the run ends with exit 2."""
    source = tmp_path / "in"
    source.mkdir()
    for name in EXPECTED:
        (source / name).write_bytes((fuzz_found / name).read_bytes())
    code = subprocess.run([sys.executable, "-c", "import sys; from pressroom_local.scrub import main; "
                           f"sys.exit(main([{str(source)!r}, {str(tmp_path / 'out')!r}]))"],
                          capture_output=True, text=True, timeout=600)
    assert code.returncode == 2, code.stderr[-2000:]
    rejected = [line for line in code.stderr.splitlines() if ": rejected: " in line]
    assert len(rejected) == len(code.stderr.splitlines())
    written = {p.name for p in (tmp_path / "out").iterdir()}
    for name in EXPECTED:
        stem = Path(name).stem
        assert any(f": {name}: rejected: " in line for line in rejected) or any(
            w.startswith(stem) for w in written), name
    assert main is not None


def test_bytes_after_the_last_mcu_of_a_scan_are_the_documented_survivor(fuzz_found: Path) -> None:
    """Finding where a scan's MCUs end means Huffman-decoding it; the scrubber copies scans instead.
    The README's list of what survives names this place, and it is the only place the text is."""
    data = (fuzz_found / "leak_jpeg_bytes_before_eoi.jpg").read_bytes()
    result = scrub_bytes(data)
    assert result.data.count(SECRET) == 1
    scan = result.data.rindex(b"\xff\xda")
    assert scan < result.data.index(SECRET) < len(result.data) - 2 == result.data.rindex(b"\xff\xd9")
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    assert "after its last MCU" in readme


def test_a_crashing_heic_decoder_is_that_file_s_refusal(fuzz_found: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that dies mid-file (as libheif did on this file: whether it still does depends on the
    pillow-heif build, so a worker that segfaults on purpose stands in) is that file's refusal, and
    the next file gets a new worker."""
    from pressroom.imaging import heic

    crashing = (fuzz_found / "heic_invalid_utf8_content_type_segfault.heic").read_bytes()
    real_start = heic._start
    segfaulting = ("import os, signal, sys; sys.stdin.buffer.read(16); "
                   "os.kill(os.getpid(), signal.SIGSEGV)")
    monkeypatch.setattr(heic, "_start", lambda: subprocess.Popen(
        [sys.executable, "-c", segfaulting], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL))
    heic._WORKERS.close()
    with pytest.raises(RejectedImage, match=r"crashed on this file \(signal 11\)"):
        heic._WORKERS.run(crashing, 100_000_000)
    monkeypatch.setattr(heic, "_start", real_start)
    fixed = bytearray(crashing)
    fixed[fixed.index(b"a\xffplication") + 1] = ord("p")
    heic.check_boxes(bytes(fixed))
    assert heic._WORKERS.run(bytes(fixed), 100_000_000).format == "jpeg"


@pytest.mark.parametrize("box,bad", [(b"mime\x00", b"\xff"), (b"\x00\x00mime", b"m\xffme")])
def test_heif_item_text_must_be_utf8(box: bytes, bad: bytes, fuzz_found: Path) -> None:
    data = (fuzz_found / "heic_invalid_utf8_content_type_segfault.heic").read_bytes()
    with pytest.raises(RejectedImage, match="not UTF-8|not printable"):
        scrub_bytes(data)
    at = data.index(box)
    mangled = data[:at] + data[at:].replace(box[:len(bad)] if box.startswith(b"mime") else b"mime", bad, 1)
    with pytest.raises(RejectedImage):
        scrub_bytes(mangled)


def test_icc_profile_keeps_colour_tags_and_a_blank_header() -> None:
    import struct as st

    from PIL import ImageCms

    from pressroom.imaging import icc
    from tests.fuzzing.mutate import hostile_profile

    secret = b"PLANTED-SECRET-00000001"
    hostile = hostile_profile(secret)
    cleaned = icc.clean(hostile)
    assert cleaned is not None and secret not in cleaned
    header = cleaned[:128]
    for start, end in ((4, 8), (24, 36), (40, 44), (48, 64), (80, 128)):  # CMM, date, platform, device, creator, ID
        assert header[start:end] == bytes(end - start)
    count = st.unpack_from(">I", cleaned, 128)[0]
    tags = {cleaned[132 + 12 * i : 136 + 12 * i] for i in range(count)}
    assert tags <= icc.KEEP | {b"desc"} and b"desc" in tags and b"zzzz" not in tags and b"dmnd" not in tags
    srgb = ImageCms.createProfile("sRGB")
    from tests.fuzzing.seeds import picture

    sample = picture((16, 16))
    assert (ImageCms.profileToProfile(sample, io.BytesIO(hostile), srgb).tobytes()
            == ImageCms.profileToProfile(sample, io.BytesIO(cleaned), srgb).tobytes())


def _tiles(tiff: bytes) -> list[bytes]:
    """The tile data of a little-endian tiled TIFF, as stored."""
    import struct as st

    ifd = st.unpack_from("<I", tiff, 4)[0]
    entries = {st.unpack_from("<H", tiff, ifd + 2 + 12 * i)[0]: ifd + 2 + 12 * i
               for i in range(st.unpack_from("<H", tiff, ifd)[0])}

    def values(tag: int) -> tuple[int, ...]:
        count = st.unpack_from("<I", tiff, entries[tag] + 4)[0]
        where = entries[tag] + 8 if count == 1 else st.unpack_from("<I", tiff, entries[tag] + 8)[0]
        return st.unpack_from(f"<{count}I", tiff, where)

    return [tiff[o : o + c] for o, c in zip(values(324), values(325))]


def test_deflate_tile_padding_is_zeroed_and_pixels_stay() -> None:
    """A secret in the padding of an edge tile (past the image's right edge) is zeroed: the tile is
    inflated, cleared and deflated again; the pixels shown are the same."""
    import zlib

    from tests.fuzzing.promise import frames
    from tests.fuzzing.seeds import tiled_tiff

    data = tiled_tiff((21, 40), deflate=True)  # 16x16 tiles: the second column shows 5 of 16 pixels
    tiles = _tiles(data)
    secret = b"PLANTED-SECRET-00000002"
    raw = bytearray(zlib.decompress(tiles[1]))
    raw[5 * 3 : 5 * 3 + len(secret)] = secret  # row 0, just past the image's edge
    # rebuild with the changed tile appended and its offset and count pointed at it
    import struct as st

    tile = zlib.compress(bytes(raw), 9)
    out = bytearray(data + tile)
    ifd = st.unpack_from("<I", data, 4)[0]
    for i in range(st.unpack_from("<H", data, ifd)[0]):
        tag, _typ, _count, where = st.unpack_from("<HHII", data, ifd + 2 + 12 * i)
        if tag == 324:
            st.pack_into("<I", out, where + 4, len(data))
        elif tag == 325:
            st.pack_into("<I", out, where + 4, len(tile))
    hostile = bytes(out)
    assert secret in zlib.decompress(_tiles(hostile)[1])
    result = scrub_bytes(hostile)
    assert all(secret not in zlib.decompress(t) for t in _tiles(result.data))
    assert [f.tobytes() for f in frames(result.data)] == [f.tobytes() for f in frames(hostile)]
    assert any("tile padding" in line for line in result.removed)
