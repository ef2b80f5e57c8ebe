"""libwebp itself (the copy Pillow ships and loads), through ctypes, for what Pillow does not offer:
decoding a bitstream whole while writing out one column (proof that it decodes, in little memory),
finding where a bitstream ends inside its chunk, and decoding straight to a smaller size.

Where a VP8 or VP8L bitstream ends is known only by decoding it: its last partition (VP8) or its
entropy-coded pixels (VP8L) simply stop, and decoders ignore any bytes after them in the chunk.
``used_length`` finds the end with libwebp's incremental decoder, which decodes what the bytes fed
so far allow and reports "suspended" while it needs more: fed the chunk 1024, 960, ... 64 bytes
short of its end and then one byte at a time, the first prefix it completes on is exactly the
bitstream's length (a prefix decodes completely only when no byte after it was read). That is one
decode of the image, each further prefix costing only a retry of the macroblock (VP8) or the eight
rows (VP8L) it stopped in; a chunk with more than 64 spare bytes takes a second decode, one with
more than 1024 is refused.
"""
from __future__ import annotations

import ctypes
import importlib
import re
import struct
from functools import cache

from PIL import Image

from .result import RejectedImage

_ABI = 0x0209  # WEBP_DECODER_ABI_VERSION of libwebp 1.x: the layout of the structures below
_MODE_RGB, _MODE_YUVA = 0, 12  # YUVA: so that an ALPH chunk is decoded too
_COLUMN = 16  # one macroblock
_STATUS = ("ok", "out of memory", "invalid parameter", "bitstream error", "unsupported feature",
           "suspended", "user abort", "not enough data")
_OK, _SUSPENDED = 0, 5
#: spare bytes after a bitstream, inside its chunk, beyond which it is refused rather than searched
MAX_SPARE = 1024
_STEP = 64  # the coarse steps of the search; the last of them is walked a byte at a time


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
    lib.WebPIDecode.restype = ctypes.c_void_p
    lib.WebPIDecode.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(_Config)]
    lib.WebPIUpdate.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t]
    lib.WebPIDelete.argtypes = [ctypes.c_void_p]
    return lib


def decode_column(bitstream: bytes, size: tuple[int, int]) -> None:
    """Decode one still bitstream (optional ALPH, then VP8 or VP8L; with or without its RIFF) of
    ``size``, writing out only its first column; RejectedImage unless libwebp decodes all of it."""
    lib, config = _configured(bitstream)
    if (config.input.width, config.input.height) != size:
        raise RejectedImage(f"WebP bitstream is {config.input.width}x{config.input.height}, "
                            f"not the {size[0]}x{size[1]} its container declares")
    _column(config, size)
    status = lib.WebPDecode(bitstream, len(bitstream), ctypes.byref(config))
    lib.WebPFreeDecBuffer(ctypes.byref(config.output))
    _refuse(status)


def _column(config: _Config, size: tuple[int, int]) -> None:
    """Ask for one macroblock-wide column of YUVA (ALPH decoded too), unfiltered."""
    config.output.colorspace = _MODE_YUVA
    options = config.options
    options.bypass_filtering = options.use_threads = options.use_cropping = 1
    options.crop_width, options.crop_height = min(_COLUMN, size[0]), size[1]


def used_length(kind: bytes, payload: bytes | memoryview, size: tuple[int, int]) -> int:
    """How many bytes of a ``VP8 `` or ``VP8L`` chunk's ``payload`` its bitstream of ``size`` reads
    (module docstring); RejectedImage unless it decodes, or when over ``MAX_SPARE`` bytes are spare."""
    payload = bytes(payload)
    n = len(payload)
    chunk = kind + struct.pack("<I", n) + payload
    coarse = [n - spare for spare in range(MAX_SPARE, _STEP, -_STEP) if n - spare > 0]
    fine = list(range(max(0, n - _STEP), n + 1))
    done, before = _first_complete(chunk, size, coarse + fine)
    if done is None:
        raise RejectedImage("WebP image data does not decode: not enough data")
    if coarse and done == coarse[0]:
        raise RejectedImage(f"WebP {kind.decode().strip()} chunk holds more than {MAX_SPARE} bytes after "
                            "the end of its bitstream")
    if done - before > 1:  # completed on a coarse step: walk the step before it a byte at a time
        done, _ = _first_complete(chunk, size, list(range(before, done + 1)))
        assert done is not None
    return done


def alpha_length(alph: bytes | memoryview, vp8: bytes | memoryview, size: tuple[int, int]) -> int:
    """How many bytes of a compressed ALPH payload the alpha plane of the picture (``vp8``, its VP8
    payload, of ``size``) reads: the shortest with which the picture still decodes whole, found by
    decoding it (once for a chunk with no spare byte, about 2 log2(spare) times otherwise);
    RejectedImage unless it decodes, or when over ``MAX_SPARE`` bytes are spare."""
    alph, vp8 = bytes(alph), bytes(vp8)
    n = len(alph)

    def decodes(length: int) -> bool:
        try:
            decode_column(still_riff(alph[:length], vp8, size), size)
        except RejectedImage:
            return False
        return True

    if not decodes(n):
        raise RejectedImage("WebP alpha data does not decode")
    if n <= 1 or not decodes(n - 1):
        return n
    if n > MAX_SPARE and decodes(n - MAX_SPARE):
        raise RejectedImage(f"WebP ALPH chunk holds more than {MAX_SPARE} bytes after the end of its alpha data")
    low, high = max(0, n - MAX_SPARE), n - 1  # low does not decode (or is 0), high does
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if decodes(middle) else (middle, high)
    return high


def still_riff(alph: bytes | None, bitstream: bytes, size: tuple[int, int], kind: bytes = b"VP8 ") -> bytes:
    """A RIFF holding only one picture's bitstream (``kind``), after its ALPH payload when given,
    so that a decoder reads nothing past them."""
    def chunk(fourcc: bytes, body: bytes) -> bytes:
        return fourcc + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)

    parts = []
    if alph is not None:
        header = bytes((0x10, 0, 0, 0)) + (size[0] - 1).to_bytes(3, "little") + (size[1] - 1).to_bytes(3, "little")
        parts = [chunk(b"VP8X", header), chunk(b"ALPH", alph)]
    body = b"WEBP" + b"".join(parts) + chunk(kind, bitstream)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _first_complete(chunk: bytes, size: tuple[int, int], prefixes: list[int]) -> tuple[int | None, int]:
    """The first of ``prefixes`` (payload bytes, rising) on which one incremental decode of
    ``chunk`` completes, and the prefix fed before it (-1 if none); None if it never completes."""
    lib, config = _configured(chunk)
    if (config.input.width, config.input.height) != size:
        raise RejectedImage(f"WebP bitstream is {config.input.width}x{config.input.height}, "
                            f"not the {size[0]}x{size[1]} its container declares")
    _column(config, size)
    buffer = ctypes.create_string_buffer(chunk, len(chunk))
    decoder = lib.WebPIDecode(None, 0, ctypes.byref(config))
    if not decoder:
        raise MemoryError("libwebp could not start an incremental decoder")
    try:
        before = -1
        for prefix in prefixes:
            status = lib.WebPIUpdate(decoder, buffer, 8 + prefix)
            if status == _OK:
                return prefix, before
            if status != _SUSPENDED:
                _refuse(status)
            before = prefix
        return None, before
    finally:
        lib.WebPIDelete(decoder)
        lib.WebPFreeDecBuffer(ctypes.byref(config.output))


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
