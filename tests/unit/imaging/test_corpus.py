"""Every corpus photo, and photos the tests load with metadata through exiftool, come out clean:
exiftool finds nothing outside a short allow-list, pixels, orientation and ICC are unchanged."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageOps

from pressroom.imaging import (
    RejectedImage,
    icc,
    scrub_bytes,
    scrub_file,
)
from tests.corpus import CORPUS, corpus_files

pillow_heif = pytest.importorskip("pillow_heif")
pillow_heif.register_heif_opener()

FILES = corpus_files()
EXIFTOOL = shutil.which("exiftool")
needs_exiftool = pytest.mark.skipif(EXIFTOOL is None, reason="exiftool is not installed")

#: group -> tags exiftool may report on a scrubbed file (None: the whole group).
ALLOWED: dict[str, set[str] | None] = {
    "ExifTool": {"ExifToolVersion"},
    "System": None,
    "File": {"FileType", "FileTypeExtension", "MIMEType", "ImageWidth", "ImageHeight", "EncodingProcess",
             "BitsPerSample", "ColorComponents", "YCbCrSubSampling", "ExifByteOrder"},
    "Composite": {"ImageSize", "Megapixels"},
    "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
    "Adobe": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
    "IFD0": {"Orientation"},
    "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace",
            "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX", "GreenY", "BlueX", "BlueY",
            "Palette", "BackgroundColor", "SRGBRendering", "Transparency", "SignificantBits",
            "AnimationFrames", "AnimationPlays"},
    "PNG-pHYs": {"PixelsPerUnitX", "PixelsPerUnitY", "PixelUnits"},
    "RIFF": {"WebP_Flags", "ImageWidth", "ImageHeight", "VP8Version", "HorizontalScale", "VerticalScale",
             "AlphaPreprocessing", "AlphaFiltering", "AlphaCompression", "BackgroundColor",
             "AnimationLoopCount"},
    "GIF": {"GIFVersion", "ImageWidth", "ImageHeight", "HasColorMap", "ColorResolutionDepth",
            "BitsPerPixel", "BackgroundColor", "AnimationIterations", "FrameCount", "Duration",
            "TransparentColor"},
}
TIFF_STRUCTURE = {"ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
                  "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "PlanarConfiguration",
                  "XResolution", "YResolution", "ResolutionUnit", "Predictor", "ExtraSamples", "SampleFormat",
                  "TileWidth", "TileLength", "TileOffsets", "TileByteCounts", "ColorMap", "FillOrder"}


def exiftool_report(paths: list[Path]) -> dict[str, dict[str, object]]:
    """exiftool -a -G1 -s -ee of every path, in one process, keyed by file name."""
    out = subprocess.run([EXIFTOOL, "-j", "-a", "-G1", "-s", "-ee", *map(str, paths)],
                         capture_output=True, check=False, timeout=300)
    return {Path(item["SourceFile"]).name: item for item in json.loads(out.stdout)}


def leaks(report: dict[str, object]) -> list[str]:
    """Every tag outside the allow-list (warnings count: a trailer shows up as one)."""
    tiff = report.get("File:FileType") == "TIFF"
    bad = []
    for key, value in report.items():
        if key == "SourceFile":
            continue
        group, _, tag = key.partition(":")
        if group.startswith("ICC"):
            continue
        allowed = ALLOWED.get(group, set())
        if group == "IFD0" and tiff:
            allowed = allowed | TIFF_STRUCTURE
        if allowed is not None and tag not in allowed:
            bad.append(f"{key}={value}")
    return bad


def pixels(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def corpus_out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, object]]:
    folder = tmp_path_factory.mktemp("scrubbed")
    results = {}
    for src in FILES:
        dst = folder / src.name
        results[src.name] = (dst, scrub_file(src, dst))
    return results


@pytest.fixture(scope="module")
def corpus_report(corpus_out: dict) -> dict[str, dict[str, object]]:
    return exiftool_report([dst for dst, _ in corpus_out.values()])


def test_corpus_is_all_there() -> None:
    assert len(FILES) == 30


@needs_exiftool
@pytest.mark.parametrize("name", [f.name for f in FILES])
def test_exiftool_finds_nothing_outside_allow_list(name: str, corpus_out: dict, corpus_report: dict) -> None:
    assert name in corpus_report
    assert leaks(corpus_report[name]) == []


@needs_exiftool
def test_original_corpus_is_flagged_by_the_same_check() -> None:
    """The allow-list check is not vacuous: the untouched originals all fail it."""
    report = exiftool_report(FILES)
    assert all(leaks(report[f.name]) for f in FILES if not f.name.startswith("png_16bit"))


@pytest.mark.parametrize("name", [f.name for f in FILES if f.suffix.lower() != ".heic"])
def test_pixels_orientation_and_icc_unchanged(name: str, corpus_out: dict) -> None:
    before = pixels((CORPUS / name).read_bytes())
    dst, result = corpus_out[name]
    after = pixels(dst.read_bytes())
    assert after.mode == before.mode
    assert after.tobytes() == before.tobytes()
    profile = before.info.get("icc_profile")
    assert after.info.get("icc_profile") == (icc.clean(profile) if profile else None)
    if profile:  # the cleaned profile maps colours exactly as the original did
        sample = before.crop((0, 0, 64, 64))
        srgb = ImageCms.createProfile("sRGB")
        as_srgb = [ImageCms.profileToProfile(sample, io.BytesIO(p), srgb, outputMode="RGB").tobytes()
                   for p in (profile, after.info["icc_profile"])]
        assert as_srgb[0] == as_srgb[1]
    shown_before, shown_after = ImageOps.exif_transpose(before), ImageOps.exif_transpose(after)
    assert shown_after.size == shown_before.size == (result.width, result.height)
    assert shown_after.tobytes() == shown_before.tobytes()


@pytest.mark.parametrize("name", [f.name for f in FILES if f.suffix.lower() == ".heic"])
def test_heic_becomes_a_faithful_jpeg(name: str, corpus_out: dict) -> None:
    before = ImageOps.exif_transpose(pixels((CORPUS / name).read_bytes())).convert("RGB")
    dst, result = corpus_out[name]
    after = pixels(dst.read_bytes())
    assert (result.format, result.extension, after.format) == ("jpeg", ".jpg", "JPEG")
    assert after.size == before.size == (result.width, result.height)
    assert after.info.get("icc_profile") == icc.clean(before.info["icc_profile"])
    small = (before.width // 8, before.height // 8)
    diff = [abs(a - b) for a, b in zip(before.resize(small).tobytes(), after.resize(small).tobytes())]
    assert sum(diff) / len(diff) < 2.0


def test_sixteen_bit_kept() -> None:
    for name in ("png_16bit_rgba_pngsuite.png", "Parrot_drone_tiff_gps_serial_16bit.tif"):
        out = scrub_bytes((CORPUS / name).read_bytes())
        assert pixels(out.data).mode in ("RGBA", "I;16")
        assert pixels(out.data).mode == pixels((CORPUS / name).read_bytes()).mode


def test_removed_names_the_hidden_data(corpus_out: dict) -> None:
    removed = {name: result.removed for name, (_dst, result) in corpus_out.items()}
    assert "trailer: 1317283 bytes" in removed["Pixel_3a_XL_motion_photo_mp4_trailer.jpg"]
    assert "trailer: 719853 bytes" in removed["Panasonic_LX7_mpf_preview_serial.jpg"]
    assert "MPF index of secondary images" in removed["Panasonic_LX7_mpf_preview_serial.jpg"]
    assert "trailer: 104180 bytes" in removed["Nikon_E995_iptc_preview_trailer.jpg"]
    assert "extended XMP ×8" in removed["Android_depth_map_extended_xmp.jpg"]
    assert any(line.startswith("APP1 FLIR") for line in removed["FLIR_iPhone_gps_serial_in_app1.jpg"])
    assert "JPEG comment" in removed["Nikon_D70_jpeg_comment_xmp.jpg"]
    exif = removed["Nikon_D70s_gps_serial_iptc_xmp.jpg"][0]
    assert exif.startswith("EXIF (GPS, serial numbers, MakerNotes, thumbnail")


def test_captions_read_before_removal(corpus_out: dict) -> None:
    canon = corpus_out["Canon_EOS-1D_serial_owner_iptc.jpg"][1].captions
    assert canon["creator"] == "Stephen Dunn"
    assert canon["credit"] == "Getty Images"
    assert canon["location"] == "Pasadena"
    assert canon["title"] == "9401004P  S KOREA V USA X"  # IPTC ObjectName, preferred to Headline
    blue = corpus_out["BlueSquare_xmp_iptc_photoshop_irb.jpg"][1].captions
    assert blue["title"] == "Blue Square Test File - .jpg"
    assert "Blue Square" in blue["tags"]
    assert corpus_out["DudleyLeavittUtah_tiff_artist_icc.tiff"][1].captions == {"creator": "Russell Leavitt"}
    assert corpus_out["png_exif_chunk_text.png"][1].captions["copyright"] == "Acme"


def test_cmyk_keeps_its_cleaned_icc_profile_over_segments_and_adobe_marker(corpus_out: dict) -> None:
    dst, _ = corpus_out["CMYK_multiple_ICC_segments_iptc_xmp.jpg"]
    data = dst.read_bytes()
    original = pixels((CORPUS / "CMYK_multiple_ICC_segments_iptc_xmp.jpg").read_bytes()).info["icc_profile"]
    cleaned = icc.clean(original)
    assert data.count(b"ICC_PROFILE\x00") == -(-len(cleaned) // 65519) > 1
    assert pixels(data).info["icc_profile"] == cleaned and len(cleaned) < len(original)
    assert b"\xff\xee\x00\x0eAdobe" in data
    assert pixels(data).mode == "CMYK"


# ---- photos loaded with identifying metadata by exiftool itself ---------------------------------

LOADED_TAGS = [
    "-GPSLatitude=52.4862", "-GPSLatitudeRef=N", "-GPSLongitude=1.8904", "-GPSLongitudeRef=W",
    "-SerialNumber=SN-0042", "-OwnerName=Jane Officer", "-Make=Canon", "-Model=EOS R5",
    "-DateTimeOriginal=2024:05:01 10:00:00", "-Artist=PC Smith",
    "-XMP-dc:Title=Street party", "-XMP-dc:Description=Officers at the Ladywood street party",
    "-XMP-dc:Subject=community", "-XMP-dc:Subject=neighbourhood", "-XMP-dc:Creator=PC Smith",
    "-XMP-dc:Rights=West Midlands Police", "-XMP-photoshop:Credit=WMP Press Office",
    "-XMP-photoshop:City=Birmingham", "-XMP-iptcCore:Location=Ladywood",
    "-XMP-iptcExt:PersonInImage=Jane Doe", "-XMP-plus:ModelReleaseID=MR-1",
    "-XMP-plus:ModelReleaseStatus#=MR-ALL", "-XMP-plus:MinorModelAgeDisclosure#=AG-A25",
    "-XMP-iptcExt:LocationShownSublocation=Ladywood Park", "-XMP-iptcExt:LocationShownCity=Birmingham",
    "-XMP-aux:SerialNumber=LENS-99",
]
JPEG_ONLY = ["-IPTC:Caption-Abstract=IPTC caption", "-IPTC:Keywords=iptc-tag", "-IPTC:By-line=IPTC author",
             "-IPTC:City=Birmingham", "-IPTC:Sub-location=Ladywood", "-Comment=internal note",
             "-Orientation#=6"]


def _base(fmt: str, path: Path) -> Path:
    image = Image.new("RGB", (64, 48))
    image.putdata([(x * 4, y * 5, (x + y) % 256) for y in range(48) for x in range(64)])
    image.save(path, fmt)
    return path


def _load(tmp_path: Path, fmt: str, suffix: str, extra: list[str]) -> Path:
    """A small photo in ``fmt`` carrying the identifying metadata exiftool writes.

    exiftool 12.57 cannot write WebP, so the WebP gets the EXIF and XMP of a loaded JPEG via Pillow.
    """
    if fmt == "WEBP":
        jpeg = _load(tmp_path, "JPEG", ".jpg", extra)
        info = Image.open(jpeg).info
        loaded = tmp_path / "loaded.webp"
        _base("PNG", tmp_path / "webp-base.png")
        Image.open(tmp_path / "webp-base.png").save(loaded, "WEBP", lossless=True, exif=info["exif"], xmp=info["xmp"])
        return loaded
    base = _base(fmt, tmp_path / f"base{suffix}")
    loaded = tmp_path / f"loaded{suffix}"
    tags = LOADED_TAGS if fmt != "GIF" else [t for t in LOADED_TAGS if t.startswith("-XMP")]
    thumb = [f"-ThumbnailImage<={_base('JPEG', tmp_path / 'thumb.jpg')}"] if fmt == "JPEG" else []
    cmd = [EXIFTOOL, "-q", "-m", *tags, *extra, *thumb, "-o", str(loaded), str(base)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    return loaded


@needs_exiftool
@pytest.mark.parametrize("fmt,suffix,extra", [
    ("JPEG", ".jpg", JPEG_ONLY), ("PNG", ".png", ["-Orientation#=8"]), ("WEBP", ".webp", ["-Orientation#=3"]),
    ("TIFF", ".tif", ["-Orientation#=6", "-IPTC:Caption-Abstract=IPTC caption"]), ("GIF", ".gif", ["-Comment=internal note"]),
])
def test_exiftool_loaded_photo_comes_out_clean(tmp_path: Path, fmt: str, suffix: str, extra: list[str]) -> None:
    loaded = _load(tmp_path, fmt, suffix, extra)
    assert leaks(exiftool_report([loaded])[loaded.name]), "exiftool did not load the metadata"
    out = tmp_path / f"clean{suffix}"
    result = scrub_file(loaded, out)
    assert leaks(exiftool_report([out])[out.name]) == []
    before, after = pixels(loaded.read_bytes()), pixels(out.read_bytes())
    assert after.tobytes() == before.tobytes()
    assert ImageOps.exif_transpose(after).tobytes() == ImageOps.exif_transpose(before).tobytes()
    captions = result.captions
    assert captions["title"] == "Street party"
    assert captions["persons"] == ["Jane Doe"]
    assert captions["release_ids"] == ["MR-1"]
    assert captions["release_status"].endswith("MR-ALL")
    assert captions["minor_age"].endswith("AG-A25")
    assert captions["credit"] == "WMP Press Office"
    assert captions["copyright"] == "West Midlands Police"
    assert captions["location"] == "Ladywood, Birmingham, Ladywood Park"
    assert {"community", "neighbourhood"} <= set(captions["tags"])
    if fmt == "JPEG":
        assert "iptc-tag" in captions["tags"]
        assert any(line.startswith("EXIF (GPS, serial numbers") for line in result.removed)
        assert "JPEG comment" in result.removed


def test_scrub_file_writes_nothing_on_failure(tmp_path: Path) -> None:
    src = tmp_path / "bad.jpg"
    src.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF")
    with pytest.raises(RejectedImage):
        scrub_file(src, tmp_path / "out.jpg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jpg"]
