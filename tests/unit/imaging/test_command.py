"""`pressroom scrub IN OUT [--json]`, through the same entry points the CLI uses."""
from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from pressroom_local.scrub import main, output_name, register


def photo(path: Path, fmt: str = "JPEG", **params: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (200, 30, 30)).save(path, fmt, **params)
    return path


def test_register_wires_a_scrub_subcommand(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser(prog="pressroom")
    register(parser.add_subparsers(dest="command"))
    src = photo(tmp_path / "in.jpg", comment=b"secret")
    args = parser.parse_args(["scrub", str(src), str(tmp_path / "out.jpg")])
    assert args.func(args) == 0
    assert b"secret" not in (tmp_path / "out.jpg").read_bytes()


def test_single_file_with_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = photo(tmp_path / "in.jpg", comment=b"secret")
    assert main([str(src), str(tmp_path / "out.jpg"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["removed"] == ["JPEG comment"]
    assert (report["format"], report["width"], report["height"]) == ("jpeg", 16, 12)
    assert report["size"] == (tmp_path / "out.jpg").stat().st_size
    assert report["captions"] == {}


def test_rejected_file_exits_2_with_one_line_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "notes.jpg"
    src.write_text("not a photo\n")
    assert main([str(src), str(tmp_path / "out.jpg")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "notes.jpg" in err and "not a supported image" in err
    assert not (tmp_path / "out.jpg").exists()
    assert main([str(tmp_path / "missing.jpg"), str(tmp_path / "out.jpg")]) == 2


def test_directory_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in"
    photo(src / "a.jpeg", comment=b"secret")
    photo(src / "album" / "b.png", "PNG")
    photo(src / "album" / "c.jpg", "PNG")  # wrong extension: named after its real format
    (src / "album" / "d.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    out = tmp_path / "out"
    assert main([str(src), str(out), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"pressroom scrub: album/d.jpg: rejected: {json.loads(captured.out)['album/d.jpg']['rejected']}"]
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["a.jpeg", "album/b.png", "album/c.png"]
    report = json.loads(captured.out)
    assert set(report) == {"a.jpeg", "album/b.png", "album/c.jpg", "album/d.jpg"}
    assert report["album/c.jpg"]["output"] == "album/c.png"
    assert report["a.jpeg"]["removed"] == ["JPEG comment"]


def test_directory_of_good_files_exits_0(tmp_path: Path) -> None:
    photo(tmp_path / "in" / "x.gif", "GIF")
    assert main([str(tmp_path / "in"), str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "x.gif").exists()


def test_output_names() -> None:
    assert output_name("IMG_1.JPG", "jpeg", set()) == "IMG_1.JPG"
    assert output_name("IMG_1.HEIC", "jpeg", set()) == "IMG_1.jpg"
    assert output_name("IMG_1.HEIC", "jpeg", {"IMG_1.jpg"}) == "IMG_1.HEIC.jpg"
    assert output_name("scan.tiff", "tiff", set()) == "scan.tiff"


def test_module_runs_as_a_program(tmp_path: Path) -> None:
    src = photo(tmp_path / "in.jpg")
    run = subprocess.run([sys.executable, "-c", "import sys; from pressroom_local.scrub import main; sys.exit(main())",
                          str(src), str(tmp_path / "out.jpg"), "--json"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["format"] == "jpeg"
    Image.open(io.BytesIO((tmp_path / "out.jpg").read_bytes())).load()


def test_output_directory_inside_input_is_not_rescrubbed(tmp_path: Path) -> None:
    photo(tmp_path / "in" / "a.jpg")
    for _ in range(2):
        assert main([str(tmp_path / "in"), str(tmp_path / "in" / "clean")]) == 0
    written = sorted(p.relative_to(tmp_path / "in").as_posix() for p in (tmp_path / "in").rglob("*") if p.is_file())
    assert written == ["a.jpg", "clean/a.jpg"]
