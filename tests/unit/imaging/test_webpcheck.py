"""webpcheck decodes every WebP bitstream with libwebp, writing out one column: it must refuse
exactly what a full decode refuses, and use far less memory than Pillow's canvas."""
from __future__ import annotations

import io
import random
import struct
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from pressroom.imaging import (
    RejectedImage,
    libwebp,
    scrub_bytes,
    webpcheck,
)
from tests.memory import check_growth_kib, linux_only


def encode(image: Image.Image, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, "WEBP", **params)
    return out.getvalue()


def fully_decodes(data: bytes, size: tuple[int, int]) -> bool:
    """Pillow's decode of every frame onto the canvas: the reference webpcheck must agree with."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            for frame in range(getattr(im, "n_frames", 1)):
                im.seek(frame)
                im.load()
            return im.size == size
    except Exception:
        return False


def column_decodes(data: bytes, size: tuple[int, int]) -> bool:
    try:
        libwebp.decode_column(data, size)
        return True
    except RejectedImage:
        return False


def noise(size: tuple[int, int], seed: int) -> Image.Image:
    """Seeded (hypothesis needs the same bytes for the same draw), unlike Image.effect_noise."""
    return Image.frombytes("RGB", size, random.Random(seed).randbytes(size[0] * size[1] * 3))


@st.composite
def stills(draw: st.DrawFn) -> tuple[bytes, tuple[int, int]]:
    size = (draw(st.integers(1, 90)), draw(st.integers(1, 90)))
    image = noise(size, draw(st.integers(0, 99)))
    if draw(st.booleans()):
        image = image.convert("RGBA")
        image.putalpha(Image.linear_gradient("L").resize(size))
    if draw(st.booleans()):
        return encode(image, lossless=True), size
    return encode(image, quality=draw(st.integers(10, 95))), size


@st.composite
def damaged(draw: st.DrawFn) -> tuple[bytes, tuple[int, int]]:
    original, size = draw(stills())
    data = bytearray(original)
    how = draw(st.sampled_from(["flip", "truncate", "zero"]))
    at = draw(st.integers(12, len(data) - 1))
    if how == "flip":
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif how == "zero":
        end = min(len(data), at + draw(st.integers(1, 64)))
        data[at:end] = bytes(end - at)
    else:
        del data[at:]
        struct.pack_into("<I", data, 4, len(data) - 8)  # the RIFF still says where it ends
    return bytes(data), size


@settings(max_examples=300, deadline=None, derandomize=True)
@given(damaged())
def test_a_column_decode_refuses_exactly_what_a_full_decode_refuses(case: tuple[bytes, tuple[int, int]]) -> None:
    data, size = case
    assert column_decodes(data, size) == fully_decodes(data, size)


def test_undamaged_stills_of_every_kind_decode() -> None:
    image = noise((70, 50), 1)
    clear = image.convert("RGBA")
    clear.putalpha(Image.linear_gradient("L").resize(image.size))
    for data in (encode(image, quality=80), encode(image, lossless=True), encode(clear, quality=80),
                 encode(clear, lossless=True)):
        libwebp.decode_column(data, (70, 50))


def test_a_bitstream_of_another_size_than_declared_is_refused() -> None:
    data = encode(Image.new("RGB", (40, 30)), quality=80)
    with pytest.raises(RejectedImage, match="40x30, not the 41x30 its container declares"):
        libwebp.decode_column(data, (41, 30))


def test_every_frame_of_an_animation_is_decoded() -> None:
    frames = [noise((64, 48), seed) for seed in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True, duration=100)
    data = bytearray(scrub_bytes(out.getvalue()).data)
    webpcheck.check(bytes(data), (64, 48))
    last = data.rfind(b"VP8L")
    data[last + 20 : last + 60] = bytes(b ^ 0xFF for b in data[last + 20 : last + 60])
    assert not fully_decodes(bytes(data), (64, 48))
    with pytest.raises(RejectedImage, match="WebP image data does not decode: bitstream error"):
        webpcheck.check(bytes(data), (64, 48))


def test_the_libwebp_that_decodes_untrusted_files_has_the_huffman_overflow_fixed() -> None:
    """CVE-2023-4863, a heap overflow in VP8L decoding, was fixed in libwebp 1.3.2."""
    assert libwebp._libwebp().WebPGetDecoderVersion() >= 0x010302


@linux_only
def test_process_memory_does_not_grow_with_the_pixel_count(tmp_path: Path) -> None:
    """tracemalloc does not see libwebp's allocations: a child process's peak resident size does."""
    path = tmp_path / "large.webp"
    path.write_bytes(encode(Image.linear_gradient("L").resize((4000, 4000)).convert("RGB"), quality=50))
    # KiB; Pillow's decode onto an RGBA canvas adds over 100 MB here
    assert check_growth_kib("webpcheck", path, (4000, 4000)) < 24 * 1024


@pytest.mark.parametrize("params", [{"lossless": True}, {"quality": 80}])
def test_a_scaled_decode_gives_pillow_s_pixels_at_full_size_and_fits_the_edge(params: dict) -> None:
    data = encode(noise((90, 60), 7), **params)
    with Image.open(io.BytesIO(data)) as reference:
        assert libwebp.decode_scaled(data, 90).tobytes() == reference.convert("RGB").tobytes()
    assert libwebp.decode_scaled(data, 45).size == (45, 30)
    with pytest.raises(RejectedImage, match="does not decode"):
        libwebp.decode_scaled(data[:40], 45)
