"""The Lambda layer as `sam build` makes it, opened and checked against the runtime it is for.

The layer is built once for this module by the same Makefile target `sam build` runs
(``layers/pressroom/Makefile``, ``build-PressroomLayer``): pip installs the wheels of
``locks/layer.txt`` for the CPython and glibc named in template.yaml's Mappings, on aarch64. The
wheels come from PyPI the first time and from pip's cache after that. Nothing here imports the
built code: it is for another interpreter and another processor.
"""
from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.tags import Tag, parse_tag
from packaging.utils import canonicalize_name

from tests.permissions import CfnLoader

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = ROOT / "layers" / "pressroom" / "Makefile"

# Lambda's quota on a function's deployment package and all its layers, unzipped ("250 MB").
UNZIPPED_LIMIT = 250 * 2**20
# The AWS-published Powertools layer, which cannot be opened here: estimated as
# aws-lambda-powertools[all] 3.37 with its dependencies for cp314 on aarch64, without the AWS SDK
# (the runtime's): 28.5 MiB.
POWERTOOLS_LAYER = 30 * 2**20
# Room kept for the image-analysis stack until it is in the lock: ONNX Runtime and NumPy (with
# protobuf, flatbuffers and packaging), unpacked from their cp314 aarch64 wheels (onnxruntime
# 1.32.0, numpy 2.4.6), 111.6 MiB in all. A package counts here only while the layer lacks it;
# once locked, its real size is in the layer's.
IMAGE_ANALYSIS = {"onnxruntime": 60_100_000, "numpy": 54_900_000, "protobuf": 1_400_000,
                  "flatbuffers": 100_000, "packaging": 500_000}

EM_AARCH64 = 183
SHT_GNU_VERNEED = 0x6FFFFFFE


def _runtime() -> tuple[str, tuple[int, int]]:
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)
    python = template["Mappings"]["Lambda"]["Python"]
    major, minor = python["Glibc"].split(".")
    return python["PythonRuntime"], (int(major), int(minor))


RUNTIME, GLIBC = _runtime()
VERSION = RUNTIME.removeprefix("python").replace(".", "")  # "314"
EXTENSION_SUFFIXES = (f".cpython-{VERSION}-aarch64-linux-gnu.so", ".abi3.so")


@pytest.fixture(scope="module")
def layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("layer")
    build = subprocess.run(["make", "--no-print-directory", "-f", str(MAKEFILE), "build-PressroomLayer",
                            f"ARTIFACTS_DIR={out}", f"PIP={sys.executable} -m pip"],
                           capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    return out / "python"


def _locked(lock: Path) -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(), re.MULTILINE)
    return {canonicalize_name(name): version for name, version in pins}


def _distributions(layer: Path) -> dict[str, Path]:
    found = {}
    for info in layer.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        found[f"{canonicalize_name(name)}=={version}"] = info
    return found


def _files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _elf_header(data: bytes) -> dict[str, Any] | None:
    if data[:4] != b"\x7fELF":
        return None
    return {"class": data[4], "little_endian": data[5] == 1, "machine": int.from_bytes(data[18:20], "little")}


def _glibc_versions_needed(data: bytes) -> set[tuple[int, int]]:
    """The GLIBC_x.y symbol versions a 64-bit little-endian ELF file asks of the C library
    (its .gnu.version_r section: what the dynamic loader refuses to load without)."""
    def u(at: int, size: int) -> int:
        return int.from_bytes(data[at:at + size], "little")

    shoff, shentsize, shnum = u(0x28, 8), u(0x3A, 2), u(0x3C, 2)
    sections = [(u(h + 4, 4), u(h + 24, 8), u(h + 40, 4), u(h + 44, 4))  # type, offset, link, info
                for h in (shoff + i * shentsize for i in range(shnum))]
    needed = set()
    for kind, offset, link, count in sections:
        if kind != SHT_GNU_VERNEED:
            continue
        strings = sections[link][1]
        entry = offset
        for _ in range(count):
            aux = entry + u(entry + 8, 4)
            for _ in range(u(entry + 2, 2)):
                start = strings + u(aux + 8, 4)
                name = data[start:data.index(b"\0", start)].decode()
                if match := re.fullmatch(r"GLIBC_(\d+)\.(\d+)(?:\.\d+)?", name):
                    needed.add((int(match[1]), int(match[2])))
                aux += u(aux + 12, 4)
            entry += u(entry + 12, 4)
    return needed


def _glibc_of(tag: Tag) -> tuple[int, int] | None:
    """The glibc a wheel tag needs on aarch64 Linux, (0, 0) for a pure wheel, None if not aarch64."""
    if tag.platform == "any":
        return (0, 0)
    if tag.platform == "manylinux2014_aarch64":
        return (2, 17)
    if match := re.fullmatch(r"manylinux_(\d+)_(\d+)_aarch64", tag.platform):
        return (int(match[1]), int(match[2]))
    return None


def _runs_on_the_runtime(tag: Tag) -> bool:
    if tag.abi == "none":
        return tag.interpreter in ("py3", f"py{VERSION}", f"cp{VERSION}")
    if tag.abi == "abi3":
        return bool(re.fullmatch(r"cp3(\d+)", tag.interpreter)) and int(tag.interpreter[3:]) <= int(VERSION[1:])
    return tag.interpreter == tag.abi == f"cp{VERSION}"


