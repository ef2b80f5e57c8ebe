"""ICC profiles, kept for their colour data only: rebuilt from the header and the tag table, with
the bytes of the tags colour management reads copied, so pixels render exactly as before.

Kept, and nothing else:

- header: profile size (rewritten), version, device class, colour space, connection space,
  ``acsp``, the two defined flag bits (embedded, used independently), rendering intent (0-3) and
  the connection-space illuminant. Blanked to zero: preferred CMM, creation date and time, primary
  platform, the other flag bits, device manufacturer, model and attributes, profile creator,
  profile ID (an MD5 of the old bytes) and the reserved bytes;
- tags: the transforms (``A2B0-2``, ``B2A0-2``, ``D2B0-3``, ``B2D0-3``), the matrix/TRC set
  (``rXYZ gXYZ bXYZ rTRC gTRC bTRC``), ``kTRC`` for grey, the media white and black points
  (``wtpt bkpt``), chromatic adaptation (``chad``), chromaticity (``chrm``), luminance (``lumi``)
  and coding-independent code points (``cicp``); each tag's 4 reserved bytes zeroed, and an XYZ,
  curve, parametric curve, chromaticity or s15Fixed16 array cut to the length its own count gives
  it (dropped when shorter). A kept tag whose element is not of a type the specification gives it
  makes the profile malformed;
- a neutral description (``desc``: "ICC profile"), the one text tag the specification requires
  that a profile reader may look for.

Dropped: every other tag, among them the original description and copyright text, device
manufacturer and model descriptions, Apple's ``mmod`` (the display's EDID vendor, product and
serial number), calibration (``vcgt``, ``ndin``, ``calt``, ``targ``), measurement and viewing
conditions, metadata dictionaries, profile sequence descriptions, private tags, and any bytes no
kept tag points at. A profile that is not well formed (no ``acsp`` signature, sizes or offsets
out of range) is dropped whole.

What survives: the numbers inside the kept transforms (curves, matrices, lookup tables) are
copied as they are; they are what the colours are made of.
"""
from __future__ import annotations

import struct

_HEADER = 128
KEEP = frozenset(
    b"A2B0 A2B1 A2B2 B2A0 B2A1 B2A2 D2B0 D2B1 D2B2 D2B3 B2D0 B2D1 B2D2 B2D3 "
    b"rXYZ gXYZ bXYZ rTRC gTRC bTRC kTRC wtpt bkpt chad chrm lumi cicp".split()
)
#: the element types each kept tag may have (ICC.1:2022 and v2): a profile whose kept tag has
#: another is malformed, and no colour engine reads it
_TYPES = {
    **{sig: {b"mft1", b"mft2", b"mAB ", b"mBA "} for sig in b"A2B0 A2B1 A2B2 B2A0 B2A1 B2A2".split()},
    **{sig: {b"mpet"} for sig in b"D2B0 D2B1 D2B2 D2B3 B2D0 B2D1 B2D2 B2D3".split()},
    **{sig: {b"XYZ "} for sig in b"rXYZ gXYZ bXYZ wtpt bkpt lumi".split()},
    **{sig: {b"curv", b"para"} for sig in b"rTRC gTRC bTRC kTRC".split()},
    b"chad": {b"sf32"}, b"chrm": {b"chrm"}, b"cicp": {b"cicp"},
}
DESCRIPTION = "ICC profile"
#: header byte ranges copied; everything else in the header is zero
_HEADER_KEPT = ((8, 24), (36, 40), (68, 80))
_PARAMETERS = {0: 1, 1: 3, 2: 4, 3: 5, 4: 7}  # parametric curve function type -> s15Fixed16 values


