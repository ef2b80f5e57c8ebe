"""Refuse a HEIF whose boxes or item data run past the end of the file, before libheif sees it.

libheif (1.2x, in pillow-heif 1.x) decodes a grid image whose tiles are missing: a phone photo cut
at 30% decodes to its full size with two thirds of its 512-pixel tiles one flat colour, and no
error. A truncated upload must be refused, as every other format refuses one, not published half
grey. So every top-level box must fit in the file, and every extent in the ``iloc`` box (where
each item's coded data lies: tiles, Exif, XMP) must lie within the file, or within the ``idat``
box for items stored there (ISO/IEC 14496-12 8.11.3).
"""
from __future__ import annotations

from .result import RejectedImage


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the boxes in ``data[start:end]``; each must fit."""
    found = []
    at = start
    while at < end:
        if end - at < 8:
            raise RejectedImage("HEIF is truncated: a box header is cut off")
        size = int.from_bytes(data[at:at + 4], "big")
        kind = data[at + 4:at + 8]
        header = 8
        if size == 1:
            if end - at < 16:
                raise RejectedImage("HEIF is truncated: a box header is cut off")
            size, header = int.from_bytes(data[at + 8:at + 16], "big"), 16
        elif size == 0:  # the last box: it runs to the end
            size = end - at
        if size < header:
            raise RejectedImage(f"HEIF box {kind!r} declares {size} bytes, less than its header")
        if at + size > end:
            raise RejectedImage(f"HEIF is truncated: box {kind!r} needs {at + size - end} bytes more")
        found.append((kind, at + header, at + size))
        at += size
    return found


class _Reader:
    def __init__(self, data: bytes, start: int, end: int) -> None:
        self.data, self.at, self.end = data, start, end

    def uint(self, size: int) -> int:
        if self.at + size > self.end:
            raise RejectedImage("HEIF iloc box is cut off")
        value = int.from_bytes(self.data[self.at:self.at + size], "big")
        self.at += size
        return value


def _extents(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(item, construction method, offset, length) of every extent an ``iloc`` box lists."""
    read = _Reader(data, start, end)
    version = read.uint(4) >> 24
    if version > 2:
        raise RejectedImage(f"HEIF iloc box version {version} is unknown")
    sizes = read.uint(2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 0xF, (sizes >> 4) & 0xF
    index_size = sizes & 0xF if version in (1, 2) else 0
    if not {offset_size, length_size, base_size, index_size} <= {0, 4, 8}:
        raise RejectedImage("HEIF iloc box uses field sizes other than 0, 4 or 8 bytes")
    found = []
    for _ in range(read.uint(2 if version < 2 else 4)):
        item = read.uint(2 if version < 2 else 4)
        method = read.uint(2) & 0xF if version in (1, 2) else 0
        if read.uint(2) != 0:
            raise RejectedImage(f"HEIF item {item} refers to data outside the file")
        base = read.uint(base_size)
        for _ in range(read.uint(2)):
            read.uint(index_size)
            offset = read.uint(offset_size)
            found.append((item, method, base + offset, read.uint(length_size)))
    return found


def check_complete(data: bytes) -> None:
    """Raise ``RejectedImage`` unless every box and every item's data lies within ``data``."""
    top = _boxes(data, 0, len(data))
    metas = [(start, end) for kind, start, end in top if kind == b"meta"]
    if len(metas) != 1:
        raise RejectedImage(f"HEIF holds {len(metas)} meta boxes, not one")
    start, end = metas[0]
    inside = {kind: (s, e) for kind, s, e in _boxes(data, start + 4, end)}  # meta is a full box
    if b"iloc" not in inside:
        raise RejectedImage("HEIF has no iloc box: where its items lie is unknown")
    idat = inside.get(b"idat", (0, 0))
    for item, method, offset, length in _extents(data, *inside[b"iloc"]):
        if method == 0:  # a file offset; length 0 means "to the end of the file"
            room, where = len(data), "the file"
        elif method == 1:  # an offset into the idat box
            room, where = idat[1] - idat[0], "the idat box"
        else:  # method 2 names another item's data, itself checked
            continue
        if offset > room or offset + length > room:
            raise RejectedImage(f"HEIF is truncated: item {item}'s data ends "
                                f"{offset + length - room} bytes past the end of {where}")
