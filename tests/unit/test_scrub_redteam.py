"""Red-team inputs: hand-crafted files whose kept structures smuggled text or a second picture
through the scrubber. Each must come out without the secret, or be refused."""
from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from pressroom.scrub import RejectedImage, scrub_bytes

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
    assert list(Image.open(io.BytesIO(result.data)).getdata()) == list(Image.open(io.BytesIO(gif)).getdata())
