"""Decode-free check of a scrubbed JPEG's structure, in place of a Huffman decode of every scan.

The scans of a scrubbed JPEG are the input's bytes, copied; what the scrubber builds is the
segment structure around them, and that is what this proves, as strictly as libjpeg does (its
fatal checks) or more: SOI first; one 8-bit Huffman frame (SOF0/1/2) with 1, 3 or 4 components,
sampling factors 1-4 in integral ratios; every quantisation and Huffman table well-formed (lengths
exact, Huffman codes not over-subscribed, DC symbols up to 15) and defined before the scan that
uses it; scan headers consistent with the frame; progressive scans in a valid order that ends
with every coefficient of every component fully refined; sequential frames with each component
coded exactly once; every scan's entropy data non-empty, byte-stuffed, its restart markers in
sequence and as many as the frame's size and restart interval require; EOI last, nothing after.

What it does not prove is that the Huffman codes inside a scan decode: libjpeg does not prove that
either (it warns, substitutes zeros and carries on), so the decode it replaces refused no more.
Restart markers are the one in-band check a JPEG carries, and they are checked here, which the
decode did not do. ``vouch`` returns False for anything outside this grammar (arithmetic coding,
12-bit, lossless or hierarchical frames, fill bytes, an unusual order): those are decoded instead.
"""
from __future__ import annotations

import re
import struct
from typing import Any

from .result import RejectedImage

_FRAMES = {0xC0: False, 0xC1: False, 0xC2: True}  # SOF marker -> progressive
_MARKER_IN_SCAN = re.compile(rb"\xff[^\x00]")


class _Unvouched(Exception):
    """Outside the grammar this module checks: the caller decodes the image instead."""


def vouch(data: bytes, size: tuple[int, int]) -> bool:
    """True when ``data`` is a well-formed JPEG of ``size`` (width, height) by the rules above;
    False when it must be decoded to be judged; ``RejectedImage`` when it is damaged (restart
    markers wrong, a scan empty or unended)."""
    try:
        if _check(data) != size:
            raise _Unvouched
    except _Unvouched:
        return False
    except (IndexError, struct.error) as exc:
        raise RejectedImage(f"malformed JPEG structure: {type(exc).__name__}") from exc
    return True


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def _huffman_tables(payload: bytes, dc: set[int], ac: set[int]) -> None:
    pos = 0
    while pos < len(payload):
        kind, index = payload[pos] >> 4, payload[pos] & 0x0F
        counts = payload[pos + 1 : pos + 17]
        total = sum(counts)
        symbols = payload[pos + 17 : pos + 17 + total]
        if kind > 1 or index > 3 or len(counts) < 16 or total > 256 or len(symbols) < total:
            raise _Unvouched
        code = 0
        for bits, count in enumerate(counts, 1):
            code += count
            if code >= 1 << bits:  # libjpeg: over-subscribed (or all-ones codes) is a bad table
                raise _Unvouched
            code <<= 1
        if kind == 0 and any(s > 15 for s in symbols):
            raise _Unvouched
        (ac if kind else dc).add(index)
        pos += 17 + total


def _quant_tables(payload: bytes, defined: set[int]) -> None:
    pos = 0
    while pos < len(payload):
        precision, index = payload[pos] >> 4, payload[pos] & 0x0F
        size = 1 + 64 * (precision + 1)
        if precision > 1 or index > 3 or pos + size > len(payload):
            raise _Unvouched
        defined.add(index)
        pos += size


def _check(data: bytes) -> tuple[int, int]:
    if data[:2] != b"\xff\xd8":
        raise _Unvouched
    dc: set[int] = set()
    ac: set[int] = set()
    quant: set[int] = set()
    frame: dict | None = None
    interval = 0
    pos = 2
    n = len(data)
    while True:
        if data[pos] != 0xFF:
            raise _Unvouched
        marker = data[pos + 1]
        if marker == 0xD9:
            if pos + 2 != n:
                raise _Unvouched
            break
        (length,) = struct.unpack_from(">H", data, pos + 2)
        end = pos + 2 + length
        if length < 2 or end > n:
            raise _Unvouched
        payload = data[pos + 4 : end]
        if marker in _FRAMES:
            if frame is not None:
                raise _Unvouched
            frame = _frame(payload, _FRAMES[marker])
        elif marker == 0xC4:
            _huffman_tables(payload, dc, ac)
        elif marker == 0xDB:
            _quant_tables(payload, quant)
        elif marker == 0xDD:
            if length != 4:
                raise _Unvouched
            (interval,) = struct.unpack_from(">H", payload)
        elif marker == 0xDA:
            if frame is None:
                raise _Unvouched
            pos = _scan(data, end, payload, frame, dc, ac, quant, interval)
            continue
        elif not 0xE0 <= marker <= 0xEF:
            raise _Unvouched
        pos = end
    if frame is None or not frame["scans"]:
        raise _Unvouched
    _complete(frame)
    return frame["width"], frame["height"]


