"""The scrubber's whole promise, checked on one input: it is refused with a one-line reason, or it
comes out as a file Pillow (libjpeg, libpng/zlib, libwebp, libtiff, its GIF decoder) decodes in
full, every frame, showing the input's pixels in the input's displayed orientation, with none of
the bytes planted in it left, that scrubs to itself again, and (where exiftool is given) in which
exiftool sees no metadata outside a short allow-list.

``judge`` runs in the calling process; ``judge_isolated`` in a forked child, so that a crash, a hang
or a memory blow-up becomes a verdict too, with the scrub's own time and peak memory measured.
"""
from __future__ import annotations

import atexit
import io
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from pressroom.imaging import RejectedImage, heic, scrub_bytes
from pressroom.imaging.sniff import sniff

#: what the promise allows: under these on the machine the scrubber runs on (the issue's bounds).
#: Time is the scrub's CPU time, the HEIC worker's included: a machine shared with other work
#: stretches wall time; past WALL seconds of it the input is slow all the same
SECONDS, MEGABYTES, WALL = 5.0, 1024, 15.0
#: outcomes that keep the promise; anything else is a failure
KEPT = frozenset({"scrubbed", "refused"})

#: group -> tags exiftool may report on a scrubbed file (None: the whole group)
ALLOWED: dict[str, set[str] | None] = {
    "ExifTool": {"ExifToolVersion"},
    "System": None,
    "File": {"FileType", "FileTypeExtension", "MIMEType", "ImageWidth", "ImageHeight", "EncodingProcess",
             "BitsPerSample", "ColorComponents", "YCbCrSubSampling", "ExifByteOrder"},
    "Composite": None,
    "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
    "Adobe": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
    "IFD0": {"Orientation"},
    "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter", "Interlace",
            "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX", "GreenY", "BlueX", "BlueY",
            "Palette", "BackgroundColor", "SRGBRendering", "Transparency", "SignificantBits",
            "AnimationFrames", "AnimationPlays", "ProfileName"},
    "PNG-pHYs": {"PixelsPerUnitX", "PixelsPerUnitY", "PixelUnits"},
    "RIFF": {"WebP_Flags", "ImageWidth", "ImageHeight", "VP8Version", "HorizontalScale", "VerticalScale",
             "AlphaPreprocessing", "AlphaFiltering", "AlphaCompression", "BackgroundColor",
             "AnimationLoopCount", "Duration"},
    "GIF": {"GIFVersion", "ImageWidth", "ImageHeight", "HasColorMap", "ColorResolutionDepth",
            "BitsPerPixel", "BackgroundColor", "AnimationIterations", "FrameCount", "Duration",
            "TransparentColor"},
    # the ICC header fields colour needs, and the colour tags (README: what an ICC profile keeps)
    "ICC-header": {"ProfileCMMType", "ProfileVersion", "ProfileClass", "ColorSpaceData",
                   "ProfileConnectionSpace", "ProfileFileSignature", "PrimaryPlatform", "CMMFlags",
                   "RenderingIntent", "ConnectionSpaceIlluminant", "ProfileID", "ProfileDateTime",
                   "DeviceManufacturer", "DeviceModel", "DeviceAttributes", "ProfileCreator"},
    "ICC_Profile": {"MediaWhitePoint", "MediaBlackPoint", "ChromaticAdaptation", "RedMatrixColumn",
                    "GreenMatrixColumn", "BlueMatrixColumn", "RedTRC", "GreenTRC", "BlueTRC", "GrayTRC",
                    "Chromaticity", "AToB0", "AToB1", "AToB2", "BToA0", "BToA1", "BToA2", "DToB0",
                    "DToB1", "DToB2", "DToB3", "BToD0", "BToD1", "BToD2", "BToD3", "Luminance",
                    "ProfileDescription", "ColorRepresentation"},
    "ICC-chrm": None,  # the chrm tag's chromaticities
}
TIFF_STRUCTURE = {"ImageWidth", "ImageHeight", "BitsPerSample", "Compression", "PhotometricInterpretation",
                  "StripOffsets", "SamplesPerPixel", "RowsPerStrip", "StripByteCounts", "PlanarConfiguration",
                  "XResolution", "YResolution", "ResolutionUnit", "Predictor", "ExtraSamples", "SampleFormat",
                  "TileWidth", "TileLength", "TileOffsets", "TileByteCounts", "ColorMap", "FillOrder",
                  "TransferFunction", "WhitePoint", "PrimaryChromaticities", "YCbCrCoefficients",
                  "YCbCrSubSampling", "YCbCrPositioning", "ReferenceBlackWhite", "SMinSampleValue",
                  "SMaxSampleValue"}
