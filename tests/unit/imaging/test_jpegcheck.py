"""The decode-free JPEG check: vouches for every ordinary JPEG, refuses damaged restart intervals
and empty scans, and hands anything outside its grammar back to the decoder."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from pressroom.imaging import (
    _SCRUBBERS,
    RejectedImage,
    jpegcheck,
    scrub_bytes,
)
from pressroom.imaging.sniff import sniff
from tests.corpus import corpus_files

RST = re.compile(rb"\xff[\xd0-\xd7]")


def jpeg(mode: str = "RGB", size: tuple[int, int] = (61, 43), **params: object) -> bytes:
    image = Image.linear_gradient("L").resize(size).convert(mode)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, **params)
    return out.getvalue()


def vouched(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return jpegcheck.vouch(data, image.size)


def test_every_corpus_jpeg_and_heic_output_is_vouched_for() -> None:
    for path in corpus_files():
        data = path.read_bytes()
        fmt = sniff(data)
        if fmt in ("jpeg", "heic"):
            scrubbed = _SCRUBBERS[fmt](data, 100_000_000)
            assert jpegcheck.vouch(scrubbed.data, (scrubbed.width, scrubbed.height)), path.name


@pytest.mark.parametrize("mode,params", [
    ("RGB", {}),
    ("RGB", {"progressive": True}),
    ("RGB", {"progressive": True, "restart_marker_rows": 1}),
    ("RGB", {"restart_marker_rows": 1}),
    ("RGB", {"restart_marker_blocks": 3, "subsampling": 1}),
    ("L", {"restart_marker_blocks": 5}),
    ("CMYK", {"restart_marker_rows": 2}),
])
def test_ordinary_jpegs_are_vouched_for(mode: str, params: dict) -> None:
    data = jpeg(mode, **params)
    assert vouched(data)
    assert scrub_bytes(data).data == data  # Pillow writes nothing the scrubber drops


def test_wrong_size_or_bytes_after_the_end_are_not_vouched_for() -> None:
    data = jpeg()
    assert not jpegcheck.vouch(data, (60, 43))
    assert not jpegcheck.vouch(data + b"\x00", (61, 43))


def test_restart_marker_renumbered_mid_stream_is_refused() -> None:
    data = bytearray(jpeg(size=(64, 160), restart_marker_rows=1))
    markers = [m.start() for m in RST.finditer(data)]
    assert len(markers) > 3
    data[markers[2] + 1] = 0xD7
    with pytest.raises(RejectedImage, match="restart markers out of sequence"):
        scrub_bytes(bytes(data))


def test_restart_interval_lost_mid_stream_is_refused() -> None:
    data = jpeg(size=(64, 160), restart_marker_rows=1)
    markers = [m.start() for m in RST.finditer(data)]
    cut = data[: markers[1]] + data[markers[2] :]
    with pytest.raises(RejectedImage, match="restart markers where .* belong"):
        scrub_bytes(cut)


def test_scan_cut_short_and_closed_with_eoi_is_refused_when_it_has_restart_markers() -> None:
    data = jpeg(size=(64, 160), restart_marker_rows=1)
    markers = [m.start() for m in RST.finditer(data)]
    with pytest.raises(RejectedImage, match="restart markers"):
        scrub_bytes(data[: markers[len(markers) // 2] + 7] + b"\xff\xd9")


def test_empty_scan_is_refused() -> None:
    data = jpeg()
    sos = data.index(b"\xff\xda")
    header_end = sos + 2 + int.from_bytes(data[sos + 2 : sos + 4], "big")
    with pytest.raises(RejectedImage, match="no entropy-coded data"):
        jpegcheck.vouch(data[:header_end] + b"\xff\xd9", (61, 43))


def test_over_subscribed_huffman_table_is_left_to_the_decoder_which_refuses_it() -> None:
    data = bytearray(jpeg())
    dht = data.index(b"\xff\xc4")
    counts = dht + 5  # marker, length, class/index: then 16 code-length counts
    assert data[counts] == 0 and data[counts + 2] >= 2
    data[counts], data[counts + 2] = 2, data[counts + 2] - 2  # same total, two 1-bit codes: over-subscribed
    assert not vouched(bytes(data))
    with pytest.raises(RejectedImage, match="does not decode"):
        scrub_bytes(bytes(data))


def test_partial_progression_is_left_to_the_decoder() -> None:
    data = jpeg(progressive=True)
    last_scan = data.rindex(b"\xff\xda")
    assert not vouched(data[:last_scan] + b"\xff\xd9")


def test_restart_marker_closing_the_scan_is_left_to_the_decoder() -> None:
    data = jpeg(size=(64, 160), restart_marker_rows=1)
    extra = 0xD0 + len(RST.findall(data)) % 8
    assert not vouched(data[:-2] + bytes((0xFF, extra)) + b"\xff\xd9")
