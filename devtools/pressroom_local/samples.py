"""Sample uploads for the demo: generated photos carrying the metadata a phone would leave in them."""
from __future__ import annotations

import io
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

# West Midlands, roughly: what a phone's GPS would have written.
_GPS = (52.4796, -1.9026)


@dataclass(frozen=True)
class Sample:
    name: str
    album: str
    title: str
    description: str
    colours: tuple[tuple[int, int, int], tuple[int, int, int]]
    metadata: dict[str, str] = field(default_factory=dict)


SAMPLES = (
    Sample("park-cleanup.jpg", "neighbourhood-day", "Park clean-up with volunteers",
           "Officers and volunteers cleared litter from the park on Saturday morning.",
           ((46, 125, 50), (200, 230, 201)),
           {"category": "neighbourhood-initiative", "people": "none", "children": "no",
            "credit": "West Midlands Police", "uploader": "pcso.jones@press-office.example"}),
    Sample("bike-marking.jpg", "neighbourhood-day", "Free bike marking event",
           "Bring your bike to be security marked for free at the community centre.",
           ((21, 101, 192), (187, 222, 251)),
           {"category": "neighbourhood-initiative", "people": "none", "children": "no",
            "credit": "West Midlands Police", "uploader": "pcso.jones@press-office.example"}),
    Sample("winter-campaign.jpg", "campaigns", "Lock it or lose it",
           "Our winter campaign: lock your car and keep valuables out of sight.",
           ((183, 28, 28), (255, 205, 210)),
           {"category": "campaign", "people": "none", "children": "no",
            "credit": "West Midlands Police", "uploader": "campaigns@press-office.example"}),
)


def _rational(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 2)
    return (float(degrees), float(minutes), seconds)


def _xmp(sample: Sample) -> bytes:
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:aux="http://ns.adobe.com/exif/1.0/aux/">
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{sample.title}</rdf:li></rdf:Alt></dc:title>
<dc:description><rdf:Alt><rdf:li xml:lang="x-default">{sample.description}</rdf:li></rdf:Alt></dc:description>
<dc:creator><rdf:Seq><rdf:li>PC A. Photographer</rdf:li></rdf:Seq></dc:creator>
<aux:SerialNumber>SN-4471-0092</aux:SerialNumber>
</rdf:Description></rdf:RDF></x:xmpmeta>
<?xpacket end="w"?>""".encode()


def render(sample: Sample, size: tuple[int, int] = (1200, 800)) -> bytes:
    """A JPEG of ``sample`` with GPS, camera serial, owner, dates, orientation and XMP captions."""
    top, bottom = sample.colours
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(size[1]):
        t = y / size[1]
        draw.line([(0, y), (size[0], y)], fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom)))
    draw.ellipse((size[0] // 3, size[1] // 4, 2 * size[0] // 3, 3 * size[1] // 4), outline="white", width=12)
    draw.text((40, 40), sample.title, fill="white")
    exif = Image.Exif()
    exif[0x010F] = "PressCam"          # Make
    exif[0x0110] = "Field Model 7"     # Model
    exif[0x013B] = "PC A. Photographer"  # Artist
    exif[0x0112] = 1                   # Orientation
    exif[0x0132] = "2026:11:20 10:15:00"
    exif.get_ifd(0x8769).update({0xA431: "SN-4471-0092", 0xA430: "PC A. Photographer",  # serial, owner
                                 0x9003: "2026:11:20 10:15:00"})
    lat, lon = _GPS
    exif.get_ifd(0x8825).update({1: "N", 2: _rational(lat), 3: "W", 4: _rational(abs(lon)),
                                 0: b"\x02\x03\x00\x00"})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88, exif=exif, xmp=_xmp(sample))
    return out.getvalue()
