"""Prove a scrubbed WebP decodes, in memory bounded by the format rather than by a full RGBA canvas.

libwebp's demuxer (through Pillow's open) validates the container: flags, frame bounds, chunk
order. Each bitstream (the still image, or every animation frame) is then decoded by libwebp
itself, the copy Pillow ships, asking for a one-macroblock-wide column: every token of every row
is still parsed and reconstructed, so a damaged or truncated stream is refused as a full decode
refuses it, but only that column is written out and in-loop filtering is skipped. Pillow's own
decode would composite every frame onto a canvas of 4 bytes a pixel, four times slower.
"""
from __future__ import annotations

import ctypes
import io
import re
from functools import cache

from PIL import Image

from .result import RejectedImage
from .webp import chunks

_ABI = 0x0209  # WEBP_DECODER_ABI_VERSION of libwebp 1.x: the layout of the structures below
_MODE_YUVA = 12  # so that an ALPH chunk is decoded too
_COLUMN = 16  # one macroblock
_STATUS = ("ok", "out of memory", "invalid parameter", "bitstream error", "unsupported feature",
           "suspended", "user abort", "not enough data")


class _Features(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("has_alpha", ctypes.c_int),
                ("has_animation", ctypes.c_int), ("format", ctypes.c_int), ("pad", ctypes.c_uint32 * 5)]


class _Planes(ctypes.Structure):  # the larger member of WebPDecBuffer's union
    _fields_ = [("y", ctypes.c_void_p), ("u", ctypes.c_void_p), ("v", ctypes.c_void_p), ("a", ctypes.c_void_p),
                ("y_stride", ctypes.c_int), ("u_stride", ctypes.c_int), ("v_stride", ctypes.c_int),
                ("a_stride", ctypes.c_int), ("y_size", ctypes.c_size_t), ("u_size", ctypes.c_size_t),
                ("v_size", ctypes.c_size_t), ("a_size", ctypes.c_size_t)]


class _Output(ctypes.Structure):
    _fields_ = [("colorspace", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("is_external_memory", ctypes.c_int), ("planes", _Planes), ("pad", ctypes.c_uint32 * 4),
                ("private_memory", ctypes.c_void_p)]


class _Options(ctypes.Structure):
    _fields_ = [(name, ctypes.c_int) for name in (
        "bypass_filtering", "no_fancy_upsampling", "use_cropping", "crop_left", "crop_top", "crop_width",
        "crop_height", "use_scaling", "scaled_width", "scaled_height", "use_threads", "dithering_strength",
        "flip", "alpha_dithering_strength")] + [("pad", ctypes.c_uint32 * 5)]


class _Config(ctypes.Structure):
    # spare bytes at the end: a newer minor ABI may grow the structure, never shrink it
    _fields_ = [("input", _Features), ("output", _Output), ("options", _Options), ("spare", ctypes.c_uint8 * 256)]


@cache
def _libwebp() -> ctypes.CDLL:
    """The libwebp Pillow's WebP module loaded (Linux: found in /proc/self/maps)."""
    from PIL import _webp  # noqa: F401  (loads libwebp into the process)

    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "/libwebp" in line}
    found = sorted(path for path in paths if re.search(r"/libwebp(-[0-9a-f]+)?\.so(\.\d+)*$", path))
    if not found:
        raise RuntimeError("Pillow's WebP support did not load a shared libwebp to verify WebP with")
    lib = ctypes.CDLL(found[0])
    lib.WebPInitDecoderConfigInternal.argtypes = [ctypes.POINTER(_Config), ctypes.c_int]
    lib.WebPGetFeaturesInternal.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Features),
                                            ctypes.c_int]
    lib.WebPDecode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Config)]
    lib.WebPFreeDecBuffer.argtypes = [ctypes.POINTER(_Output)]
    return lib


def decode_column(bitstream: bytes, size: tuple[int, int]) -> None:
    """Decode one still bitstream (optional ALPH, then VP8 or VP8L; with or without its RIFF) of
    ``size``, writing out only its first column; RejectedImage unless libwebp decodes all of it."""
    lib = _libwebp()
    config = _Config()
    if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), _ABI):
        raise RuntimeError("libwebp's decoder ABI is not the one this module was written for")
    _refuse(lib.WebPGetFeaturesInternal(bitstream, len(bitstream), ctypes.byref(config.input), _ABI))
    if (config.input.width, config.input.height) != size:
        raise RejectedImage(f"WebP bitstream is {config.input.width}x{config.input.height}, "
                            f"not the {size[0]}x{size[1]} its container declares")
    config.output.colorspace = _MODE_YUVA
    options = config.options
    options.bypass_filtering = options.use_threads = options.use_cropping = 1
    options.crop_width, options.crop_height = min(_COLUMN, size[0]), size[1]
    status = lib.WebPDecode(bitstream, len(bitstream), ctypes.byref(config))
    lib.WebPFreeDecBuffer(ctypes.byref(config.output))
    _refuse(status)


def _refuse(status: int) -> None:
    """RejectedImage unless libwebp's VP8StatusCode ``status`` is OK."""
    if status:
        name = _STATUS[status] if 0 < status < len(_STATUS) else f"status {status}"
        raise RejectedImage(f"WebP image data does not decode: {name}")


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
        decode_column(data, size)
        return
    if len(animation) != frames:
        raise RejectedImage(f"WebP animation holds {len(animation)} frames, the demuxer sees {frames}")
    for body in animation:
        width = int.from_bytes(body[6:9], "little") + 1
        height = int.from_bytes(body[9:12], "little") + 1
        decode_column(bytes(body[16:]), (width, height))