def test_the_makefile_reads_the_runtime_from_the_template() -> None:
    shown = subprocess.run(["make", "-s", "-f", str(MAKEFILE), "runtime"], capture_output=True, text=True, check=True)
    assert shown.stdout.split() == [RUNTIME, f"{GLIBC[0]}.{GLIBC[1]}"]


def test_the_layer_ships_the_layer_lock_and_the_pressroom_package(layer: Path) -> None:
    shipped = set(_distributions(layer))
    assert shipped == {f"{name}=={version}" for name, version in _locked(ROOT / "locks" / "layer.txt").items()}
    source = ROOT / "layers" / "pressroom" / "pressroom"
    assert {p.relative_to(source) for p in _files(source)} == {p.relative_to(layer / "pressroom")
                                                              for p in _files(layer / "pressroom")}
    assert not list(layer.rglob("__pycache__")) and not (layer / "bin").exists()
    assert not list(layer.glob("pressroom_local*")), "the local stack is a development tool, not Lambda code"


def test_every_compiled_file_is_for_the_runtimes_cpython_on_aarch64(layer: Path) -> None:
    extensions, libraries = [], []
    for path in _files(layer):
        with path.open("rb") as f:
            header = _elf_header(f.read(20))
        if header is None:
            assert not path.name.endswith(".so"), f"{path} is named like a library but is not ELF"
            continue
        assert header == {"class": 2, "little_endian": True, "machine": EM_AARCH64}, f"{path}: {header}"
        if any(part.endswith(".libs") for part in path.relative_to(layer).parts):
            libraries.append(path)  # a C library a wheel vendored (auditwheel), loaded by its extension
        else:
            assert path.name.endswith(EXTENSION_SUFFIXES), f"{path.name} is not tagged for CPython {RUNTIME} aarch64"
            extensions.append(path)
    assert any(p.name.startswith("_imaging.") for p in extensions)  # Pillow's, at least
    assert any("libheif" in p.name for p in libraries)


def test_no_compiled_file_asks_for_a_newer_glibc(layer: Path) -> None:
    needs = {}
    for path in _files(layer):
        data = path.read_bytes()
        if _elf_header(data[:20]) is not None:
            needs[path.relative_to(layer)] = max(_glibc_versions_needed(data), default=(0, 0))
    assert max(needs.values()) >= (2, 17)  # the section was read: every extension needs some glibc
    too_new = {str(p): v for p, v in needs.items() if v > GLIBC}
    assert not too_new, f"need a glibc newer than {GLIBC}: {too_new}"


def test_no_wheel_is_tagged_for_a_newer_glibc(layer: Path) -> None:
    for pin, info in _distributions(layer).items():
        tags = [tag for line in (info / "WHEEL").read_text().splitlines() if line.startswith("Tag:")
                for tag in parse_tag(line.removeprefix("Tag:").strip())]
        usable = [glibc for tag in tags if _runs_on_the_runtime(tag) and (glibc := _glibc_of(tag)) is not None]
        assert usable, f"{pin}: no tag of {[str(t) for t in tags]} is for {RUNTIME} on aarch64"
        assert min(usable) <= GLIBC, f"{pin} needs glibc {min(usable)}, the runtime has {GLIBC}"


def _size(files: list[Path]) -> int:
    return sum(p.stat().st_size for p in files)


def test_the_layer_leaves_room_under_lambdas_size_limit(layer: Path) -> None:
    """Each function is unzipped with the pressroom layer and the Powertools layer; what is left
    must still hold the image-analysis stack (the part of it the layer does not hold yet)."""
    installed = {canonicalize_name(p.name.split("-")[0]) for p in layer.glob("*.dist-info")}  # <name>-<version>.dist-info
    reserved = sum(size for name, size in IMAGE_ANALYSIS.items() if name not in installed)
    functions = {f.name: _size(_files(f)) for f in (ROOT / "functions").iterdir() if f.is_dir()}
    layer_size = _size(_files(layer))
    used = layer_size + POWERTOOLS_LAYER + max(functions.values())
    assert used + reserved <= UNZIPPED_LIMIT, (
        f"layer {layer_size / 2**20:.1f} MiB + Powertools {POWERTOOLS_LAYER / 2**20:.0f} MiB + largest function "
        f"{max(functions.values()) / 2**10:.0f} KiB leaves {(UNZIPPED_LIMIT - used) / 2**20:.1f} MiB; "
        f"the image-analysis stack needs {reserved / 2**20:.1f} MiB")


def test_every_runtime_record_is_whole(layer: Path) -> None:
    """pip wrote every file each wheel's RECORD lists (a partial install would pass the checks above)."""
    for pin, info in _distributions(layer).items():
        rows = list(csv.reader((info / "RECORD").read_text().splitlines()))
        missing = [row[0] for row in rows if row and not row[0].startswith("..") and not (layer / row[0]).exists()]
        assert not missing, f"{pin}: {missing[:5]}"
