"""``pressroom check IMAGE``: JSON report from the image's own captions plus what is given."""
from __future__ import annotations

import json

import pytest

from pressroom_local.check import main
from pressroom_local.cli import build_parser
from tests.corpus import vision_file

DECLARE = [
    "--declare", "category=neighbourhood-initiative", "--declare", "people=none", "--declare", "children=no",
    "--declare", "credit=Force photographer", "--declare", "copyright=West Midlands Police", "--declare", "uploader=press.office@west-midlands.police.uk",
]


def check(capsys, *argv: str) -> tuple[int, dict | None, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def test_json_shape_and_exit_zero(capsys, corpus):
    code, report, _ = check(capsys, corpus / "Nikon_D70_jpeg_comment_xmp.jpg", "--title", "Fun day", "--detector", "offline", *DECLARE)
    assert code == 0
    assert report["verdict"] == "needs_approval"
    assert [f["rule"] for f in report["findings"]] == ["image-not-analysed"]
    assert set(report["findings"][0]) == {"rule", "severity", "message", "evidence", "guidance", "outcome"}
    assert "Does this photo serve a policing purpose?" in report["checklist"]


def test_by_default_the_picture_is_analysed_on_this_machine(capsys):
    code, report, _ = check(capsys, vision_file("syn_plate_scene_0.jpg"), "--title", "Fun day", *DECLARE)
    assert code == 0 and report["verdict"] == "needs_approval"  # the approver may blur the plate
    (plate,) = [f for f in report["findings"] if f["rule"] == "dont-personal-details-plate-in-picture"]
    assert plate["severity"] == "warn"
    assert '"YS07 HRN"' in plate["evidence"] and "of the picture" in plate["evidence"]
    assert len(plate["where"]) == 1 and all(0 <= value <= 10_000 for value in plate["where"][0])
    assert any("does not judge ages or graphic content" in question for question in report["checklist"])


def test_blocked_is_still_exit_zero_with_the_reason_in_the_json(capsys, corpus):
    code, report, _ = check(
        capsys, corpus / "Nikon_D70_jpeg_comment_xmp.jpg", "--title", "Wanted man", "--description", "Call 07700 900123",
        "--tags", "misper,RTC", "--album", "OFFICIAL-SENSITIVE", *DECLARE,
    )
    assert code == 0 and report["verdict"] == "blocked"
    evidence = {(f["rule"], f["evidence"]) for f in report["findings"]}
    assert ("dont-wanted-people-or-suspects", 'title: wanted person "Wanted man"') in evidence
    assert ("dont-personal-details", 'description: UK phone number "07700 900123"') in evidence
    assert ("dont-sentenced-or-missing-people", 'tags: "misper"') in evidence
    assert ("dont-protective-markings", 'album: government security marking "OFFICIAL-SENSITIVE"') in evidence


def test_the_images_own_captions_are_checked(capsys, corpus):
    # IPTC: "... Mandatory Credit: Stephen Dunn/Getty Images", credit "Getty Images", no copyright
    code, report, _ = check(capsys, corpus / "Canon_EOS-1D_serial_owner_iptc.jpg")
    assert code == 0
    found = {(f["rule"], f["evidence"]) for f in report["findings"]}
    assert ("dont-breach-copyright-agency", 'description, credit: "Getty Images"') in found
    assert ("dont-breach-copyright", "copyright not declared") in found
    assert ("what-photos-will-be-added", "category not declared") in found


def test_embedded_copyright_that_is_not_the_forces_is_questioned(capsys, corpus):
    _, report, _ = check(capsys, corpus / "GranTurismo5_mpf_app2_thumbnail.jpg")
    assert ("dont-breach-copyright", 'copyright="TM&Copyright (C) 2010 Sony Computer Entertainment Inc."') in {
        (f["rule"], f["evidence"]) for f in report["findings"]
    }


def test_given_title_replaces_the_embedded_one_but_both_are_checked(capsys, corpus):
    _, report, _ = check(capsys, corpus / "BlueSquare_xmp_iptc_photoshop_irb.jpg", "--title", "RTC", *DECLARE)
    evidence = [f["evidence"] for f in report["findings"] if f["rule"] == "do-avoid-jargon"]
    assert evidence == ['title: "RTC"']


def test_file_name_is_checked(capsys, corpus, tmp_path):
    image = tmp_path / "crime_scene_07700900123.jpg"
    image.write_bytes((corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes())
    _, report, _ = check(capsys, image, *DECLARE)
    rules = {f["rule"] for f in report["findings"] if f["evidence"].startswith("file name:")}
    assert rules == {"dont-identify-crime-scenes", "dont-personal-details"}


@pytest.mark.parametrize("name", ["iPhone_11_Pro_Max_gps_xmp.heic", "png_xmp_itxt_dates.png", "DudleyLeavittUtah_tiff_artist_icc.tiff"])
def test_every_format_is_checked(capsys, corpus, name):
    code, report, _ = check(capsys, corpus / name, *DECLARE)
    assert code == 0 and report["verdict"] == "needs_approval"


def test_not_an_image_is_exit_two_with_one_line(capsys, tmp_path):
    bogus = tmp_path / "notes.jpg"
    bogus.write_text("OFFICIAL-SENSITIVE")
    code, report, err = check(capsys, bogus)
    assert code == 2 and report is None
    assert err.count("\n") == 1 and err.startswith("pressroom check: ") and "notes.jpg" in err


def test_missing_file_is_exit_two(capsys, tmp_path):
    code, report, err = check(capsys, tmp_path / "nope.jpg")
    assert code == 2 and report is None and "nope.jpg" in err


@pytest.mark.parametrize(
    ("declaration", "reason"),
    [("childern=no", 'unknown declaration "childern" (the keys are category, '),
     ("people=lots", "people=lots is not accepted (people is none, identifiable or not-identifiable)"),
     ("uploader=pc.jones", "uploader 'pc.jones' is not a plain email address"), ("category", "not KEY=VALUE")],
)
def test_bad_declarations_are_exit_two(capsys, corpus, declaration, reason):
    code, report, err = check(capsys, corpus / "Nikon_D70_jpeg_comment_xmp.jpg", "--declare", declaration)
    assert code == 2 and report is None and reason in err


def test_declarations_reach_the_rules(capsys, corpus):
    _, report, _ = check(capsys, corpus / "Nikon_D70_jpeg_comment_xmp.jpg", "--declare", "people=identifiable", "--declare", "category=other")
    blocks = {f["rule"] for f in report["findings"] if f["severity"] == "block"}
    assert blocks == {"do-release-forms", "what-photos-will-be-added"}
    assert report["verdict"] == "blocked"


def test_usage_error_is_exit_two(capsys):
    assert main([]) == 2
    capsys.readouterr()


def test_pressroom_cli_wires_the_same_command(capsys, corpus):
    args = build_parser().parse_args(["check", str(corpus / "Nikon_D70_jpeg_comment_xmp.jpg"), "--tags", "misper", *DECLARE])
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["verdict"] == "blocked"
