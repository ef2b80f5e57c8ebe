"""Caption fields from XMP (extended XMP too), IPTC IIM and EXIF, and their precedence."""
from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import struct
import subprocess
import tracemalloc
from pathlib import Path

import pytest
from PIL import Image

from pressroom.imaging import jpeg, scrub_bytes, scrub_file
from pressroom.imaging.captions import (
    CaptionReader,
    iptc_from_photoshop,
    read_iptc,
    read_xmp,
    xmp_orientation,
)
from pressroom.imaging.exif import minimal_exif, read_exif

EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

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
    block = (iim(1, 90, b"\x1b%G") + iim(2, 105, b"Headline") + iim(2, 5, b"Opening") + iim(2, 25, b"cafe") + iim(2, 25, b"opening")
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


def test_extended_xmp_ranks_below_the_main_packet_above_iptc() -> None:
    main = XMP.replace(b'tiff:Orientation="6"', b'tiff:Orientation="6" xmlns:xmpNote="http://ns.adobe.com/xmp/note/"'
                       b' xmpNote:HasExtendedXMP="' + b"A" * 32 + b'"')
    extension = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
                 b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:title="Other title"'
                 b' dc:description="Long words"><dc:subject><rdf:Bag><rdf:li>extra</rdf:li></rdf:Bag></dc:subject>'
                 b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    reader = CaptionReader()
    reader.iptc(iim(2, 120, b"iptc words") + iim(2, 25, b"b"))
    reader.extended_xmp(extension, hashlib.md5(extension).hexdigest().upper())
    assert reader.xmp(main) == "A" * 32
    merged = reader.result()
    assert (merged["title"], merged["description"]) == ("Summer fete", "Long words")
    assert merged["tags"] == ["community", "fete", "extra", "b"]
    ignored = CaptionReader()
    ignored.extended_xmp(extension, "B" * 32)  # not its MD5
    assert ignored.result() == {} and CaptionReader().xmp(XMP) == ""


# ---- extended XMP in a JPEG, as exiftool writes it --------------------------------------------

EXT = b"http://ns.adobe.com/xmp/extension/\x00"
LONG = " ".join(["Officers at the Ladywood street party."] * 2000)  # 78 KB: over one XMP packet


def app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def split_extension(data: bytes) -> tuple[bytes, list[bytes]]:
    """The JPEG without its extended XMP segments, and their payloads after the namespace."""
    pos, kept, portions = 2, [data[:2]], []
    while data[pos + 1] != 0xDA:
        end = pos + 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
        if data[pos + 4 : pos + 4 + len(EXT)] == EXT:
            portions.append(data[pos + 4 + len(EXT) : end])
        else:
            kept.append(data[pos:end])
        pos = end
    return b"".join(kept) + data[pos:], portions


def cut(whole: bytes, sizes: list[int], guid: bytes, full: int | None = None) -> list[bytes]:
    """``whole`` cut into portions of ``sizes`` and the rest, each stating ``full`` (its length)."""
    stated = struct.pack(">I", len(whole) if full is None else full)
    bounds = [*itertools.accumulate([0, *sizes]), len(whole)]
    return [guid + stated + struct.pack(">I", a) + whole[a:b] for a, b in zip(bounds, bounds[1:])]


def with_portions(base: bytes, portions: list[bytes]) -> bytes:
    """``base`` with extended XMP segments right after SOI, so before the main packet naming them."""
    return base[:2] + b"".join(app1(EXT + p) for p in portions) + base[2:]


@pytest.fixture(scope="module")
def exiftool_jpeg(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A JPEG exiftool wrote with a dc:description too long for one packet, which it moved to
    extended XMP; and that JPEG cut apart: without its extended segments, their whole and GUID."""
    folder = tmp_path_factory.mktemp("extended")
    Image.new("RGB", (64, 48), (40, 90, 160)).save(folder / "base.jpg")
    (folder / "long.txt").write_text(LONG)
    loaded = folder / "loaded.jpg"
    subprocess.run([EXIFTOOL, "-q", "-m", f"-XMP-dc:Description<={folder / 'long.txt'}",
                    "-XMP-dc:Title=Street party", "-XMP-dc:Subject=community", "-XMP-dc:Creator=PC Smith",
                    "-o", str(loaded), str(folder / "base.jpg")], check=True, capture_output=True, timeout=60)
    base, portions = split_extension(loaded.read_bytes())
    whole = b"".join(p[40:] for p in sorted(portions, key=lambda p: struct.unpack_from(">I", p, 36)[0]))
    return {"path": loaded, "base": base, "whole": whole, "guid": portions[0][:32], "count": len(portions)}


def exiftool_json(path: Path) -> dict:
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", "-s", "-ee", str(path)],
                         capture_output=True, check=True, timeout=60)
    return json.loads(out.stdout)[0]


@needs_exiftool
def test_captions_read_from_extended_xmp_then_every_xmp_removed(exiftool_jpeg: dict, tmp_path: Path) -> None:
    guid = exiftool_json(exiftool_jpeg["path"])["XMP-xmpNote:HasExtendedXMP"]
    assert guid == exiftool_jpeg["guid"].decode() == hashlib.md5(exiftool_jpeg["whole"]).hexdigest().upper()
    assert LONG.encode() in exiftool_jpeg["whole"] and exiftool_jpeg["count"] == 2
    out = tmp_path / "clean.jpg"
    result = scrub_file(exiftool_jpeg["path"], out)
    assert result.captions == {"title": "Street party", "description": LONG, "creator": "PC Smith",
                               "tags": ["community"]}
    assert "extended XMP ×2" in result.removed
    assert [key for key in exiftool_json(out) if "XMP" in key] == []
    assert b"http://ns.adobe.com/" not in out.read_bytes()


@needs_exiftool
def test_extended_portions_joined_in_any_order(exiftool_jpeg: dict) -> None:
    portions = cut(exiftool_jpeg["whole"], [5000, 30000, 1, 20000], exiftool_jpeg["guid"])
    shuffled = portions[3:] + portions[1:2] + portions[:1] + portions[2:3]
    result = scrub_bytes(with_portions(exiftool_jpeg["base"], shuffled))
    assert result.captions["description"] == LONG
    assert "extended XMP ×5" in result.removed


@needs_exiftool
def test_portions_of_another_guid_are_removed_unread(exiftool_jpeg: dict) -> None:
    other = exiftool_jpeg["whole"].replace(b"Ladywood", b"Elsewhere")
    other_guid = hashlib.md5(other).hexdigest().upper().encode()
    strangers = cut(other, [40000], other_guid)
    ours = cut(exiftool_jpeg["whole"], [40000], exiftool_jpeg["guid"])
    mixed = scrub_bytes(with_portions(exiftool_jpeg["base"], strangers + ours))
    assert mixed.captions["description"] == LONG
    assert mixed.removed[-2:] == ["extended XMP (not the main packet's, not read) ×2", "extended XMP ×2"]
    alone = scrub_bytes(with_portions(exiftool_jpeg["base"], strangers))
    assert "description" not in alone.captions and alone.captions["title"] == "Street party"


def _broken(whole: bytes, guid: bytes) -> dict[str, list[bytes]]:
    first, second, third = cut(whole, [30000, 30000], guid)
    shifted = guid + struct.pack(">II", len(whole), 29990) + whole[29990:60000]
    skewed = guid + struct.pack(">II", len(whole), 30010) + whole[30010:60010]  # a gap, then an overlap
    return {
        "missing": [first, third],
        "last missing": [first, second],
        "duplicated": [first, second, second, third],
        "overlapping": [first, shifted, third],
        "gap and overlap": [first, skewed, third],
        "lengths differ": [first, second, third[:32] + struct.pack(">I", len(whole) + 1) + third[36:]],
        "header cut short": [first, second, third, guid + b"\x00\x00"],
        "empty": [first, second, third[:40], third],
        "beyond the stated length": cut(whole + b" ", [30000, 30000], guid, full=len(whole)),
        "not its MD5": [first, second.replace(b"street party", b"street parts", 1), third],
    }


@needs_exiftool
@pytest.mark.parametrize("case", ["missing", "last missing", "duplicated", "overlapping", "gap and overlap",
                                  "lengths differ", "header cut short", "empty", "beyond the stated length",
                                  "not its MD5"])
def test_broken_extension_is_removed_unread_and_the_image_kept(exiftool_jpeg: dict, case: str) -> None:
    portions = _broken(exiftool_jpeg["whole"], exiftool_jpeg["guid"])[case]
    data = with_portions(exiftool_jpeg["base"], portions)
    result = scrub_bytes(data)
    assert "description" not in result.captions and result.captions["title"] == "Street party"
    label = "extended XMP" if case == "not its MD5" else "extended XMP (incomplete or inconsistent, not read)"
    assert result.removed[-1] == f"{label} ×{len(portions)}"
    assert EXT not in result.data
    assert Image.open(io.BytesIO(result.data)).tobytes() == Image.open(io.BytesIO(data)).tobytes()


@needs_exiftool
def test_extension_over_the_cap_is_never_joined(exiftool_jpeg: dict) -> None:
    guid, base = exiftool_jpeg["guid"], exiftool_jpeg["base"]
    huge = exiftool_jpeg["whole"].replace(LONG.encode(), b"x" * (4 << 20))
    huge_guid = hashlib.md5(huge).hexdigest().upper().encode()
    cases = [
        (base.replace(guid, huge_guid), cut(huge, [65000] * 64, huge_guid)),  # complete, 4 MB + 1 KB
        (base, cut(exiftool_jpeg["whole"], [30000, 30000], guid, full=0xFFFFFFFF)),  # claims 4 GB
    ]
    for main, portions in cases:
        data = with_portions(main, portions)
        tracemalloc.start()
        scrubbed = jpeg.scrub(data, 10**8)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 1 << 20
        assert "description" not in scrubbed.captions and scrubbed.captions["title"] == "Street party"
        assert scrubbed.removed[-1] == f"extended XMP (over 4 MB, not read) ×{len(portions)}"
        assert scrub_bytes(data).data == scrubbed.data
