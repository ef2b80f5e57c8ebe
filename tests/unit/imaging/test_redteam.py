"""Red-team inputs: hand-crafted files whose kept structures smuggled text or a second picture
through the scrubber. Each must come out without the secret, or be refused."""
from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from pressroom.imaging import RejectedImage, icc, scrub_bytes
from tests.corpus import CORPUS, corpus_files

SECRET = b"SECRET-JohnSmith-51.5N"


def picture(size: tuple[int, int] = (40, 30)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([(x * 6 % 256, y * 8 % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) & 1 else b"")


def riff(body: bytes) -> bytes:
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def assert_clean_or_refused(data: bytes) -> None:
    try:
        result = scrub_bytes(data)
    except RejectedImage:
        return
    assert SECRET not in result.data


def test_webp_anim_chunk_keeps_only_its_six_defined_bytes() -> None:
    frames = [picture(), picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    webp = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    at = webp.index(b"ANIM")
    (size,) = struct.unpack_from("<I", webp, at + 4)
    anim = webp[at + 8 : at + 8 + size]
    body = webp[12:at] + riff_chunk(b"ANIM", anim + SECRET) + webp[at + 8 + size + (size & 1) :]
    result = scrub_bytes(riff(body))
    assert SECRET not in result.data
    assert riff_chunk(b"ANIM", anim) in result.data
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.n_frames == 2


def test_simple_webp_with_a_second_picture_after_its_bitstream_is_refused() -> None:
    first = encode(picture(), "WEBP", lossless=True)
    hidden = encode(picture((80, 60)), "WEBP", lossless=True)
    with pytest.raises(RejectedImage, match="second image"):
        scrub_bytes(riff(first[12:] + hidden[12:]))


def test_gif_graphic_control_extension_loses_smuggled_sub_blocks() -> None:
    gif = encode(picture().convert("P"), "GIF")
    at = gif.index(b",", 13 + 768)
    control = b"\x21\xf9\x04\x00\x05\x00\x00"
    result = scrub_bytes(gif[:at] + control + bytes([len(SECRET)]) + SECRET + b"\x00" + gif[at:])
    assert SECRET not in result.data
    assert control + b"\x00" in result.data
    assert list(Image.open(io.BytesIO(result.data)).get_flattened_data()) == list(Image.open(io.BytesIO(gif)).get_flattened_data())


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def display_profile() -> bytes:
    """A real Mac display profile (corpus TIFF): it carries mmod (display vendor/product/serial)."""
    with Image.open(CORPUS / "DudleyLeavittUtah_tiff_artist_icc.tiff") as im:
        return im.info["icc_profile"]


@pytest.mark.parametrize("payload", [
    b"\x01\x01" + SECRET * 3,  # not a profile at all
    b"\x05\x01" + SECRET * 3,  # a sequence number outside the count
])
def test_jpeg_icc_segment_that_is_not_a_profile_is_dropped(payload: bytes) -> None:
    jpeg = encode(picture(), "JPEG")
    result = scrub_bytes(jpeg[:2] + jpeg_segment(0xE2, b"ICC_PROFILE\x00" + payload) + jpeg[2:])
    assert SECRET not in result.data and b"ICC_PROFILE" not in result.data


def test_jpeg_icc_chunk_smuggled_next_to_a_real_profile_is_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = encode(picture(), "JPEG", icc_profile=srgb)
    result = scrub_bytes(jpeg[:2] + jpeg_segment(0xE2, b"ICC_PROFILE\x00\x02\x01" + SECRET) + jpeg[2:])
    assert SECRET not in result.data


def test_png_iccp_profile_name_is_replaced_and_trailing_bytes_dropped() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = encode(picture(), "PNG")
    body = SECRET + b"\x00\x00" + zlib.compress(srgb) + SECRET
    iccp = struct.pack(">I", len(body)) + b"iCCP" + body + struct.pack(">I", zlib.crc32(b"iCCP" + body))
    result = scrub_bytes(png[:33] + iccp + png[33:])
    assert SECRET not in result.data
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.info["icc_profile"] == icc.clean(srgb)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_png_suggested_palette_of_a_truecolour_image_is_dropped(mode: str) -> None:
    image = picture().convert(mode)
    png = encode(image, "PNG")
    body = SECRET.ljust(48, b"-")  # 16 palette entries of anything
    plte = struct.pack(">I", len(body)) + b"PLTE" + body + struct.pack(">I", zlib.crc32(b"PLTE" + body))
    result = scrub_bytes(png[:33] + plte + png[33:])
    assert SECRET not in result.data
    assert "PNG suggested palette (PLTE of a truecolour image)" in result.removed
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == image.tobytes()


def test_png_palette_of_a_palette_image_is_kept() -> None:
    """The entries pixels use; the others are cleared (test_scrub_palette)."""
    image = picture().convert("P")
    result = scrub_bytes(encode(image, "PNG"))
    used = [index for index, count in enumerate(image.histogram()) if count]
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.mode == "P" and im.tobytes() == image.tobytes()
        assert [im.getpalette()[3 * i : 3 * i + 3] for i in used] == [image.getpalette()[3 * i : 3 * i + 3] for i in used]
        assert im.convert("RGBA").tobytes() == image.convert("RGBA").tobytes()


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_display_identity_tags_leave_the_profile_and_colours_stay(fmt: str) -> None:
    profile = display_profile()
    assert b"mmod" in profile
    result = scrub_bytes(encode(picture(), fmt, icc_profile=profile, **({"lossless": True} if fmt == "WEBP" else {})))
    with Image.open(io.BytesIO(result.data)) as im:
        kept = im.info["icc_profile"]
        sample = im.convert("RGB")
    assert b"mmod" not in kept and b"vcgt" not in kept and b"ndin" not in kept
    srgb = ImageCms.createProfile("sRGB")
    assert (ImageCms.profileToProfile(sample, io.BytesIO(profile), srgb).tobytes()
            == ImageCms.profileToProfile(sample, io.BytesIO(kept), srgb).tobytes())


# ---- hand-built TIFFs ------------------------------------------------------------------------------
SHORT, LONG, RATIONAL, ASCII, UNDEFINED = 3, 4, 5, 2, 7
GREY = bytes(range(0, 240, 15))  # 4x4, 8-bit grey


def build_tiff(tags: dict[int, tuple[int, int, bytes]], strips: list[bytes], *, counts: list[int] | None = None,
               tail: bytes = b"", tiled: bool = False) -> bytes:
    """Little-endian TIFF laid out as header, strips (or tiles), out-of-line tag values, ``tail``, IFD0.
    The data offsets are filled in, the byte counts too unless ``counts`` says otherwise; an inline
    tag value ``{tl}`` becomes the tail's offset."""
    starts, pos = [], 8
    for strip in strips:
        starts.append(pos)
        pos += len(strip)
    counts = counts or [len(s) for s in strips]
    offsets_tag, counts_tag = (324, 325) if tiled else (273, 279)
    tags = {**tags, offsets_tag: (LONG, len(starts), struct.pack(f"<{len(starts)}I", *starts)),
            counts_tag: (LONG, len(counts), struct.pack(f"<{len(counts)}I", *counts))}
    blobs, entries = b"", []
    for tag in sorted(tags):
        typ, num, raw = tags[tag]
        if len(raw) <= 4:
            entries.append(struct.pack("<HHI", tag, typ, num) + raw.ljust(4, b"\x00"))
        else:
            entries.append(struct.pack("<HHII", tag, typ, num, pos + len(blobs)))
            blobs += raw + b"\x00" * (len(raw) & 1)
    tail_at = pos + len(blobs)
    entries = [e.replace(b"{tl}", struct.pack("<I", tail_at)) for e in entries]
    ifd = tail_at + len(tail)
    return (b"II*\x00" + struct.pack("<I", ifd) + b"".join(strips) + blobs + tail
            + struct.pack("<H", len(entries)) + b"".join(entries) + b"\x00" * 4)


def grey_tags(compression: int = 1) -> dict[int, tuple[int, int, bytes]]:
    tags = {256: (SHORT, 1, struct.pack("<H", 4)), 257: (SHORT, 1, struct.pack("<H", 4)),
            258: (SHORT, 1, struct.pack("<H", 8)), 259: (SHORT, 1, struct.pack("<H", compression)),
            262: (SHORT, 1, struct.pack("<H", 1)), 277: (SHORT, 1, struct.pack("<H", 1)),
            278: (SHORT, 1, struct.pack("<H", 4))}
    return tags


def gps_ifd(at_tag: bytes = SECRET) -> bytes:
    """A GPS-like IFD (one out-of-line ASCII value, then the entry table) to place as a tail; its
    ``{td}`` stands for the value's offset."""
    text = at_tag + b"\x00"
    return text + struct.pack("<H", 1) + struct.pack("<HHI", 2, ASCII, len(text)) + b"{td}" + b"\x00" * 4


def exiftool_text(data: bytes, tmp_path: Path) -> bytes:
    exiftool = shutil.which("exiftool")
    if exiftool is None:
        pytest.skip("exiftool is not installed")
    path = tmp_path / "out.tif"
    path.write_bytes(data)
    return subprocess.run([exiftool, "-a", "-G1", "-s", "-ee", "-u", "-U", str(path)],
                          capture_output=True, check=True, timeout=60).stdout


def assert_secret_gone(data: bytes, tmp_path: Path) -> None:
    assert SECRET not in data
    assert SECRET not in exiftool_text(data, tmp_path)


def test_uncompressed_strip_is_cut_to_its_rows(tmp_path: Path) -> None:
    tail = b"Exif\x00\x00GPS " + SECRET + b" appended text"
    data = build_tiff(grey_tags(), [GREY], counts=[len(GREY) + len(tail)], tail=tail)
    result = scrub_bytes(data)
    assert_secret_gone(result.data, tmp_path)
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == GREY


def test_uncompressed_tiles_are_cut_to_their_size(tmp_path: Path) -> None:
    tile = bytes(range(256))  # one 16x16 tile covering the 4x4 picture
    tags = {**grey_tags(), 322: (SHORT, 1, struct.pack("<H", 16)), 323: (SHORT, 1, struct.pack("<H", 16))}
    del tags[278]
    data = build_tiff(tags, [tile], counts=[len(tile) + len(SECRET)], tail=SECRET, tiled=True)
    result = scrub_bytes(data)
    assert_secret_gone(result.data, tmp_path)
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == bytes(x for row in range(4) for x in tile[16 * row : 16 * row + 4])


def test_uncompressed_strip_shorter_than_its_rows_is_refused() -> None:
    with pytest.raises(RejectedImage, match="fewer bytes"):
        scrub_bytes(build_tiff(grey_tags(), [GREY[:12]]))


def test_compressed_strip_running_into_a_tag_value_is_refused() -> None:
    packed = zlib.compress(GREY)
    make = (ASCII, len(SECRET) + 1, SECRET + b"\x00")
    data = build_tiff({**grey_tags(8), 271: make}, [packed], counts=[len(packed) + len(SECRET)])
    with pytest.raises(RejectedImage, match="overlap"):
        scrub_bytes(data)


def test_compressed_strip_running_into_a_gps_ifd_is_refused() -> None:
    packed = zlib.compress(GREY)
    tail = gps_ifd()
    tags = {**grey_tags(8), 34853: (LONG, 1, b"{tl}")}
    data = build_tiff(tags, [packed], counts=[len(packed) + len(SECRET)], tail=tail)
    at = data.index(tail)
    data = data.replace(b"{td}", struct.pack("<I", at))
    with pytest.raises(RejectedImage, match="overlap"):
        scrub_bytes(data)


def test_compressed_strips_overlapping_each_other_are_refused() -> None:
    top, bottom = zlib.compress(GREY[:8]), zlib.compress(GREY[8:])
    tags = {**grey_tags(8), 278: (SHORT, 1, struct.pack("<H", 2))}
    data = build_tiff(tags, [top, bottom], counts=[len(top) + len(bottom), len(bottom)])
    with pytest.raises(RejectedImage, match="overlap"):
        scrub_bytes(data)


def test_compressed_strips_still_pass(tmp_path: Path) -> None:
    top, bottom = zlib.compress(GREY[:8]), zlib.compress(GREY[8:])
    tags = {**grey_tags(8), 278: (SHORT, 1, struct.pack("<H", 2)), 271: (ASCII, len(SECRET) + 1, SECRET + b"\x00")}
    result = scrub_bytes(build_tiff(tags, [top, bottom]))
    assert_secret_gone(result.data, tmp_path)
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == GREY


def shorts(raw: bytes) -> tuple[int, int, bytes]:
    raw += b"\x00" * (len(raw) & 1)
    return SHORT, len(raw) // 2, raw


@pytest.mark.parametrize("tag, value, name", [
    (284, (ASCII, len(SECRET) + 1, SECRET + b"\x00"), "PlanarConfiguration"),
    (262, shorts(SECRET), "PhotometricInterpretation"),
    (258, shorts(SECRET), "BitsPerSample"),
    (339, shorts(SECRET), "SampleFormat"),
    (282, (ASCII, len(SECRET) + 1, SECRET + b"\x00"), "XResolution"),
    (338, shorts(SECRET), "ExtraSamples"),
    (320, shorts(SECRET), "ColorMap"),
    (301, (UNDEFINED, len(SECRET), SECRET), "TransferFunction"),
    (34675, (ASCII, len(SECRET) + 1, SECRET + b"\x00"), "ICC"),
])
def test_structure_tag_of_the_wrong_type_or_count_is_refused(tag: int, value: tuple[int, int, bytes], name: str) -> None:
    data = build_tiff({**grey_tags(), tag: value}, [GREY])
    with pytest.raises(RejectedImage, match=name):
        scrub_bytes(data)


def test_malformed_tiff_icc_profile_is_reported_removed(tmp_path: Path) -> None:
    result = scrub_bytes(build_tiff({**grey_tags(), 34675: (UNDEFINED, len(SECRET) * 8, SECRET * 8)}, [GREY]))
    assert "ICC profile (malformed)" in result.removed
    assert_secret_gone(result.data, tmp_path)


# ---- compressed strips cut to the end of their stream ---------------------------------------------
def pillow_strips(image: Image.Image, compression: str) -> tuple[dict[int, tuple[int, int, bytes]], list[bytes]]:
    """The image-structure tags and the strips Pillow (libtiff) writes for an RGB ``image``."""
    raw = encode(image, "TIFF", compression=compression)
    with Image.open(io.BytesIO(raw)) as im:
        info = im.tag_v2
        offsets, counts, rows, code = info[273], info[279], info.get(278, image.height), info[259]
    width, height = image.size
    tags = {256: (SHORT, 1, struct.pack("<H", width)), 257: (SHORT, 1, struct.pack("<H", height)),
            258: (SHORT, 3, struct.pack("<3H", 8, 8, 8)), 259: (SHORT, 1, struct.pack("<H", code)),
            262: (SHORT, 1, struct.pack("<H", 2)), 277: (SHORT, 1, struct.pack("<H", 3)),
            278: (SHORT, 1, struct.pack("<H", rows))}
    return tags, [raw[o : o + c] for o, c in zip(offsets, counts)]


BIG = picture((256, 128))  # two strips of 85 and 43 rows


@pytest.mark.parametrize("compression", ["tiff_adobe_deflate", "packbits", "tiff_lzw"])
def test_compressed_strip_is_cut_where_its_stream_ends(compression: str, tmp_path: Path) -> None:
    tags, strips = pillow_strips(BIG, compression)
    assert len(strips) == 2
    smuggled = [strips[0] + b"Exif\x00\x00GPS " + SECRET + b" appended text", strips[1] + SECRET]
    result = scrub_bytes(build_tiff(tags, smuggled))
    assert_secret_gone(result.data, tmp_path)
    assert strips[0] + strips[1] in result.data
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == BIG.tobytes()


@pytest.mark.parametrize("compression", ["tiff_adobe_deflate", "packbits", "tiff_lzw"])
def test_compressed_strips_pass_unchanged(compression: str) -> None:
    tags, strips = pillow_strips(BIG, compression)
    result = scrub_bytes(build_tiff(tags, strips))
    assert b"".join(strips) in result.data
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == BIG.tobytes()


@pytest.mark.parametrize("compression", ["tiff_adobe_deflate", "packbits", "tiff_lzw"])
def test_truncated_compressed_strip_is_refused(compression: str) -> None:
    tags, strips = pillow_strips(BIG, compression)
    with pytest.raises(RejectedImage, match="cut short"):
        scrub_bytes(build_tiff(tags, [strips[0][: len(strips[0]) // 2], strips[1]]))


@pytest.mark.parametrize("strip, reason", [
    (zlib.compress(GREY + SECRET), "more than the 16 bytes"),
    (zlib.compress(GREY[:12]), "holds 12 bytes, its rows need 16"),
], ids=["too long", "too short"])
def test_deflate_strip_of_the_wrong_size_is_refused(strip: bytes, reason: str) -> None:
    with pytest.raises(RejectedImage, match=reason):
        scrub_bytes(build_tiff(grey_tags(8), [strip]))


@pytest.mark.parametrize("strip, reason", [
    (bytes([15]) + GREY + SECRET, None),  # one literal run of 16, then text
    (bytes([0x100 - 15, 7]) + SECRET, None),  # one repeat run of 16, then text
    (bytes([128, 15]) + GREY + SECRET, None),  # a no-op, then 16 literals
    (bytes([16]) + GREY + SECRET, "more than the 16 bytes"),
    (bytes([0x100 - 16, 7]) + SECRET, "more than the 16 bytes"),
    (bytes([7]) + GREY[:8] + bytes([7]) + GREY[8:15], "cut short"),  # a literal run past the end
    (bytes([0x100 - 7, 7, 0x100 - 7]), "cut short"),  # a repeat run without its byte
], ids=["literal", "repeat", "no-op", "literal too long", "repeat too long", "literal cut", "repeat cut"])
def test_packbits_strip_is_cut_after_its_runs(strip: bytes, reason: str | None, tmp_path: Path) -> None:
    data = build_tiff(grey_tags(32773), [strip])
    if reason:
        with pytest.raises(RejectedImage, match=reason):
            scrub_bytes(data)
        return
    result = scrub_bytes(data)
    assert_secret_gone(result.data, tmp_path)
    with Image.open(io.BytesIO(result.data)) as out, Image.open(io.BytesIO(data)) as src:
        assert out.tobytes() == src.tobytes()


def lzw_codes(codes: list[int]) -> bytes:
    """9-bit codes, most significant bit first (the table stays under 511 entries)."""
    bits = "".join(f"{code:09b}" for code in codes)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


CLEAR, EOI = 256, 257


@pytest.mark.parametrize("codes, reason", [
    ([CLEAR, *GREY, EOI], None),
    ([CLEAR, *GREY], None),  # no EoiCode: cut after the code that completes the rows
    ([CLEAR, *GREY[:8], CLEAR, *GREY[8:], CLEAR, EOI], None),
    ([CLEAR, *GREY, *SECRET[:8], EOI], None),  # codes after the rows are cut off
    ([CLEAR, *GREY[:12], EOI], "holds 12 bytes, its rows need 16"),
    ([CLEAR, *GREY[:15], 258, EOI], "more than the 16 bytes"),
    ([*GREY, EOI], "ClearCode"),
    ([CLEAR, 7, 300, EOI], "outside its table"),
    ([CLEAR, 300, EOI], "outside its table"),
], ids=["eoi", "no eoi", "clears", "codes after", "too short", "too long", "no clear", "unknown code",
        "unknown first code"])
def test_lzw_strip_is_cut_after_its_codes(codes: list[int], reason: str | None, tmp_path: Path) -> None:
    data = build_tiff(grey_tags(5), [lzw_codes(codes) + SECRET])
    if reason:
        with pytest.raises(RejectedImage, match=reason):
            scrub_bytes(data)
        return
    result = scrub_bytes(data)
    assert_secret_gone(result.data, tmp_path)
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.tobytes() == GREY


@pytest.mark.parametrize("compression", [2, 3, 4, 6, 7, 34712])
def test_compression_without_a_stream_end_check_is_refused(compression: int) -> None:
    with pytest.raises(RejectedImage, match=f"compression {compression} is not supported"):
        scrub_bytes(build_tiff(grey_tags(compression), [GREY + SECRET]))


def test_compressed_strip_with_reversed_bit_order_is_refused() -> None:
    with pytest.raises(RejectedImage, match="FillOrder"):
        scrub_bytes(build_tiff({**grey_tags(8), 266: (SHORT, 1, struct.pack("<H", 2))}, [zlib.compress(GREY)]))


@pytest.mark.parametrize("name", ["DudleyLeavittUtah_tiff_artist_icc.tiff", "Parrot_drone_tiff_gps_serial_16bit.tif"])
def test_corpus_tiffs_keep_their_pixels(name: str) -> None:
    data = (CORPUS / name).read_bytes()
    result = scrub_bytes(data)
    with Image.open(io.BytesIO(data)) as before, Image.open(io.BytesIO(result.data)) as after:
        assert after.mode == before.mode and after.tobytes() == before.tobytes()


# ---- JPEG tables no scan reads --------------------------------------------------------------------
def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(marker, start, end) of each segment of a JPEG, a scan's entropy data included in its SOS."""
    found, pos = [], 2
    while data[pos + 1] != 0xD9:
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if data[pos + 1] == 0xDA:
            end = re.compile(rb"\xff[^\x00\xd0-\xd7]").search(data, end).start()
        found.append((data[pos + 1], pos, end))
        pos = end
    return found


def insert_before(data: bytes, marker: int, extra: bytes, nth: int = 0) -> bytes:
    at = [start for kind, start, _ in jpeg_segments(data) if kind == marker][nth]
    return data[:at] + extra + data[at:]


def pixels(data: bytes) -> tuple[str, bytes]:
    with Image.open(io.BytesIO(data)) as im:
        return im.mode, im.tobytes()


SECRET_DHT = bytes([0x13, *[0] * 7, len(SECRET), *[0] * 8]) + SECRET  # AC table 3: 22 codes of 8 bits
SECRET_DQT = b"\x03" + SECRET.ljust(64, b"_")  # 8-bit quantisation table 3


@pytest.mark.parametrize("marker, table", [(0xC4, SECRET_DHT), (0xDB, SECRET_DQT)], ids=["DHT", "DQT"])
@pytest.mark.parametrize("where", ["own segment", "inside the image's segment", "after the last scan"])
def test_jpeg_table_no_scan_reads_is_dropped(marker: int, table: bytes, where: str) -> None:
    source = encode(picture(), "JPEG")
    if where == "own segment":
        data = insert_before(source, 0xC0, jpeg_segment(marker, table))
    elif where == "after the last scan":
        data = source[:-2] + jpeg_segment(marker, table) + source[-2:]
    else:
        kind, start, end = next(s for s in jpeg_segments(source) if s[0] == marker)
        data = source[:start] + jpeg_segment(marker, source[start + 4 : end] + table) + source[end:]
    result = scrub_bytes(data)
    assert SECRET not in result.data
    assert result.data == source  # every table the image uses kept byte for byte, in place
    assert pixels(result.data) == pixels(data)
    name = "Huffman" if marker == 0xC4 else "quantisation"
    assert f"unused {name} table" in result.removed


def test_jpeg_table_redefined_after_its_use_is_dropped() -> None:
    """A quantisation table is latched when a component's first scan starts, so redefining it
    between the scans of a progressive image changes nothing; nor does a DC Huffman table defined
    just before the DC refinement scan, which reads none."""
    source = encode(picture(), "JPEG", progressive=True)
    def is_dc_refinement(start: int) -> bool:
        count = source[start + 4]
        ss, approx = source[start + 5 + 2 * count], source[start + 7 + 2 * count]
        return ss == 0 and approx >> 4 > 0

    scans = [start for kind, start, _ in jpeg_segments(source) if kind == 0xDA]
    refinement = next(i for i, start in enumerate(scans) if is_dc_refinement(start))
    dc_table = bytes([0x00, *[0] * 3, 11, *[0] * 12]) + SECRET[:11]  # DC table 0: 11 codes of 4 bits
    quant = b"\x00" + SECRET.ljust(64, b"_")
    data = insert_before(source, 0xDA, jpeg_segment(0xC4, dc_table) + jpeg_segment(0xDB, quant), refinement)
    result = scrub_bytes(data)
    assert SECRET[:11] not in result.data and SECRET not in result.data
    assert result.data == source
    assert pixels(result.data) == pixels(data) == pixels(source)


@pytest.mark.parametrize("marker, payload", [
    (0xC4, SECRET_DHT + b"\x00"),  # a byte after the last table
    (0xC4, SECRET_DHT[:-3]),  # a table cut short
    (0xC4, b"\x23" + SECRET_DHT[1:]),  # class 2
    (0xDB, SECRET_DQT + SECRET[:10]),  # libjpeg would read this as a partial table
    (0xDB, b"\x23" + SECRET.ljust(128, b"_")),  # precision 2
    (0xDB, b"\x04" + SECRET.ljust(64, b"_")),  # destination 4
], ids=["DHT trailing byte", "DHT cut short", "DHT class 2", "DQT trailing bytes", "DQT precision 2",
        "DQT destination 4"])
def test_jpeg_table_segment_holding_more_than_tables_is_refused(marker: int, payload: bytes) -> None:
    data = insert_before(encode(picture(), "JPEG"), 0xC0, jpeg_segment(marker, payload))
    with pytest.raises(RejectedImage, match="malformed JPEG"):
        scrub_bytes(data)


@pytest.mark.parametrize("params", [{"progressive": True}, {"progressive": True, "subsampling": 0}, {"quality": 95}])
def test_jpeg_tables_in_use_pass_unchanged(params: dict) -> None:
    source = encode(picture((67, 45)), "JPEG", **params)
    assert scrub_bytes(source).data == source


def test_corpus_jpegs_keep_their_pixels() -> None:
    for path in corpus_files("*.jp*g"):
        data = path.read_bytes()
        assert pixels(scrub_bytes(data).data) == pixels(data), path.name


def animated_webp(count: int, size: tuple[int, int] = (64, 48)) -> tuple[bytes, list[Image.Image]]:
    frames = [Image.effect_noise(size, 40 + 30 * i).convert("RGB") for i in range(count)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True, duration=100)
    return out.getvalue(), frames


def test_webp_animation_keeps_every_frame() -> None:
    data, frames = animated_webp(3)
    result = scrub_bytes(data)
    with Image.open(io.BytesIO(result.data)) as im:
        assert im.n_frames == 3
        for i, frame in enumerate(frames):
            im.seek(i)
            assert im.convert("RGB").tobytes() == frame.tobytes()


def test_webp_animation_with_a_damaged_later_frame_is_refused() -> None:
    data = bytearray(animated_webp(3)[0])
    last = data.rfind(b"VP8L")
    data[last + 20 : last + 60] = bytes(b ^ 0xFF for b in data[last + 20 : last + 60])
    with Image.open(io.BytesIO(data)) as im:  # the first frame still decodes: a first-frame check passes it
        im.load()
    with pytest.raises(RejectedImage, match="does not decode"):
        scrub_bytes(bytes(data))


def test_webp_animation_over_the_frame_limit_is_refused() -> None:
    data, _ = animated_webp(11)  # each frame fits a limit of 64 x 48 pixels; eleven are over ten times it
    assert scrub_bytes(animated_webp(10)[0], max_pixels=64 * 48).format == "webp"
    with pytest.raises(RejectedImage, match="11 frames of 64x48 is over the limit of 10 x 3072"):
        scrub_bytes(data, max_pixels=64 * 48)