def _frame(payload: bytes, progressive: bool) -> dict:
    precision, height, width, count = struct.unpack_from(">BHHB", payload)
    if precision != 8 or count not in (1, 3, 4) or len(payload) != 6 + 3 * count or not (width and height):
        raise _Unvouched
    components: dict[int, dict[str, Any]] = {}
    for i in range(count):
        ident, sampling, table = payload[6 + 3 * i : 9 + 3 * i]
        h, v = sampling >> 4, sampling & 0x0F
        if ident in components or not (1 <= h <= 4 and 1 <= v <= 4) or table > 3:
            raise _Unvouched
        components[ident] = {"h": h, "v": v, "q": table, "order": i, "bits": [-1] * 64, "scans": 0}
    hmax = max(c["h"] for c in components.values())
    vmax = max(c["v"] for c in components.values())
    if any(hmax % c["h"] or vmax % c["v"] for c in components.values()):
        raise _Unvouched
    return {"width": width, "height": height, "progressive": progressive, "components": components,
            "hmax": hmax, "vmax": vmax, "scans": 0}


def _scan(data: bytes, end: int, payload: bytes, frame: dict, dc: set[int], ac: set[int],
          quant: set[int], interval: int) -> int:
    """Check one SOS header and its entropy data; return the position of the marker after it."""
    count = payload[0]
    if not 1 <= count <= 4 or len(payload) != 4 + 2 * count:
        raise _Unvouched
    ss, se, approx = payload[1 + 2 * count : 4 + 2 * count]
    ah, al = approx >> 4, approx & 0x0F
    members: list[tuple[dict[str, Any], int, int]] = []
    for i in range(count):
        ident, tables = payload[1 + 2 * i : 3 + 2 * i]
        component = frame["components"].get(ident)
        if component is None or (members and component["order"] <= members[-1][0]["order"]):
            raise _Unvouched
        members.append((component, tables >> 4, tables & 0x0F))
    if count > 1 and sum(c["h"] * c["v"] for c, _, _ in members) > 10:
        raise _Unvouched
    for component, dc_table, ac_table in members:
        if component["q"] not in quant:
            raise _Unvouched
        needs_dc = ss == 0 and ah == 0
        needs_ac = se > 0
        if (needs_dc and dc_table not in dc) or (needs_ac and ac_table not in ac):
            raise _Unvouched
        component["scans"] += 1
        if frame["progressive"]:
            _progression(component, count, ss, se, ah, al)
        elif (ss, se, ah, al) != (0, 63, 0, 0) or component["scans"] > 1:
            raise _Unvouched
    frame["scans"] += 1
    markers, stop = _restarts(data, end)
    if stop == end:
        raise RejectedImage("JPEG scan with no entropy-coded data")
    if markers and markers[-1] + 2 == stop:
        raise _Unvouched  # a restart marker closing the scan: some old encoders; the decoder judges
    if not interval:
        if markers:
            raise _Unvouched
        return stop
    component = members[0][0]
    if count == 1:
        mcus = (_ceil(_ceil(frame["width"] * component["h"], frame["hmax"]), 8)
                * _ceil(_ceil(frame["height"] * component["v"], frame["vmax"]), 8))
    else:
        mcus = _ceil(frame["width"], 8 * frame["hmax"]) * _ceil(frame["height"], 8 * frame["vmax"])
    expected = _ceil(mcus, interval) - 1
    if len(markers) != expected:
        raise RejectedImage(f"JPEG scan has {len(markers)} restart markers where {expected} belong: image data damaged")
    previous = end
    for i, at in enumerate(markers):
        if data[at + 1] != 0xD0 + i % 8:
            raise RejectedImage("JPEG restart markers out of sequence: image data damaged")
        if at == previous:
            raise RejectedImage("JPEG restart interval with no entropy-coded data: image data damaged")
        previous = at + 2
    return stop


def _restarts(data: bytes, start: int) -> tuple[list[int], int]:
    """Positions of the RSTn markers in the entropy data from ``start``, and where the data ends."""
    markers: list[int] = []
    match = _MARKER_IN_SCAN.search(data, start)
    while match is not None:
        kind = data[match.start() + 1]
        if kind == 0xFF:
            raise _Unvouched  # fill bytes: legal but unusual; the decoder judges
        if not 0xD0 <= kind <= 0xD7:
            return markers, match.start()
        markers.append(match.start())
        match = _MARKER_IN_SCAN.search(data, match.end())
    raise RejectedImage("truncated JPEG: scan data has no end")


def _progression(component: dict, count: int, ss: int, se: int, ah: int, al: int) -> None:
    """libjpeg's progression rules, its warnings (scans whose data it would ignore) included;
    a scan breaking one is left to the decoder."""
    if (ss == 0 and se != 0) or (ss > 0 and (se < ss or se > 63 or count != 1)):
        raise _Unvouched
    if (ah and al != ah - 1) or al > 13:
        raise _Unvouched
    bits = component["bits"]
    if ss > 0 and bits[0] < 0:
        raise _Unvouched  # AC before DC
    for k in range(ss, se + 1):
        if (ah == 0 and bits[k] >= 0) or (ah and bits[k] != ah):
            raise _Unvouched
        bits[k] = al


def _complete(frame: dict) -> None:
    for component in frame["components"].values():
        if frame["progressive"]:
            if any(bit != 0 for bit in component["bits"]):
                raise _Unvouched  # a partial progression: libjpeg shows it blurred; decode to judge
        elif component["scans"] != 1:
            raise _Unvouched