#: the ICC header fields that must be blank (zero) once scrubbed: exiftool's name -> blank values
ICC_BLANK = {"ProfileDateTime": {"0000:00:00 00:00:00"}, "DeviceManufacturer": {"", "0"},
             "DeviceModel": {"", "0"}, "ProfileCreator": {"", "0"}, "PrimaryPlatform": {"", "0",
             "Unknown ()"}, "ProfileCMMType": {"", "0", "Unknown ()"}}


class Broken(Exception):
    """The scrubber's promise is not kept; the message says how."""


@dataclass
class Verdict:
    outcome: str  # scrubbed | refused | crash | broken | hang | killed | slow | memory
    detail: str = ""
    input_format: str = "unknown"
    seconds: float = 0.0
    peak_mb: float = 0.0
    cpu: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> bool:
        return self.outcome in KEPT

    def signature(self) -> str:
        """The failure's kind without its numbers: one reproducer is kept per signature."""
        return f"{self.input_format}:{self.outcome}:{re.sub(r'[0-9]+', 'N', self.detail)[:160]}"


def input_format(data: bytes) -> str:
    try:
        return sniff(data)
    except RejectedImage:
        return "other"


# ---- decoding -------------------------------------------------------------------------------------

def _open(data: bytes) -> Image.Image:
    if sniff(data) == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
    return Image.open(io.BytesIO(data))


#: formats whose frames are an animation; a TIFF's further pages and an MPO's second picture are
#: not the picture (the scrubber leaves them behind by design)
_ANIMATED = frozenset({"GIF", "PNG", "WEBP"})


def frames(data: bytes) -> list[Image.Image]:
    """Every frame as displayed: decoded in full, composited as Pillow shows it, orientation applied."""
    shown = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # decompression-bomb and corrupt-EXIF warnings
        with _open(data) as image:
            count = getattr(image, "n_frames", 1) if image.format in _ANIMATED else 1
            for index in range(count):
                if count > 1:  # else the image as opened: HEIF opens on its primary image
                    image.seek(index)
                image.load()
                try:
                    frame = ImageOps.exif_transpose(image)
                # unreadable EXIF: shown as stored. TypeError: Pillow's getexif matches a bytes pattern
                # against a PNG text chunk named "xmp" (a str), so it reads no orientation at all
                except (SyntaxError, ValueError, TypeError, struct.error, OSError):
                    frame = image
                shown.append(frame.copy() if frame is image else frame)
    return shown


def _comparable(a: Image.Image, b: Image.Image) -> tuple[Image.Image, Image.Image]:
    if a.mode == b.mode and a.mode not in ("P", "PA"):
        return a, b
    return a.convert("RGBA"), b.convert("RGBA")


