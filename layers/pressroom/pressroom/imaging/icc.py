"""ICC profiles, kept for their colour data only: rebuilt from the header and the tag table, with
every colour tag's bytes copied unchanged, so pixels render exactly as before.

Left out: the tags that describe a device rather than colours (Apple ``mmod``, which carries the
display's EDID vendor, product and serial number; ``ndin``, ``vcgt`` calibration curves, device
manufacturer/model descriptions, metadata dictionaries, characterisation targets), any bytes no
tag points at, and the header's reserved bytes (and its profile ID, an MD5 of the old bytes, when they change). A profile
that is not well-formed (no ``acsp`` signature, sizes or offsets out of range) is dropped whole.
"""
from __future__ import annotations

import struct

_HEADER = 128
_DROP = frozenset(b"dmnd dmdd mmod ndin vcgt meta targ ciis DevD CIED".split())


def clean(profile: bytes) -> bytes | None:
    """The profile with only its colour tags, or None when it is not a well-formed ICC profile."""
    profile = bytes(profile)
    if len(profile) < _HEADER + 4 or profile[36:40] != b"acsp":
        return None
    (size,) = struct.unpack_from(">I", profile, 0)
    (count,) = struct.unpack_from(">I", profile, _HEADER)
    table_end = _HEADER + 4 + 12 * count
    if size > len(profile) or table_end > size:
        return None
    tags = []
    for i in range(count):
        sig, offset, length = struct.unpack_from(">4sII", profile, _HEADER + 4 + 12 * i)
        if offset < table_end or offset + length > size:
            return None
        if sig not in _DROP:
            tags.append((sig, offset, length))
    entries, blobs, placed = [], [], {}
    pos = _HEADER + 4 + 12 * len(tags)
    for sig, offset, length in tags:
        if (offset, length) not in placed:  # tags sharing one element keep sharing it
            placed[offset, length] = pos
            blob = profile[offset : offset + length]
            blobs.append(blob + b"\x00" * (-len(blob) % 4))
            pos += len(blobs[-1])
        entries.append(struct.pack(">4sII", sig, placed[offset, length], length))
    header = bytearray(profile[:_HEADER])
    struct.pack_into(">I", header, 0, pos)
    header[100:] = bytes(_HEADER - 100)  # reserved
    out = b"".join((header, struct.pack(">I", len(tags)), *entries, *blobs))
    if out != profile[:size]:  # the profile ID is an MD5 of the original bytes
        out = out[:84] + bytes(16) + out[100:]
    return out
