"""Drawn scenes for image analysis, each with what a careful person would read in it.

Made with Pillow and the DejaVu / Liberation fonts Debian ships (fonts-dejavu-core), in a seeded
random layout, so a test or the benchmark gets the same pictures every run. Faces come from the
labelled set (``../shared/vision``): a real face photo with a plate, sign or document pasted in.
"""
from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

_FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/truetype/liberation"))
_FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSans.ttf", "DejaVuSerif.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Regular.ttf")


@dataclass(frozen=True)
class Scene:
    name: str
    jpeg: bytes
    faces: int
    #: what must be read, each with its kind: plate, house number, street name, marking, postcode, phone
    targets: tuple[tuple[str, str], ...] = ()
    note: str = ""
    rules: tuple[str, ...] = field(default=())


def font(size: int, index: int = 0) -> ImageFont.FreeTypeFont:
    """The ``index``-th of the fonts (Liberation when installed, else a DejaVu face)."""
    names = [_FONTS[index % len(_FONTS)], *_FONTS]
    for name in names:
        for folder in _FONT_DIRS:
            if (folder / name).is_file():
                return ImageFont.truetype(str(folder / name), size)
    raise FileNotFoundError("no DejaVu font: install fonts-dejavu-core (make system-deps)")


def _clutter(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    """A background of soft shapes (a street, a wall): no text, no face."""
    picture = Image.new("RGB", size, tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(picture)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(40, 400), rng.randrange(20, 300)
        draw.rectangle((x, y, x + w, y + h), fill=tuple(rng.randrange(0, 255) for _ in range(3)))
    return picture.filter(ImageFilter.GaussianBlur(6))


def _plate(text: str, height: int, rear: bool) -> Image.Image:
    """A UK number plate: black characters on white (front) or yellow (rear)."""
    face = font(int(height * 0.72), 0)
    width = int(face.getlength(text) + height * 0.9)
    plate = Image.new("RGB", (width, height), (250, 205, 20) if rear else (245, 245, 240))
    draw = ImageDraw.Draw(plate)
    draw.rectangle((0, 0, width - 1, height - 1), outline=(20, 20, 20), width=max(1, height // 30))
    draw.text((width / 2, height / 2), text, font=face, fill=(10, 10, 10), anchor="mm")
    return plate


def _sign(lines: list[str], height: int, colours=((250, 250, 250), (20, 20, 20)), index: int = 0) -> Image.Image:
    """A street sign or a notice: dark words on a light board with a border."""
    faces = [font(height, index) for _ in lines]
    width = int(max(f.getlength(line) for f, line in zip(faces, lines)) + height)
    board = Image.new("RGB", (width, int(height * 1.4 * len(lines) + height * 0.6)), colours[0])
    draw = ImageDraw.Draw(board)
    draw.rectangle((0, 0, board.width - 1, board.height - 1), outline=colours[1], width=max(2, height // 12))
    for row, (face, line) in enumerate(zip(faces, lines)):
        draw.text((board.width / 2, height * (1.0 + 1.4 * row)), line, font=face, fill=colours[1], anchor="mm")
    return board


def _paste(picture: Image.Image, item: Image.Image, rng: random.Random, angle: float = 0.0) -> None:
    turned = item.rotate(angle, expand=True, fillcolor=None) if angle else item
    mask = Image.new("L", item.size, 255).rotate(angle, expand=True) if angle else None
    x = rng.randrange(0, max(1, picture.width - turned.width))
    y = rng.randrange(picture.height // 3, max(picture.height // 3 + 1, picture.height - turned.height))
    picture.paste(turned, (x, y), mask)


def _jpeg(picture: Image.Image, quality: int = 88) -> bytes:
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _letters(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNOPRSTUVWXY") for _ in range(count))


def _registration(rng: random.Random) -> str:
    """A current-format registration: two letters, the age identifier, three letters."""
    return f"{_letters(rng, 2)}{rng.choice(['02', '15', '19', '23', '51', '68', '71'])} {_letters(rng, 3)}"


STREETS = ("ACACIA AVENUE", "STATION ROAD", "HIGH STREET", "MILL LANE", "CHURCH STREET", "PARK ROAD", "QUEENS DRIVE")
MARKINGS = ("OFFICIAL-SENSITIVE", "SECRET", "OFFICIAL-SENSITIVE PERSONAL", "TOP SECRET")
POSTCODES = ("B4 6NQ", "WS1 1AA", "DY1 4QQ", "CV1 5FB")
PHONES = ("0121 496 0123", "07700 900456", "0161 496 0789")


def scenes(seed: int = 7, count: int = 4, faces_from: Path | None = None) -> list[Scene]:
    """``count`` scenes of each kind (plates, house numbers with street names, marked documents,
    postcodes and phone numbers on signs and vans, empty scenes), and faces with a plate when
    ``faces_from`` (the labelled set) is given."""
    rng = random.Random(seed)
    made: list[Scene] = []
    for n in range(count):
        picture = _clutter(rng, (1600, 1067))
        plate = _registration(rng)
        height = rng.choice((28, 40, 60, 90))
        _paste(picture, _plate(plate, height, rear=bool(n % 2)), rng, angle=rng.choice((0, 0, 5, -8)))
        made.append(Scene(f"gen_plate_{n}", _jpeg(picture), 0, ((plate, "plate"),), f"plate {height}px high",
                          ("dont-personal-details-plate-in-picture",)))
    for n in range(count):
        picture = _clutter(rng, (1600, 1067))
        number, street = str(rng.choice((3, 12, 47, 108, 221))), STREETS[n % len(STREETS)]
        _paste(picture, _sign([number], rng.choice((50, 80)), ((30, 40, 90), (230, 200, 90)), index=2), rng)
        _paste(picture, _sign([street], rng.choice((36, 50, 70)), index=n), rng)
        made.append(Scene(f"gen_address_{n}", _jpeg(picture), 0, ((number, "house number"), (street, "street name")),
                          "house number and a street sign", ("dont-identify-crime-scenes-image-text",)))
    for n in range(count):
        page = Image.new("RGB", (900, 1200), (250, 250, 245))
        draw = ImageDraw.Draw(page)
        marking = MARKINGS[n % len(MARKINGS)]
        draw.text((450, 70), marking, font=font(44, 0), fill=(180, 0, 0) if n % 2 else (0, 0, 0), anchor="mm")
        body = font(22, 1)
        for row in range(22):
            draw.text((70, 160 + row * 40), "Briefing note: the operation begins at 0600; names held separately.",
                      font=body, fill=(40, 40, 40))
        draw.text((450, 1140), marking, font=font(36, 0), fill=(0, 0, 0), anchor="mm")
        picture = _clutter(rng, (1600, 1200))
        page.thumbnail((rng.choice((700, 900, 1100)),) * 2)
        _paste(picture, page, random.Random(n), angle=rng.choice((0, 3, -4)))
        made.append(Scene(f"gen_marking_{n}", _jpeg(picture), 0, ((marking, "marking"),), "marked document",
                          ("dont-protective-markings",)))
    for n in range(count):
        picture = _clutter(rng, (1600, 1067))
        postcode, phone = POSTCODES[n % len(POSTCODES)], PHONES[n % len(PHONES)]
        van = _sign(["PLUMBING AND HEATING", phone, postcode], rng.choice((40, 56)), ((255, 255, 255), (0, 60, 140)), index=3)
        _paste(picture, van, rng)
        made.append(Scene(f"gen_van_{n}", _jpeg(picture), 0, ((phone, "phone"), (postcode, "postcode")),
                          "a van's livery with a phone number and a postcode",
                          ("dont-personal-details-image-text", "dont-personal-details-postcode")))
    for n in range(count):
        made.append(Scene(f"gen_empty_{n}", _jpeg(_clutter(rng, (1600, 1067))), 0, (), "shapes, no text, no face"))
    if faces_from is not None:
        for n, (name, faces) in enumerate((("fr_two_people.jpg", 2), ("df_img22.jpg", 1), ("dlib_2008_002470.jpg", 6))):
            picture = Image.open(faces_from / name).convert("RGB")
            plate = _registration(rng)
            item = _plate(plate, max(24, picture.height // 18), rear=bool(n % 2))
            x = rng.randrange(0, max(1, picture.width - item.width))
            picture.paste(item, (x, picture.height - item.height - 4))  # along the bottom, off the faces
            made.append(Scene(f"gen_faces_plate_{n}", _jpeg(picture), faces, ((plate, "plate"),),
                              f"{name} with a plate along its bottom edge", ("do-release-forms", "dont-personal-details-plate-in-picture")))
    return made


def read(found: list[str], target: str) -> bool:
    """Whether ``target`` was read among the lines ``found`` (letters and digits, any spacing or case)."""
    def plain(text: str) -> str:
        return "".join(char for char in text.upper() if char.isalnum())

    wanted = plain(target)
    if len(wanted) <= 4:  # a house number: a word of its own, not digits inside a phone number
        return any(wanted == plain(word) for line in found for word in line.split())
    return bool(wanted) and any(wanted in plain(line) for line in [" ".join(found), *found])
