"""Caption fields from XMP, IPTC IIM and EXIF, and their precedence."""
from __future__ import annotations

import struct

from pressroom.scrub.captions import CaptionReader, iptc_from_photoshop, read_iptc, read_xmp, xmp_orientation
from pressroom.scrub.exif import minimal_exif, read_exif

XMP = b"""<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
  xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"
  xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"
  photoshop:Credit="Press Office" photoshop:City="Birmingham" Iptc4xmpCore:Location="Ladywood" tiff:Orientation="6">
 <dc:title><rdf:Alt><rdf:li xml:lang="en-GB">Fete</rdf:li><rdf:li xml:lang="x-default">Summer fete</rdf:li></rdf:Alt></dc:title>
 <dc:creator><rdf:Seq><rdf:li>PC Smith</rdf:li><rdf:li>PCSO Jones</rdf:li></rdf:Seq></dc:creator>
 <dc:subject><rdf:Bag><rdf:li>community</rdf:li><rdf:li>fete</rdf:li></rdf:Bag></dc:subject>
 <Iptc4xmpExt:PersonInImage><rdf:Bag><rdf:li>Jane Doe</rdf:li></rdf:Bag></Iptc4xmpExt:PersonInImage>
 <Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li><rdf:Description Iptc4xmpExt:City="Solihull"
   Iptc4xmpExt:CountryName="United Kingdom"/></rdf:li></rdf:Bag></Iptc4xmpExt:LocationShown>
 <plus:ModelReleaseStatus rdf:resource="http://ns.useplus.org/ldf/vocab/MR-NON"/>
 <plus:MinorModelAgeDisclosure>http://ns.useplus.org/ldf/vocab/AG-U14</plus:MinorModelAgeDisclosure>
</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>\x00\x00"""


def iim(record: int, dataset: int, value: bytes) -> bytes:
    return bytes((0x1C, record, dataset)) + struct.pack(">H", len(value)) + value


def test_xmp_fields_in_every_rdf_form() -> None:
    fields = read_xmp(XMP)
    assert fields == {
        "title": "Summer fete",
        "creator": "PC Smith; PCSO Jones",
        "credit": "Press Office",
        "tags": ["community", "fete"],
        "persons": ["Jane Doe"],
        "release_status": "http://ns.useplus.org/ldf/vocab/MR-NON",
        "minor_age": "http://ns.useplus.org/ldf/vocab/AG-U14",
        "location": ["Ladywood", "Birmingham", "Solihull", "United Kingdom"],
    }
    assert xmp_orientation(XMP) == 6


def test_malformed_or_dtd_xmp_contributes_nothing() -> None:
    assert read_xmp(XMP[:200]) == {}
    assert read_xmp(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + XMP) == {}
    assert read_xmp(b"") == {}


def test_iptc_utf8_extended_length_and_photoshop_wrapper() -> None:
    caption = "Café opening".encode() * 3000  # over 32767 bytes: extended length form
    block = (iim(1, 90, b"\x1b%G") + iim(2, 105, b"Headline") + iim(2, 5, "Opening".encode()) + iim(2, 25, b"cafe") + iim(2, 25, b"opening")
             + iim(2, 80, b"PC Smith") + iim(2, 110, b"WMP") + iim(2, 116, b"(c) WMP") + iim(2, 92, b"High St")
             + iim(2, 90, b"Walsall") + bytes((0x1C, 2, 120)) + b"\x80\x04" + struct.pack(">I", len(caption)) + caption)
    irb = b"8BIM\x04\x0c\x00\x00" + struct.pack(">I", 3) + b"abc\x00" + b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(block)) + block
    assert iptc_from_photoshop(irb) == block
    fields = read_iptc(block)
    assert fields["description"] == caption.decode()
    assert fields["title"] == "Opening" and fields["tags"] == ["cafe", "opening"]
    assert (fields["creator"], fields["credit"], fields["copyright"]) == ("PC Smith", "WMP", "(c) WMP")
    assert fields["location"] == ["High St", "Walsall"]


def test_iptc_latin1_and_truncated_blocks() -> None:
    assert read_iptc(iim(2, 120, "Café".encode("latin-1")))["description"] == "Café"
    assert read_iptc(iim(2, 120, b"complete")[:-3]) == {"description": "compl"}
    assert read_iptc(b"\x1c\x02") == {}


def test_exif_texts_orientation_and_kinds() -> None:
    texts = b"PC Smith\x00"
    entries = [(0x010E, 2, 4, b"Hi!\x00"), (0x0112, 3, 1, b"\x00\x08\x00\x00"), (0x013B, 2, len(texts), None),
               (0x8825, 4, 1, b"\x00\x00\x00\x08")]
    offset = 8 + 2 + 12 * len(entries) + 4
    body = struct.pack(">H", len(entries))
    for tag, typ, count, inline in entries:
        body += struct.pack(">HHI", tag, typ, count) + (inline if inline is not None else struct.pack(">I", offset))
    tiff = b"MM\x00*\x00\x00\x00\x08" + body + b"\x00\x00\x00\x00" + texts
    facts = read_exif(tiff)
    assert facts.orientation == 8
    assert facts.texts == {"description": "Hi!", "creator": "PC Smith"}
    assert facts.label() == "EXIF (GPS, artist/copyright, description)"
    assert read_exif(minimal_exif(3)).orientation == 3
    assert read_exif(b"garbage").orientation is None


def test_reader_precedence_and_merging() -> None:
    reader = CaptionReader()
    reader.add(CaptionReader.EXIF, {"description": "exif words", "creator": "exif artist"})
    reader.iptc(iim(2, 120, b"iptc words") + iim(2, 25, b"b") + iim(2, 90, b"Walsall"))
    reader.xmp(XMP)
    merged = reader.result()
    assert merged["description"] == "iptc words"
    assert merged["creator"] == "PC Smith; PCSO Jones"
    assert merged["tags"] == ["community", "fete", "b"]
    assert merged["location"] == "Ladywood, Birmingham, Solihull, United Kingdom, Walsall"
