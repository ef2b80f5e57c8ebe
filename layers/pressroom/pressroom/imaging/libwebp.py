"""libwebp itself (the copy Pillow ships and loads), through ctypes, for what Pillow does not offer:
decoding a bitstream whole while writing out one column (proof that it decodes, in little memory),
and decoding straight to a smaller size.
"""
from __future__ import annotations

import ctypes
import importlib
import re
from functools import cache

from PIL import Image

from .result import RejectedImage

_ABI = 0x0209  # WEBP_DECODER_ABI_VERSION of libwebp 1.x: the layout of the structures below
_MODE_RGB, _MODE_YUVA = 0, 12  # YUVA: so that an ALPH chunk is decoded too
_COLUMN = 16  # one macroblock
_STATUS = ("ok", "out of memory", "invalid parameter", "bitstream error", "unsupported feature",
           "suspended", "user abort", "not enough data")


class _Features(ctypes.Structure):
    _fields_ = [("width", ctypes.c_int), ("height", ctypes.c_int), ("has_alpha", ctypes.c_int),
                ("has_animation", ctypes.c_int), ("format", ctypes.c_int), ("pad", ctypes.c_uint32 * 5)]


class _RGBA(ctypes.Structure):
    _fields_ = [("rgba", ctypes.c_void_p), ("stride", ctypes.c_int), ("size", ctypes.c_size_t)]


class _YUVA(ctypes.Structure):
    _fields_ = [("y", ctypes.c_void_p), ("u", ctypes.c_void_p), ("v", ctypes.c_void_p), ("a", ctypes.c_void_p),
                ("y_stride", ctypes.c_int), ("u_stride", ctypes.c_int), ("v_stride", ctypes.c_int),
                ("a_stride", ctypes.c_int), ("y_size", ctypes.c_size_t), ("u_size", ctypes.c_size_t),
                ("v_size", ctypes.c_size_t), ("a_size", ctypes.c_size_t)]


class _Planes(ctypes.Union):
    _fields_ = [("RGBA", _RGBA), ("YUVA", _YUVA)]


class _Output(ctypes.Structure):
    _fields_ = [("colorspace", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                ("is_external_memory", ctypes.c_int), ("u", _Planes), ("pad", ctypes.c_uint32 * 4),
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
    importlib.import_module("PIL._webp")  # loads libwebp into the process

    with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
        paths = {line.split(maxsplit=5)[-1].strip() for line in maps if "/libwebp" in line}
    found = sorted(path for path in paths if re.search(r"/libwebp(-[0-9a-f]+)?\.so(\.\d+)*$", path))
    if not found:
        raise RuntimeError("Pillow's WebP support did not load a shared libwebp to decode WebP with")
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
    lib, config = _configured(bitstream)
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


def _configured(data: bytes) -> tuple[ctypes.CDLL, _Config]:
    """libwebp, and a decoder configuration holding the features read from ``data``'s headers."""
    lib = _libwebp()
    config = _Config()
    if not lib.WebPInitDecoderConfigInternal(ctypes.byref(config), _ABI):
        raise RuntimeError("libwebp's decoder ABI is not the one this module was written for")
    _refuse(lib.WebPGetFeaturesInternal(data, len(data), ctypes.byref(config.input), _ABI))
    return lib, config


def _refuse(status: int) -> None:
    """RejectedImage unless libwebp's VP8StatusCode ``status`` is OK."""
    if status:
        name = _STATUS[status] if 0 < status < len(_STATUS) else f"status {status}"
        raise RejectedImage(f"WebP image data does not decode: {name}")


def decode_scaled(data: bytes, edge: int) -> Image.Image:
    """A still WebP (RIFF or bare bitstream) decoded to RGB at most ``edge`` pixels on its long side,
    scaled by libwebp as it decodes, never held at full size; RejectedImage unless it decodes."""
    lib, config = _configured(data)
    width, height = config.input.width, config.input.height
    shrink = min(1.0, edge / max(width, height))
    size = (max(1, round(width * shrink)), max(1, round(height * shrink)))
    config.output.colorspace = _MODE_RGB
    config.options.use_threads = 1
    if shrink < 1:
        config.options.use_scaling = 1
        config.options.scaled_width, config.options.scaled_height = size
    try:
        _refuse(lib.WebPDecode(data, len(data), ctypes.byref(config)))
        rgb = config.output.u.RGBA
        stride = rgb.stride
        pixels = ctypes.string_at(rgb.rgba, stride * size[1])
    finally:
        lib.WebPFreeDecBuffer(ctypes.byref(config.output))
    return Image.frombuffer("RGB", size, pixels, "raw", "RGB", stride, 1)
