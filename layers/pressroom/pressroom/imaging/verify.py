"""The last gate: the scrubbed bytes must be a well-formed image of the size the header promised."""
from __future__ import annotations

import io

from PIL import Image

from . import jpegcheck, pngcheck, webpcheck
from .result import RejectedImage, Scrubbed

_PIL_FORMATS = {"jpeg": "JPEG", "gif": "GIF", "tiff": "TIFF"}


def check_decodes(scrubbed: Scrubbed) -> None:
    """Prove the output well-formed: a PNG by its chunks and an inflate of its image data in bounded
    memory (``pngcheck``), a WebP by libwebp decoding every frame (``webpcheck``), a JPEG by its
    structure (``jpegcheck``) when that vouches for it, else (and GIF and TIFF) by decoding it with
    Pillow (JPEG at 1/8 scale; a GIF's frames after the first are proven by ``giflzw`` in the
    scrubber)."""
    if scrubbed.format == "png":
        pngcheck.check(scrubbed.data, (scrubbed.width, scrubbed.height))
        return
    if scrubbed.format == "webp":
        webpcheck.check(scrubbed.data, (scrubbed.width, scrubbed.height))
        return
    if scrubbed.format == "jpeg" and jpegcheck.vouch(scrubbed.data, (scrubbed.width, scrubbed.height)):
        return
    try:
        with Image.open(io.BytesIO(scrubbed.data), formats=[_PIL_FORMATS[scrubbed.format]]) as im:
            stored = (scrubbed.width, scrubbed.height)
            # Pillow applies TIFF orientation on open (reporting the displayed size)
            if im.size != stored and not (scrubbed.format == "tiff" and im.size == stored[::-1]):
                raise RejectedImage(f"decoded size {im.size} differs from the header's")
            if scrubbed.format == "jpeg":
                im.draft(im.mode, (1, 1))
            im.load()
    except RejectedImage:
        raise
    except Exception as exc:  # any decoder failure means the input was not a well-formed image
        raise RejectedImage(f"image data does not decode: {type(exc).__name__}: {exc}") from exc
