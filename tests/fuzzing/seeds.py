"""The fuzzer's seeds: the shared corpus, the fuzz-found reproducers, and small generated files of
every format and of the variants the scrubber treats apart (progressive, CMYK, restart intervals,
16-bit, palette, interlaced, animated, lossy with alpha, tiled, each TIFF compression, HEIC)."""
from __future__ import annotations

import io
import struct
import zlib
from functools import cache

from PIL import Image, ImageCms

from tests.corpus import CORPUS, FUZZ_FOUND

XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
       b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/></rdf:RDF></x:xmpmeta>')


def picture(size: tuple[int, int] = (37, 23), mode: str = "RGB") -> Image.Image:
    width, height = size
    image = Image.new("RGB", size)
    image.putdata([(x * 7 % 256, y * 11 % 256, (x * y * 3) % 256) for y in range(height) for x in range(width)])
    return image.convert(mode)


def save(image: Image.Image | list[Image.Image], fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    if isinstance(image, list):
        image[0].save(out, fmt, save_all=True, append_images=image[1:], **params)
    else:
        image.save(out, fmt, **params)
    return out.getvalue()


def exif(orientation: int) -> bytes:
    ifd = struct.pack("<HHHIHH", 1, 0x0112, 3, 1, orientation, 0) + b"\x00" * 4
    return b"Exif\x00\x00II*\x00\x08\x00\x00\x00" + ifd


def tiled_tiff(size: tuple[int, int], tile: int = 16, deflate: bool = False) -> bytes:
    """A little-endian 8-bit RGB TIFF in tiles that overhang the image (padding zero)."""
    image = picture(size)
    across, down = -(-size[0] // tile), -(-size[1] // tile)
    tiles = []
    for row in range(down):
        for col in range(across):
            box = image.crop((col * tile, row * tile, col * tile + tile, row * tile + tile))
            raw = box.tobytes()  # crop beyond the image is filled with zeros
            tiles.append(zlib.compress(raw) if deflate else raw)
    blob = b"".join(tiles)
    offsets, pos = [], 8
    for t in tiles:
        offsets.append(pos)
        pos += len(t)
    tags = [(256, 3, [size[0]]), (257, 3, [size[1]]), (258, 3, [8, 8, 8]), (259, 3, [8 if deflate else 1]),
            (262, 3, [2]), (277, 3, [3]), (284, 3, [1]), (322, 3, [tile]), (323, 3, [tile]),
            (324, 4, offsets), (325, 4, [len(t) for t in tiles])]
    out = bytearray(b"II*\x00\x00\x00\x00\x00") + blob
    if len(out) & 1:
        out += b"\x00"
    struct.pack_into("<I", out, 4, len(out))
    extra_at = len(out) + 2 + 12 * len(tags) + 4
    ifd, extra = struct.pack("<H", len(tags)), b""
    for tag, typ, vals in tags:
        raw = struct.pack("<" + {3: "H", 4: "I"}[typ] * len(vals), *vals)
        if len(raw) <= 4:
            ifd += struct.pack("<HHI", tag, typ, len(vals)) + raw.ljust(4, b"\x00")
        else:
            ifd += struct.pack("<HHII", tag, typ, len(vals), extra_at + len(extra))
            extra += raw
    return bytes(out) + ifd + b"\x00" * 4 + extra


@cache
def srgb() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


@cache
def generated() -> dict[str, bytes]:
    """Small files made here, by name."""
    rgb = picture()
    frames = [picture(), picture().rotate(90, expand=False), picture().transpose(Image.Transpose.FLIP_TOP_BOTTOM)]
    palette = [f.convert("P", palette=Image.Palette.ADAPTIVE, colors=12) for f in frames]
    seeds = {
        "baseline.jpg": save(rgb, "JPEG", quality=80, exif=exif(6), icc_profile=srgb(), comment=b"note"),
        "progressive.jpg": save(rgb.convert("L"), "JPEG", progressive=True, quality=70),
        "progressive_colour.jpg": save(rgb, "JPEG", progressive=True, quality=90, subsampling=0),
        "cmyk.jpg": save(rgb.convert("CMYK"), "JPEG", quality=75),
        "restart.jpg": save(picture((64, 40)), "JPEG", quality=60, restart_marker_blocks=2),
        "xmp.jpg": save(rgb, "JPEG", quality=50, xmp=XMP),
        "rgb.png": save(rgb, "PNG", exif=exif(3)),
        "rgba16.png": save(picture((9, 7), "RGBA"), "PNG"),
        "palette.png": save(palette[0], "PNG", transparency=2),
        "grey1.png": save(rgb.convert("1"), "PNG"),
        "interlaced.png": save(rgb, "PNG", interlace=1),
        "apng.png": save(palette, "PNG", duration=100, loop=0, blend=[0, 1, 0]),
        "apng_rgba.png": save([f.convert("RGBA") for f in frames], "PNG", duration=100, disposal=[0, 2, 1]),
        "anim.gif": save(palette, "GIF", duration=80, loop=0, transparency=1, comment=b"c", disposal=2),
        "still.gif": save(rgb.convert("P"), "GIF"),
        "lossy.webp": save(rgb, "WEBP", quality=60, exif=exif(6), icc_profile=srgb()),
        "lossless.webp": save(rgb, "WEBP", lossless=True),
        "alpha.webp": save(picture(mode="RGBA"), "WEBP", quality=50, alpha_quality=50),
        "anim.webp": save(frames, "WEBP", duration=50, loop=0, quality=40),
        "plain.tif": save(rgb, "TIFF", exif=exif(8)),
        "deflate.tif": save(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "lzw.tif": save(rgb.convert("L"), "TIFF", compression="tiff_lzw"),
        "packbits.tif": save(palette[0], "TIFF", compression="packbits"),
        "tiled.tif": tiled_tiff((37, 23)),
        "tiled_deflate.tif": tiled_tiff((21, 40), deflate=True),
    }
    try:
        import pillow_heif

        heif = pillow_heif.from_pillow(picture((64, 48)))
        out = io.BytesIO()
        heif.save(out, quality=40, exif=exif(6))
        seeds["small.heic"] = out.getvalue()
    except Exception:  # no HEIC encoder in this pillow-heif build: the corpus has two
        pass
    return seeds


@cache
def all_seeds() -> list[tuple[str, bytes]]:
    """Every seed, small generated files first; corpus files over 1 MB are left out (they make an
    input cost a second; the corpus tests scrub each of them)."""
    seeds = list(generated().items())
    for folder in (FUZZ_FOUND, CORPUS):
        for path in sorted(folder.glob("*")):
            if path.suffix.lower() in (".md", ".py", ".tsv") or not path.is_file() or path.stat().st_size > 1 << 20:
                continue
            seeds.append((path.name, path.read_bytes()))
    return seeds
