"""Hostile and awkward inputs: each is either scrubbed clean or refused with RejectedImage."""
from __future__ import annotations

import io
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from pressroom.imaging import RejectedImage, scrub_bytes, scrub_file
from pressroom.imaging.exif import minimal_exif
from tests.corpus import CORPUS


def picture(mode: str = "RGB", size: tuple[int, int] = (40, 30)) -> Image.Image:
    image = Image.new("RGB", size)
    image.putdata([(x * 6 % 256, y * 8 % 256, (x * y) % 256) for y in range(size[1]) for x in range(size[0])])
    return image.convert(mode)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def with_segment(jpeg: bytes, seg: bytes) -> bytes:
    return jpeg[:2] + seg + jpeg[2:]


def test_rejected_image_reason_is_one_line() -> None:
    exc = RejectedImage("first line\nsecond  line")
    assert str(exc) == exc.reason == "first line second line"
    assert isinstance(exc, ValueError)


@pytest.mark.parametrize("data,words", [
    (b"", "empty"),
    (b"hello, I am a text file\n", "not a supported image"),
    (b"II+\x00" + b"\x00" * 20, "BigTIFF"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1" + b"\x00" * 16, "unsupported ISO media"),
    (b"\xff\xd8\xff", "truncated"),
    (b"\x89PNG\r\n\x1a\n", "truncated"),
    (b"GIF89a\x01", "truncated"),
    (b"RIFF\xff\xff\x00\x00WEBPVP8 ", "truncated"),
])
def test_garbage_is_refused(data: bytes, words: str) -> None:
    with pytest.raises(RejectedImage, match=words):
        scrub_bytes(data)


def test_wrong_extension_follows_the_bytes(tmp_path: Path) -> None:
    src = tmp_path / "photo.jpg"
    src.write_bytes(encode(picture(), "PNG"))
    result = scrub_file(src, tmp_path / "out.jpg")
    assert (result.format, result.extension, result.content_type) == ("png", ".png", "image/png")


@pytest.mark.parametrize("name", ["Nikon_D300_progressive_serial_artist.jpg", "png_xmp_itxt_dates.png",
                                  "HTC_Desire_webp_exif_gps_icc.webp", "DudleyLeavittUtah_tiff_artist_icc.tiff",
                                  "iPhone_11_Pro_exif_at_eof_gps.heic"])
@pytest.mark.parametrize("keep", [0.3, 0.9])
def test_truncated_corpus_files_are_refused(name: str, keep: float) -> None:
    data = (CORPUS / name).read_bytes()
    with pytest.raises(RejectedImage):
        scrub_bytes(data[: int(len(data) * keep)])


def _top_level_boxes(data: bytes) -> list[tuple[bytes, int]]:
    found, at = [], 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:  # a 64-bit size follows
            (size,) = struct.unpack(">Q", data[at + 8:at + 16])
        found.append((kind, at))
        at += size
    return found


def test_heic_cut_between_boxes_is_refused() -> None:
    """The cut leaves every box whole, but the tiles' data (the last mdat box) is gone: libheif
    would decode the grid with every tile missing."""
    data = (CORPUS / "iPhone_11_Pro_exif_at_eof_gps.heic").read_bytes()
    kind, last = _top_level_boxes(data)[-1]
    assert kind == b"mdat" and last > 0
    with pytest.raises(RejectedImage, match="truncated: item"):
        scrub_bytes(data[:last])


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "GIF", "WEBP"])
def test_appended_zip_archive_is_cut_off(fmt: str) -> None:
    image = encode(picture("P" if fmt == "GIF" else "RGB"), fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("secret.txt", "the informant's name")
    result = scrub_bytes(image + archive.getvalue())
    assert b"PK\x03\x04" not in result.data and b"informant" not in result.data
    assert f"trailer: {len(archive.getvalue())} bytes" in result.removed
    assert decoded(result.data).tobytes() == decoded(image).tobytes()


def _png_header(width: int, height: int) -> bytes:
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + ihdr + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + png_chunk(b"IEND", b"")


def _jpeg_with_size(width: int, height: int) -> bytes:
    data = encode(picture(), "JPEG")
    sof = data.index(b"\xff\xc0")
    return data[: sof + 5] + struct.pack(">HH", height, width) + data[sof + 9 :]


@pytest.mark.parametrize("bomb", [
    _png_header(100_000, 100_000),
    _jpeg_with_size(60_000, 60_000),
    b"GIF89a" + struct.pack("<HHBBB", 65535, 65535, 0, 0, 0) + b";",
    b"RIFF\x16\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00" + b"\x00" * 4 + b"\xff\xff\xff" * 2,
])
def test_decompression_bombs_refused_from_the_header(bomb: bytes) -> None:
    started = time.process_time()
    with pytest.raises(RejectedImage, match="over the limit"):
        scrub_bytes(bomb)
    assert time.process_time() - started < 1.0


def test_pixel_limit_is_a_parameter() -> None:
    data = encode(picture(size=(100, 100)), "PNG")
    assert scrub_bytes(data, max_pixels=10_000).width == 100
    with pytest.raises(RejectedImage, match="over the limit of 9999"):
        scrub_bytes(data, max_pixels=9_999)


def _looping_tiff_block() -> bytes:
    """IFD0 at 8 whose Exif IFD pointer and next-IFD offset both point back at itself."""
    entries = [(0x0112, 3, 1, 6 << 16), (0x8769, 4, 1, 8), (0x8825, 4, 1, 8)]
    ifd = struct.pack(">H", len(entries)) + b"".join(struct.pack(">HHII", *e) for e in entries)
    return b"MM\x00*\x00\x00\x00\x08" + ifd + struct.pack(">I", 8)


def test_looping_exif_ifd_in_jpeg_terminates() -> None:
    jpeg = encode(picture(), "JPEG")
    result = scrub_bytes(with_segment(jpeg, jpeg_segment(0xE1, b"Exif\x00\x00" + _looping_tiff_block())))
    assert any(line.startswith("EXIF (GPS") for line in result.removed)
    assert (result.width, result.height) == (30, 40)  # Orientation 6 still applies


def test_looping_tiff_page_chain_terminates() -> None:
    tiff = bytearray(encode(picture(), "TIFF"))
    (ifd,) = struct.unpack_from("<I", tiff, 4)
    (count,) = struct.unpack_from("<H", tiff, ifd)
    struct.pack_into("<I", tiff, ifd + 2 + 12 * count, ifd)  # next IFD = this IFD
    result = scrub_bytes(bytes(tiff))
    assert "TIFF further pages or thumbnails" in result.removed
    assert decoded(result.data).tobytes() == picture().tobytes()


def test_multipage_tiff_keeps_only_the_first_page() -> None:
    data = encode(picture(), "TIFF", save_all=True, append_images=[picture("RGB", (10, 10))])
    result = scrub_bytes(data)
    assert getattr(decoded(result.data), "n_frames", 1) == 1


def test_segment_running_past_the_end_is_refused() -> None:
    jpeg = encode(picture(), "JPEG")
    with pytest.raises(RejectedImage, match="truncated or malformed JPEG segment"):
        scrub_bytes(jpeg[:2] + b"\xff\xe1\xff\xff" + b"Exif\x00\x00")


def test_entity_bomb_in_xmp_is_not_expanded() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            + b"".join(b'<!ENTITY %s "&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;&%s;">' % ((bytes([98 + i]),) + (bytes([97 + i]),) * 10) for i in range(8))
            + b']><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            + b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:description="&i;"/></rdf:RDF></x:xmpmeta>')
    jpeg = encode(picture(), "JPEG")
    started = time.process_time()
    result = scrub_bytes(with_segment(jpeg, jpeg_segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + bomb)))
    assert time.process_time() - started < 1.0
    assert result.captions == {} and "XMP" in result.removed