def same_pictures(before: list[Image.Image], after: list[Image.Image], lossy: bool = False) -> None:
    """Raise ``Broken`` unless the frames show the same pixels (HEIC, re-encoded: nearly the same)."""
    if lossy:
        before = before[:1]  # only the primary image crosses over
    if len(before) != len(after):
        raise Broken(f"{len(after)} frames where the input shows {len(before)}")
    for index, (a, b) in enumerate(zip(before, after)):
        if a.size != b.size:
            raise Broken(f"frame {index} shows {b.size[0]}x{b.size[1]}, the input {a.size[0]}x{a.size[1]}")
        if lossy:
            a, b = a.convert("RGB"), b.convert("RGB")
            small = (max(1, a.width // 8), max(1, a.height // 8))
            diff = [abs(x - y) for x, y in zip(a.resize(small).tobytes(), b.resize(small).tobytes())]
            if sum(diff) / len(diff) >= 4.0:
                raise Broken(f"re-encoded frame {index} differs by {sum(diff) / len(diff):.1f} on average")
            continue
        a, b = _comparable(a, b)
        if a.tobytes() != b.tobytes():
            raise Broken(f"frame {index} pixels differ ({a.mode})")


# ---- exiftool -------------------------------------------------------------------------------------

class Exiftool:
    """One ``exiftool -stay_open`` process reading files one at a time (about 10 ms each)."""

    def __init__(self) -> None:
        path = shutil.which("exiftool")
        if path is None:
            raise FileNotFoundError("exiftool is not installed (make system-deps)")
        self._proc = subprocess.Popen([path, "-stay_open", "True", "-@", "-"], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._owner = os.getpid()
        atexit.register(self.close)  # it does not end when its input closes

    def report(self, path: Path) -> dict[str, object]:
        assert self._proc.stdin and self._proc.stdout
        args = ["-j", "-a", "-G1", "-s", "-ee", "-m", str(path), "-execute"]
        self._proc.stdin.write(("\n".join(args) + "\n").encode())
        self._proc.stdin.flush()
        out = b""
        while not out.endswith(b"{ready}\n"):
            chunk = os.read(self._proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("exiftool stopped")
            out += chunk
        text = out[: -len(b"{ready}\n")].decode("utf-8", "replace").strip()
        return json.loads(text)[0] if text else {}

    def close(self) -> None:
        if os.getpid() == self._owner and self._proc.poll() is None:
            assert self._proc.stdin
            self._proc.stdin.write(b"-stay_open\nFalse\n")
            self._proc.stdin.flush()
            self._proc.wait(timeout=10)


def leaks(report: dict[str, object]) -> list[str]:
    """Every tag exiftool reports outside the allow-list, and ICC header fields not blanked."""
    tiff = report.get("File:FileType") == "TIFF"
    bad = []
    for key, value in report.items():
        if key == "SourceFile":
            continue
        group, _, tag = key.partition(":")
        allowed = ALLOWED.get(group, set())
        if group == "IFD0" and tiff:
            allowed = allowed | TIFF_STRUCTURE
        if allowed is not None and tag not in allowed:
            bad.append(f"{key}={value}")
        elif group == "ICC-header" and tag in ICC_BLANK and str(value).strip() not in ICC_BLANK[tag]:
            bad.append(f"{key}={value}")
        elif group == "ICC_Profile" and tag == "ProfileDescription" and value != "ICC profile":
            bad.append(f"{key}={value}")
    return bad


# ---- the promise ----------------------------------------------------------------------------------

def judge(data: bytes, planted: Sequence[bytes] = (), exiftool: Exiftool | None = None,
          scratch: Path | None = None) -> Verdict:
    """The verdict on one input, in this process."""
    fmt = input_format(data)
    started = time.perf_counter()
    try:
        result = scrub_bytes(data)
    except RejectedImage as exc:
        if not exc.reason or "\n" in exc.reason:
            return Verdict("broken", f"refusal reason is not one line: {exc.reason!r}", fmt)
        return Verdict("refused", exc.reason, fmt, time.perf_counter() - started)
    except Exception as exc:  # anything but a refusal breaks the promise
        return Verdict("crash", f"{type(exc).__name__}: {exc}", fmt)
    seconds = time.perf_counter() - started
    try:
        check_output(data, result.data, result.format, planted, exiftool, scratch)
    except Broken as exc:
        return Verdict("broken", str(exc), fmt, seconds)
    return Verdict("scrubbed", result.format, fmt, seconds)


def check_output(data: bytes, out: bytes, out_format: str, planted: Sequence[bytes] = (),
                 exiftool: Exiftool | None = None, scratch: Path | None = None) -> None:
    """Raise ``Broken`` unless the scrubbed ``out`` keeps the promise for the input ``data``."""
    seen = outside_scans(out) if out_format == "jpeg" else out
    for secret in planted:
        if secret in seen:
            raise Broken(f"planted bytes {secret[:24]!r} left in the output")
    try:
        after = frames(out)
    except Exception as exc:  # any decoder failure breaks the promise
        raise Broken(f"output does not decode: {type(exc).__name__}: {exc}") from None
    try:
        before = frames(data)
    except Exception as exc:
        raise Broken(f"input scrubbed though Pillow cannot decode it: {type(exc).__name__}: {exc}") from None
    same_pictures(before, after, lossy=sniff(data) == "heic")
    try:
        again = scrub_bytes(out)
    except RejectedImage as exc:
        raise Broken(f"the output is refused when scrubbed again: {exc.reason}") from None
    if again.data != out:
        raise Broken("scrubbing the output again changes it")
    if exiftool is not None:
        where = (scratch or Path("/tmp")) / f"promise-{os.getpid()}.{out_format}"
        where.write_bytes(out)
        try:
            bad = leaks(exiftool.report(where))
        finally:
            where.unlink(missing_ok=True)
        if bad:
            raise Broken(f"exiftool sees {', '.join(sorted(bad))[:300]}")


_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")


def outside_scans(jpeg: bytes) -> bytes:
    """A scrubbed JPEG without its scans' entropy-coded data (what follows each SOS header up to the
    marker ending the scan): bytes there are the one place the README says survives (a scan's
    MCUs end where only a Huffman decode finds), so a secret there is no broken promise."""
    parts, pos = [], 0
    while True:
        sos = jpeg.find(b"\xff\xda", pos)
        if sos < 0 or sos + 4 > len(jpeg):
            parts.append(jpeg[pos:])
            return b"|".join(parts)
        header_end = sos + 2 + int.from_bytes(jpeg[sos + 2 : sos + 4], "big")
        parts.append(jpeg[pos:header_end])
        match = _SCAN_END.search(jpeg, header_end)
        pos = match.start() if match else len(jpeg)


def _kib(field_name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field_name + ":"))


def judge_isolated(data: bytes, planted: Sequence[bytes] = (), exiftool: Exiftool | None = None,
                   scratch: Path | None = None, limit_seconds: float = 60.0) -> Verdict:
    """``judge`` in a forked child: a crash, a hang (``limit_seconds``) or being killed is a verdict.
    The verdict carries the scrub's own time and peak memory growth (the kernel's high-water mark,
    reset before the scrub), and is ``slow`` or ``memory`` when they pass the promise's bounds."""
    fmt = input_format(data)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: scrub, measure, check, report, and leave without cleaning up
        status = 0
        try:
            os.close(read)
            with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
                clear.write("5")
            base = _kib("VmRSS")
            started, cpu_started = time.perf_counter(), time.process_time()
            try:
                result = scrub_bytes(data)
                failure = None
            except RejectedImage as exc:
                result, failure = None, exc
            except Exception as exc:
                result, failure = None, exc
            seconds = time.perf_counter() - started
            heic._WORKERS.close()  # reaped, so its CPU time is counted among this child's children
            spent = os.times()
            cpu = time.process_time() - cpu_started + spent.children_user + spent.children_system
            peak = (_kib("VmHWM") - base) / 1024
            if failure is not None and not isinstance(failure, RejectedImage):
                verdict = Verdict("crash", f"{type(failure).__name__}: {failure}", fmt, seconds, peak, cpu=cpu)
            elif failure is not None:
                reason = failure.reason
                verdict = Verdict("refused" if reason and "\n" not in reason else "broken", reason, fmt, seconds, peak,
                                  cpu=cpu)
            else:
                try:
                    check_output(data, result.data, result.format, planted, exiftool, scratch)
                    verdict = Verdict("scrubbed", result.format, fmt, seconds, peak, cpu=cpu)
                except Broken as exc:
                    verdict = Verdict("broken", str(exc), fmt, seconds, peak, cpu=cpu)
            os.write(write, json.dumps(asdict(verdict)).encode())
        except BaseException:  # the parent reports a child that says nothing
            status = 3
        finally:
            os._exit(status)
    os.close(write)
    deadline = time.monotonic() + limit_seconds
    chunks = []
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([read], [], [], left)
        if ready:
            chunk = os.read(read, 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    os.close(read)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return Verdict("hang", f"no verdict after {limit_seconds:.0f} s", fmt, limit_seconds)
    if os.WIFSIGNALED(status) or not chunks:
        how = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.waitstatus_to_exitcode(status)}"
        return Verdict("killed", f"the process died ({how})", fmt)
    verdict = Verdict(**json.loads(b"".join(chunks)))
    if verdict.kept and (verdict.cpu > SECONDS or verdict.seconds > WALL):
        verdict.notes.append(verdict.outcome)
        verdict.outcome = "slow"
        verdict.detail = f"{verdict.cpu:.1f} s CPU, {verdict.seconds:.1f} s to scrub ({verdict.detail})"
    elif verdict.kept and verdict.peak_mb > MEGABYTES:
        verdict.notes.append(verdict.outcome)
        verdict.outcome, verdict.detail = "memory", f"{verdict.peak_mb:.0f} MB to scrub ({verdict.detail})"
    return verdict
