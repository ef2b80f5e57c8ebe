"""Metadata scrubber: removes everything that can identify a place, a person, a device or an
earlier version of a picture, keeps what the picture needs to display exactly as before, and
reads the caption fields first (they feed the policy checks).

Per format (``sniff`` decides by magic bytes, never by name):

- JPEG, PNG, WebP: segment/chunk level, image data copied byte for byte, never re-encoded.
  Kept: ICC profiles (colour tags only), JFIF (without thumbnail), Adobe APP14, colour chunks
  (not a truecolour PNG's suggested palette), and of a JPEG's quantisation/Huffman/arithmetic
  tables only the definitions a scan uses. Anything after the end of the image (motion-photo
  MP4, MPF images, Samsung SEF, FotoStation, archives) is dropped.
- PNG and GIF palettes: entries no pixel uses (up to 768 bytes of anything) are zeroed and cut
  from the end (``palette``, finding the indices with Pillow's decoders, one byte per pixel).
- TIFF: rewritten as a single-page TIFF holding only the image-structure tags, the ICC profile
  and Orientation; strip/tile data copied byte for byte (any bit depth, lossless), each strip cut
  to the bytes its rows need (uncompressed) or to where its Deflate, PackBits or LZW stream ends.
  Other compressions (JPEG, CCITT) are refused. A ColorMap's entries no pixel uses are zeroed.
- GIF: blocks rewritten without comments, plain-text and application extensions; the
  NETSCAPE2.0 loop count is kept (a repeat count, harmless and needed for animations to loop).
  Each frame's LZW codes are copied up to its End-Of-Information code (or the code completing the
  frame), found by counting pixels, never decoding them: bytes and bits after it go, sub-blocks are
  re-chunked; a frame whose stream is cut short, runs past its pixels or holds a code outside its
  table is refused, as are frames holding more than ten times the pixel limit together (each
  counted as at least 64x64).
- HEIC/HEIF: converted to a JPEG (quality 95, source chroma subsampling, ICC profile kept,
  orientation applied to the pixels). This is the one lossy path, chosen because JPEG is what
  Flickr and every browser display, and because only the primary image's pixels cross over:
  Exif, XMP, depth maps, thumbnails and other items of the HEIF item graph cannot come along.

Orientation other than 1 survives as a minimal EXIF holding only IFD0 Orientation. Every output
is proven well-formed before it is returned: a JPEG by ``jpegcheck`` (its segment structure,
tables, scan headers, progression and restart markers, decode-free: the scans are the input's
bytes, and libjpeg's Huffman decode, which it replaces, only warned about damaged scan data) or,
when that check cannot vouch for it, by decoding it with Pillow; a PNG by ``pngcheck``, never
decoded into pixels, so memory does not grow with the pixel count: its chunks, and each zlib
stream (IDAT, every APNG frame's fdAT) inflated in fixed-size pieces, which must give exactly the
bytes its rows need, with valid filter types, and end where its data ends (the scrubber first cuts
bytes after a stream's end, which decoders ignore, as it cuts TIFF strips); a WebP by ``webpcheck``:
libwebp's demuxer over the container, and libwebp decoding every frame's bitstream whole while
writing out one column, so memory does not grow with a full RGBA canvas; GIF and TIFF by decoding
them with Pillow. Anything unsupported, malformed or over the pixel limit (checked from the header
before decoding) raises ``RejectedImage``. HEIC transcoding and WebP decoding are most of the
remaining cost.
"""
from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

from . import gif, heic, jpeg, png, tiff, webp
from .result import RejectedImage, Scrubbed, ScrubResult, TooLarge
from .sniff import sniff
from .verify import check_decodes

__all__ = ["RejectedImage", "ScrubResult", "TooLarge", "scrub_bytes", "scrub_file", "write_atomically", "EXTENSIONS", "CONTENT_TYPES"]

DEFAULT_MAX_PIXELS = 100_000_000
_SCRUBBERS = {"jpeg": jpeg.scrub, "png": png.scrub, "webp": webp.scrub, "gif": gif.scrub,
              "tiff": tiff.scrub, "heic": heic.scrub}
CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif",
                 "tiff": "image/tiff"}
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "webp": ".webp", "gif": ".gif", "tiff": ".tif"}
_SWAPS_AXES = frozenset({5, 6, 7, 8})


def scrub_bytes(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ScrubResult:
    """Scrub one image held in memory; raises ``RejectedImage`` for anything not safe to pass."""
    data = bytes(data)
    try:
        scrubbed: Scrubbed = _SCRUBBERS[sniff(data)](data, max_pixels)
    except RejectedImage:
        raise
    except (IndexError, ValueError, OverflowError, struct.error, MemoryError) as exc:
        raise RejectedImage(f"malformed image: {type(exc).__name__}") from exc
    check_decodes(scrubbed)
    width, height = scrubbed.width, scrubbed.height
    if scrubbed.orientation in _SWAPS_AXES:
        width, height = height, width
    return ScrubResult(
        data=scrubbed.data,
        format=scrubbed.format,
        content_type=CONTENT_TYPES[scrubbed.format],
        extension=EXTENSIONS[scrubbed.format],
        width=width,
        height=height,
        removed=scrubbed.removed,
        captions=scrubbed.captions,
    )


def scrub_file(src: Path, dst: Path, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> ScrubResult:
    """Scrub ``src`` into ``dst`` atomically (temp file + rename); nothing is written on failure."""
    try:
        data = Path(src).read_bytes()
    except IsADirectoryError as exc:
        raise RejectedImage(f"{src} is a directory") from exc
    except FileNotFoundError as exc:
        raise RejectedImage(f"{src} does not exist") from exc
    result = scrub_bytes(data, max_pixels=max_pixels)
    write_atomically(Path(dst), result.data)
    return result


def write_atomically(dst: Path, data: bytes) -> None:
    """Write ``data`` to ``dst`` via a temporary file in the same directory and a rename."""
    fd, tmp = tempfile.mkstemp(dir=dst.parent or ".", prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