def test_scan_before_frame_and_missing_scan_are_refused() -> None:
    jpeg = encode(picture(), "JPEG")
    sof = jpeg.index(b"\xff\xc0")
    sof_len = struct.unpack_from(">H", jpeg, sof + 2)[0]
    without_sof = jpeg[:sof] + jpeg[sof + 2 + sof_len :]
    with pytest.raises(RejectedImage, match="scan before any frame"):
        scrub_bytes(without_sof)
    with pytest.raises(RejectedImage, match="no image data"):
        scrub_bytes(jpeg[: jpeg.index(b"\xff\xda")] + b"\xff\xd9")


def test_png_crc_damage_is_refused() -> None:
    data = bytearray(encode(picture(), "PNG"))
    idat = data.index(b"IDAT")
    data[idat + 6] ^= 0x55
    with pytest.raises(RejectedImage, match="CRC"):
        scrub_bytes(bytes(data))


@pytest.mark.parametrize("mode,params", [
    ("RGB", {"progressive": True}),
    ("RGB", {"restart_marker_rows": 1}),
    ("RGB", {"subsampling": 1}),
    ("L", {}),
    ("CMYK", {}),
])
def test_jpeg_variants_are_copied_losslessly(mode: str, params: dict) -> None:
    data = encode(picture(mode, (64, 48)), "JPEG", quality=90, **params)
    if "restart_marker_rows" in params:
        assert b"\xff\xdd" in data  # DRI present: restart markers in the scan
    result = scrub_bytes(with_segment(data, jpeg_segment(0xFE, b"who took this")))
    assert decoded(result.data).tobytes() == decoded(data).tobytes()
    assert b"who took this" not in result.data