def clean(profile: bytes | memoryview) -> bytes | None:
    """The profile with only its colour tags, or None when it is not a well-formed ICC profile."""
    profile = bytes(profile)
    if len(profile) < _HEADER + 4 or profile[36:40] != b"acsp":
        return None
    (size,) = struct.unpack_from(">I", profile, 0)
    (count,) = struct.unpack_from(">I", profile, _HEADER)
    table_end = _HEADER + 4 + 12 * count
    if size > len(profile) or table_end > size:
        return None
    tags: list[tuple[bytes, int, int]] = []
    for i in range(count):
        sig, offset, length = struct.unpack_from(">4sII", profile, _HEADER + 4 + 12 * i)
        if offset < table_end or offset + length > size:
            return None
        if sig in KEEP and sig not in (t[0] for t in tags):
            if length < 8 or profile[offset : offset + 4] not in _TYPES[sig]:
                return None
            tags.append((sig, offset, length))
    tags.append((b"desc", -1, 0))
    entries: list[bytes] = []
    blobs: list[bytes] = []
    placed: dict[tuple[int, int], tuple[int, int]] = {}
    elements: dict[tuple[int, int], bytes | None] = {(offset, length): _description(profile[8]) if offset < 0 else _element(profile[offset : offset + length])
                for _sig, offset, length in tags}
    tags = [tag for tag in tags if elements[tag[1:]] is not None]  # a malformed element goes with its tags
    pos = _HEADER + 4 + 12 * len(tags)
    for sig, offset, length in tags:
        if (offset, length) not in placed:  # tags sharing one element keep sharing it
            blob = elements[offset, length]
            assert blob is not None
            placed[offset, length] = pos, len(blob)
            blobs.append(blob + b"\x00" * (-len(blob) % 4))
            pos += len(blobs[-1])
        entries.append(struct.pack(">4sII", sig, *placed[offset, length]))
    return b"".join((_header(profile, pos), struct.pack(">I", len(tags)), *entries, *blobs))


def _header(profile: bytes, size: int) -> bytes:
    header = bytearray(_HEADER)
    struct.pack_into(">I", header, 0, size)
    for start, end in _HEADER_KEPT:
        header[start:end] = profile[start:end]
    (flags,) = struct.unpack_from(">I", profile, 44)
    struct.pack_into(">I", header, 44, flags & 0x3)
    (intent,) = struct.unpack_from(">I", profile, 64)
    struct.pack_into(">I", header, 64, intent if intent <= 3 else 0)
    return bytes(header)


def _element(blob: bytes) -> bytes | None:
    """A tag's element with its reserved bytes zeroed and, for a type whose length its own count
    gives, nothing after that length; None when it is shorter than that (malformed)."""
    kind = blob[:4]
    need = len(blob)
    if kind == b"XYZ ":
        need = 8 + 12 * max(1, (len(blob) - 8) // 12)
    elif kind == b"sf32":
        need = 8 + 4 * max(1, (len(blob) - 8) // 4)
    elif kind == b"curv":
        need = 12 + 2 * struct.unpack_from(">I", blob, 8)[0] if len(blob) >= 12 else 12
    elif kind == b"para":
        need = 12 + 4 * _PARAMETERS.get(struct.unpack_from(">H", blob, 8)[0], 1 << 30) if len(blob) >= 12 else 12
    elif kind == b"chrm":
        need = 12 + 8 * struct.unpack_from(">H", blob, 8)[0] if len(blob) >= 12 else 12
    if need > len(blob):
        return None
    return kind + bytes(4) + blob[8:need]


def _description(major: int) -> bytes:
    """A description tag saying only ``DESCRIPTION``: ``mluc`` (version 4 and later) or ``desc``."""
    text = DESCRIPTION.encode("ascii")
    if major >= 4:
        utf16 = DESCRIPTION.encode("utf-16-be")
        return b"mluc" + bytes(4) + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(utf16), 28) + utf16
    return (b"desc" + bytes(4) + struct.pack(">I", len(text) + 1) + text + b"\x00"
            + struct.pack(">IIHB", 0, 0, 0, 0) + bytes(67))
