"""Prove a scrubbed WebP decodes, in memory bounded by the format rather than by a full RGBA canvas.

libwebp's demuxer (through Pillow's open) validates the container: flags, frame bounds, chunk
order. Each bitstream (the still image, or every animation frame) is then decoded by libwebp
itself (``libwebp``), asking for a one-macroblock-wide column: every token of every row
is still parsed and reconstructed, so a damaged or truncated stream is refused as a full decode
refuses it, but only that column is written out and in-loop filtering is skipped. Each is decoded
on its own, its ALPH and bitstream chunks alone in a RIFF, as the demuxer hands them to the
decoder: given the whole file, libwebp would read a short bitstream on into the chunks after it. Pillow's own
decode would composite every frame onto a canvas of 4 bytes a pixel, four times slower.
"""
from __future__ import annotations

import io

from PIL import Image

from .libwebp import decode_column, still_riff
from .result import RejectedImage
from .webp import chunks


def _picture(found: list[tuple[bytes, memoryview]], size: tuple[int, int]) -> None:
    """Decode one picture from its image chunks (an ALPH before a VP8, or a VP8L), nothing else."""
    images = [(kind, bytes(body)) for kind, body in found if kind in (b"ALPH", b"VP8 ", b"VP8L")]
    bitstreams = [(kind, body) for kind, body in images if kind != b"ALPH"]
    if len(bitstreams) != 1:
        raise RejectedImage(f"WebP picture holds {len(bitstreams)} bitstreams")
    alph = next((body for kind, body in images if kind == b"ALPH"), None)
    kind, body = bitstreams[0]
    decode_column(still_riff(alph if kind == b"VP8 " else None, body, size, kind), size)


def check(data: bytes, size: tuple[int, int]) -> None:
    """Prove a WebP the scrubber wrote (so its chunks are well formed) is of ``size`` and decodes."""
    try:
        with Image.open(io.BytesIO(data), formats=["WEBP"]) as im:  # the demuxer's container checks
            shown, frames = im.size, getattr(im, "n_frames", 1)
    except Exception as exc:  # any demuxer failure means a malformed container
        raise RejectedImage(f"WebP container does not parse: {type(exc).__name__}: {exc}") from exc
    if shown != size:
        raise RejectedImage(f"decoded size {shown} differs from the header's")
    found = chunks(memoryview(data), 12, len(data))
    animation = [body for kind, body in found if kind == b"ANMF"]
    if not animation:
        _picture(found, size)
        return
    if len(animation) != frames:
        raise RejectedImage(f"WebP animation holds {len(animation)} frames, the demuxer sees {frames}")
    for body in animation:
        width = int.from_bytes(body[6:9], "little") + 1
        height = int.from_bytes(body[9:12], "little") + 1
        _picture(chunks(body, 16, len(body)), (width, height))
