"""Format detection from magic bytes (never from the file name)."""
from __future__ import annotations

from .result import RejectedImage

_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def sniff(data: bytes) -> str:
    """'jpeg' | 'png' | 'webp' | 'gif' | 'tiff' | 'heic', or RejectedImage naming what it is not."""
    if not data:
        raise RejectedImage("empty file")
    head = bytes(data[:32])
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        raise RejectedImage("BigTIFF is not supported")
    if head[4:8] == b"ftyp":
        brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 32), 4)}
        if brands & _HEIF_BRANDS and b"avif" not in brands:
            return "heic"
        raise RejectedImage(f"unsupported ISO media file (brand {head[8:12].decode('latin-1')!r})")
    raise RejectedImage("not a supported image (JPEG, PNG, WebP, GIF, TIFF or HEIC)")