@pytest.mark.parametrize("mode,params", [("P", {}), ("RGBA", {}), ("I;16", {}), ("LA", {"optimize": True})])
def test_png_variants_are_copied_losslessly(mode: str, params: dict) -> None:
    data = encode(picture(mode), "PNG", **params)
    text = png_chunk(b"tEXt", b"Author\x00PC Smith")
    stamped = data[:33] + text + png_chunk(b"tIME", b"\x07\xe8\x05\x01\x0a\x00\x00") + data[33:]
    result = scrub_bytes(stamped)
    # Pillow writes only IHDR, (PLTE), IDAT, IEND: nothing else to drop but palette entries no pixel uses
    assert result.data == (scrub_bytes(data).data if mode == "P" else data)
    assert decoded(result.data).convert("RGBA").tobytes() == decoded(data).convert("RGBA").tobytes()
    assert result.captions == {"creator": "PC Smith"}


def test_png_orientation_from_exif_chunk_is_kept_minimal() -> None:
    data = encode(picture(), "PNG")
    exif = png_chunk(b"eXIf", minimal_exif(6)[:-4] + b"\x00\x00\x00\x00")
    result = scrub_bytes(data[:33] + exif + data[33:])
    assert (result.width, result.height) == (30, 40)
    shown = ImageOps.exif_transpose(decoded(result.data))
    assert shown.tobytes() == picture().transpose(Image.Transpose.ROTATE_270).tobytes()


def test_animated_webp_keeps_every_frame() -> None:
    frames = [picture(), picture().transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], lossless=True, duration=100, loop=0)
    result = scrub_bytes(data)
    image = Image.open(io.BytesIO(result.data))
    assert image.n_frames == 2
    for index, frame in enumerate(frames):
        image.seek(index)
        assert image.convert("RGB").tobytes() == frame.tobytes()


@pytest.mark.parametrize("params", [{"lossless": True}, {"quality": 80}])
def test_simple_webp_gains_vp8x_only_for_orientation(params: dict) -> None:
    data = encode(picture(), "WEBP", **params)
    plain = scrub_bytes(data)
    if "lossless" in params:
        assert plain.data == data
    else:  # libwebp's VP8 encoder leaves a byte or two after the bitstream: cut, pixels unchanged
        assert plain.data[20:] == data[20 : 20 + len(plain.data) - 20] and len(plain.data) < len(data)
        assert decoded(plain.data).tobytes() == decoded(data).tobytes()
    rotated = scrub_bytes(encode(picture(), "WEBP", exif=b"Exif\x00\x00" + minimal_exif(8), **params))
    assert b"VP8X" in rotated.data and (rotated.width, rotated.height) == (30, 40)
    shown = ImageOps.exif_transpose(decoded(rotated.data))
    assert shown.tobytes() == ImageOps.exif_transpose(decoded(encode(picture(), "WEBP", exif=b"Exif\x00\x00" + minimal_exif(8), **params))).tobytes()


def test_animated_gif_keeps_loop_and_frames_drops_comment() -> None:
    frames = [picture("P"), picture("P").transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], loop=0, duration=50,
                  comment=b"shot outside 12 Acacia Avenue")
    result = scrub_bytes(data)
    assert b"Acacia" not in result.data and "GIF comment" in result.removed
    assert b"NETSCAPE2.0" in result.data
    before, after = Image.open(io.BytesIO(data)), Image.open(io.BytesIO(result.data))
    assert after.n_frames == before.n_frames == 2 and after.info.get("loop") == 0
    for index in range(2):
        before.seek(index)
        after.seek(index)
        assert after.convert("RGB").tobytes() == before.convert("RGB").tobytes()


def _interlaced_png(image: Image.Image) -> bytes:
    """An Adam7-interlaced RGB PNG (Pillow cannot write one), with a tEXt chunk to remove."""
    raw = image.tobytes()
    width, height = image.size
    passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
    stream = bytearray()
    for x0, y0, dx, dy in passes:
        for y in range(y0, height, dy):
            row = b"".join(raw[(y * width + x) * 3 : (y * width + x) * 3 + 3] for x in range(x0, width, dx))
            if row:
                stream += b"\x00" + row
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 1)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"tEXt", b"Comment\x00taken at HQ")
            + png_chunk(b"IDAT", zlib.compress(bytes(stream))) + png_chunk(b"IEND", b""))


def test_interlaced_png_is_copied_losslessly() -> None:
    data = _interlaced_png(picture(size=(13, 11)))
    result = scrub_bytes(data)
    assert b"taken at HQ" not in result.data and "PNG text (tEXt)" in result.removed
    assert decoded(result.data).tobytes() == picture(size=(13, 11)).tobytes()


def test_python_memory_stays_near_the_file_size() -> None:
    import tracemalloc

    data = (CORPUS / "Samsung_Galaxy_S7_Edge_gps_trailer.jpg").read_bytes()
    tracemalloc.start()
    try:
        result = scrub_bytes(data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(result.data) < len(data)
    assert peak < 1.2 * len(data) + 2_000_000  # the output copy plus a small constant
