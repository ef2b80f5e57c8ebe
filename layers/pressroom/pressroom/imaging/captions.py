"""Caption fields read from XMP, IPTC IIM, EXIF and PNG text before they are removed.

XMP is parsed with ``xml.etree`` after refusing any packet that declares a DTD or entities
(no entity expansion, no external fetches); a malformed packet simply contributes nothing.
A JPEG's extended XMP is read after its main packet, whose fields win, and only when it names a
caption namespace: it mostly carries bulky data (depth maps, previews) not worth parsing.
IPTC IIM (record 2) is parsed by hand, from Photoshop image resource 0x0404 or raw.
"""
from __future__ import annotations

import hashlib
import re
import struct
import xml.etree.ElementTree as ET
from typing import Any

_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_PS = "{http://ns.adobe.com/photoshop/1.0/}"
_CORE = "{http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/}"
_EXT = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}"
_PLUS = "{http://ns.useplus.org/ldf/xmp/1.0/}"
_NOTE = "{http://ns.adobe.com/xmp/note/}"
_CAPTION_NAMESPACES = re.compile(b"|".join(re.escape(ns[1:-1].encode()) for ns in (_DC, _PS, _CORE, _EXT, _PLUS)))

#: caption key -> XMP properties, first present wins.
_XMP_SCALARS = {
    "title": (_DC + "title", _PS + "Headline"),
    "description": (_DC + "description",),
    "creator": (_DC + "creator",),
    "credit": (_PS + "Credit",),
    "copyright": (_DC + "rights",),
    "release_status": (_PLUS + "ModelReleaseStatus",),
    "minor_age": (_PLUS + "MinorModelAgeDisclosure",),
}
_XMP_LISTS = {
    "tags": _DC + "subject",
    "persons": _EXT + "PersonInImage",
    "release_ids": _PLUS + "ModelReleaseID",
}
_SHOWN_FIELDS = ("Sublocation", "City", "ProvinceState", "CountryName")
#: IPTC record 2 dataset -> caption key; scalars first-wins in this order.
_IPTC = {5: "title", 105: "title", 120: "description", 80: "creator", 110: "credit", 116: "copyright"}
_IPTC_PLACES = (92, 90)  # Sub-location, City
_LISTS = ("tags", "persons", "release_ids")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XMP_ORIENTATION = re.compile(rb'tiff:Orientation(?:="|>)([1-8])')


def _texts(el: ET.Element) -> list[str]:
    """The values of one XMP property element: a resource, an Alt/Bag/Seq or plain text."""
    resource = el.get(_RDF + "resource")
    if resource:
        return [resource.strip()]
    for kind in ("Alt", "Bag", "Seq"):
        container = el.find(_RDF + kind)
        if container is not None:
            items = container.findall(_RDF + "li")
            if kind == "Alt":  # one value: the x-default language, else the first
                items.sort(key=lambda li: li.get("{http://www.w3.org/XML/1998/namespace}lang") != "x-default")
            values = [v for v in ((li.get(_RDF + "resource") or li.text or "").strip() for li in items) if v]
            return values[:1] if kind == "Alt" else values
    text = (el.text or "").strip()
    return [text] if text else []


def _property(desc: ET.Element, name: str) -> list[str]:
    attr = desc.get(name)
    if attr is not None:
        return [attr.strip()] if attr.strip() else []
    el = desc.find(name)
    return _texts(el) if el is not None else []


def _shown_places(desc: ET.Element) -> list[str]:
    shown = desc.find(_EXT + "LocationShown")
    if shown is None:
        return []
    places = []
    for li in shown.iter(_RDF + "li"):
        holders = [li, *li.findall(_RDF + "Description")]
        for name in _SHOWN_FIELDS:
            for holder in holders:
                values = _property(holder, _EXT + name)
                if values:
                    places.append(values[0])
                    break
    return places


def _parse(packet: bytes) -> ET.Element | None:
    """The root of one XMP packet; None if empty, malformed, declaring a DTD or entities, or
    declaring an encoding Python has no codec for (``LookupError``: ``encoding="x"``, ``"rot13"``)."""
    packet = bytes(packet).strip(b"\x00 \t\r\n")
    if not packet or _DTD.search(packet):
        return None
    try:
        return ET.fromstring(packet)
    except (ET.ParseError, ValueError, LookupError):
        return None


def read_xmp(packet: bytes) -> dict[str, Any]:
    """Caption fields of one XMP packet (``location`` as a list of parts); {} if unreadable."""
    root = _parse(packet)
    return {} if root is None else _fields(root)


def _fields(root: ET.Element) -> dict[str, Any]:
    found: dict[str, Any] = {}
    core: list[str] = []
    city: list[str] = []
    shown: list[str] = []
    for desc in root.iter(_RDF + "Description"):
        for key, names in _XMP_SCALARS.items():
            for name in names:
                values = _property(desc, name)
                if values and key not in found:
                    found[key] = "; ".join(values)
        for key, name in _XMP_LISTS.items():
            values = _property(desc, name)
            if values:
                found.setdefault(key, []).extend(values)
        core.extend(_property(desc, _CORE + "Location"))
        city.extend(_property(desc, _PS + "City"))
        shown.extend(_shown_places(desc))
    places = core + city + shown
    if places:
        found["location"] = places
    return found


