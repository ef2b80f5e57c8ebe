"""HEIC/HEIF: decode the primary image with pillow-heif (orientation transforms applied, HDR
reduced to 8 bits, any alpha dropped) and re-encode it as a JPEG at quality 95 with the source's
chroma subsampling (4:2:0 from phones, else 4:4:4) and the ICC profile. Everything else in the
container (Exif, XMP, depth maps, thumbnails, other images) is left behind.
"""
from __future__ import annotations

import io

import pillow_heif

from . import icc
from .captions import CaptionReader
from .exif import read_exif
from .result import RejectedImage, Scrubbed, check_pixels

QUALITY = 95


def scrub(data: bytes, max_pixels: int) -> Scrubbed:
    captions = CaptionReader()
    removed: list[str] = []
    try:
        heif = pillow_heif.open_heif(data, convert_hdr_to_8bit=True)
        width, height = heif.size
        check_pixels(width, height, max_pixels)
        info = heif.info
        if info.get("exif"):
            raw = info["exif"]
            facts = read_exif(raw[6:] if raw[:6] == b"Exif\x00\x00" else raw)
            captions.add(CaptionReader.EXIF, facts.texts)
            removed.append(facts.label())
        if info.get("xmp"):
            captions.xmp(info["xmp"])
            removed.append("XMP")
        extras = [name for name in ("depth_images", "thumbnails", "aux") if info.get(name)]
        if len(heif) > 1:
            extras.append(f"{len(heif) - 1} other images")
        if extras:
            removed.append(f"HEIC {', '.join(extras).replace('_', ' ')}")
        image = heif.to_pillow()
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        subsampling = 2 if info.get("chroma") == 420 else 0  # as the source: phones store 4:2:0
        profile = icc.clean(info.get("icc_profile") or b"")
        image.save(out, "JPEG", quality=QUALITY, subsampling=subsampling, icc_profile=profile)
    except RejectedImage:
        raise
    except Exception as exc:  # libheif reports malformed input in many ways
        raise RejectedImage(f"HEIC does not decode: {type(exc).__name__}: {exc}") from exc
    removed.append(f"HEIC container (re-encoded as JPEG, quality {QUALITY})")
    return Scrubbed(out.getvalue(), "jpeg", image.width, image.height, 1, removed, captions.result())