def _extension_guid(root: ET.Element) -> str:
    """The GUID of the extended XMP a main packet names (xmpNote:HasExtendedXMP); "" if none."""
    for desc in root.iter(_RDF + "Description"):
        values = _property(desc, _NOTE + "HasExtendedXMP")
        if values:
            return values[0]
    return ""


def xmp_orientation(packet: bytes) -> int:
    """``tiff:Orientation`` of an XMP packet, as Pillow reads it; 1 when absent."""
    match = _XMP_ORIENTATION.search(bytes(packet))
    return int(match[1]) if match else 1


def iptc_from_photoshop(irb: bytes) -> bytes | None:
    """The IPTC IIM block (resource 0x0404) inside Photoshop image resources, if any."""
    pos, n = 0, len(irb)
    while pos + 12 <= n and irb[pos : pos + 4] == b"8BIM":
        (rid,) = struct.unpack_from(">H", irb, pos + 4)
        pos += 6
        pos += (irb[pos] + 2) & ~1  # Pascal name padded to an even length
        if pos + 4 > n:
            return None
        (size,) = struct.unpack_from(">I", irb, pos)
        pos += 4
        if rid == 0x0404:
            return bytes(irb[pos : pos + size])
        pos += size + (size & 1)
    return None


def read_iptc(iim: bytes) -> dict[str, Any]:
    """Caption fields of an IPTC IIM block (``location`` as a list of parts)."""
    pos, n = 0, len(iim)
    utf8 = False
    raw: list[tuple[int, bytes]] = []
    while pos + 5 <= n and iim[pos] == 0x1C:
        record, dataset, length = iim[pos + 1], iim[pos + 2], struct.unpack_from(">H", iim, pos + 3)[0]
        pos += 5
        if length & 0x8000:
            width = length & 0x7FFF
            if width > 4 or pos + width > n:
                break
            length = int.from_bytes(iim[pos : pos + width], "big")
            pos += width
        value = bytes(iim[pos : pos + length])
        pos += length
        if record == 1 and dataset == 90:
            utf8 = value == b"\x1b%G"
        elif record == 2:
            raw.append((dataset, value))
    found: dict[str, Any] = {}
    places: dict[int, str] = {}
    raw.sort(key=lambda item: item[0] == 105)  # ObjectName before Headline for the title
    for dataset, value in raw:
        text = _decode(value, utf8)
        if not text:
            continue
        if dataset == 25:
            found.setdefault("tags", []).append(text)
        elif dataset in _IPTC:
            found.setdefault(_IPTC[dataset], text)
        elif dataset in _IPTC_PLACES:
            places.setdefault(dataset, text)
    location = [places[d] for d in _IPTC_PLACES if d in places]
    if location:
        found["location"] = location
    return found


def _decode(value: bytes, utf8: bool) -> str:
    value = value.strip(b"\x00 ")
    try:
        return value.decode("utf-8").strip()
    except UnicodeDecodeError:
        return ("" if utf8 else value.decode("cp1252", "replace")).strip() or value.decode("latin-1").strip()


class CaptionReader:
    """Collects caption fields from every source of one image; XMP (main packet, then extended XMP)
    beats IPTC beats EXIF."""

    XMP, EXTENDED_XMP, IPTC, EXIF, TEXT = range(5)

    def __init__(self) -> None:
        self._sources: list[tuple[int, dict[str, Any]]] = []

    def add(self, rank: int, fields: dict[str, Any]) -> None:
        if fields:
            self._sources.append((rank, fields))

    def xmp(self, packet: bytes) -> str:
        """Read a main XMP packet; returns the GUID of the extended XMP it names, "" if none."""
        root = _parse(packet)
        if root is None:
            return ""
        self.add(self.XMP, _fields(root))
        return _extension_guid(root)

    def extended_xmp(self, serialisation: bytes, guid: str) -> None:
        """Read extended XMP unless it names no caption namespace or its MD5 is not ``guid``, the
        GUID its main packet names (XMP part 3: the MD5 of the whole serialisation)."""
        if _CAPTION_NAMESPACES.search(serialisation) and (
            hashlib.md5(serialisation, usedforsecurity=False).hexdigest() == guid.lower()
        ):
            self.add(self.EXTENDED_XMP, read_xmp(serialisation))

    def iptc(self, iim: bytes) -> None:
        self.add(self.IPTC, read_iptc(iim))

    def photoshop(self, irb: bytes) -> None:
        iim = iptc_from_photoshop(irb)
        if iim:
            self.iptc(iim)

    def result(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        places: list[str] = []
        for _rank, fields in sorted(self._sources, key=lambda s: s[0]):
            for key, value in fields.items():
                if key == "location":
                    places.extend(p for p in value if p not in places)
                elif key in _LISTS:
                    merged = out.setdefault(key, [])
                    merged.extend(v for v in value if v not in merged)
                else:
                    out.setdefault(key, value)
        if places:
            out["location"] = ", ".join(places)
        return out
