"""The detector port: Rekognition through botocore's Stubber with real-shaped responses, and offline."""
from __future__ import annotations

import io
from dataclasses import asdict

import boto3
import pytest
from botocore.stub import Stubber
from PIL import Image

from pressroom.adapters.rekognition import RekognitionDetector
from pressroom.guidance import Facts, evaluate
from pressroom.guidance import detector as detector_module
from pressroom.guidance.checklist import checklist
from pressroom.guidance.detector import (
    OFFLINE_NOTE,
    Detections,
    Face,
    Label,
    OfflineDetector,
    analysis_copy,
)
from pressroom.guidance.rules import load_rulebook
from tests.memory import growth_kib, linux_only

COMPLETE = {
    "category": "force-photographer-pr", "people": "none", "children": "no", "credit": "Force photographer",
    "copyright": "West Midlands Police", "uploader": "press.office@west-midlands.police.uk",
}


def _box(left=0.4, top=0.2):
    return {"Width": 0.2, "Height": 0.3, "Left": left, "Top": top}


FACES = {
    "FaceDetails": [
        {
            "BoundingBox": _box(),
            "AgeRange": {"Low": 6, "High": 10},
            "Landmarks": [{"Type": "eyeLeft", "X": 0.45, "Y": 0.31}, {"Type": "eyeRight", "X": 0.52, "Y": 0.3}],
            "Pose": {"Roll": 1.2, "Yaw": -3.4, "Pitch": 5.6},
            "Quality": {"Brightness": 80.1, "Sharpness": 92.3},
            "Confidence": 99.98,
        },
        {"BoundingBox": _box(0.1), "AgeRange": {"Low": 31, "High": 39}, "Confidence": 99.7},
        {"BoundingBox": _box(0.7), "AgeRange": {"Low": 20, "High": 28}, "Confidence": 41.0},  # not a face, really
    ]
}
LABELS = {
    "ModerationLabels": [
        {"Confidence": 95.2, "Name": "Blood & Gore", "ParentName": "Graphic Violence", "TaxonomyLevel": 3},
        {"Confidence": 95.2, "Name": "Graphic Violence", "ParentName": "Violence", "TaxonomyLevel": 2},
        {"Confidence": 95.2, "Name": "Violence", "ParentName": "", "TaxonomyLevel": 1},
    ],
    "ModerationModelVersion": "7.0",
}
TEXT = {
    "TextDetections": [
        {
            "DetectedText": "AB12 CDE", "Type": "LINE", "Id": 0, "Confidence": 98.5,
            "Geometry": {"BoundingBox": _box(), "Polygon": [{"X": 0.4, "Y": 0.2}, {"X": 0.6, "Y": 0.2}, {"X": 0.6, "Y": 0.5}, {"X": 0.4, "Y": 0.5}]},
        },
        {"DetectedText": "AB12", "Type": "WORD", "Id": 1, "ParentId": 0, "Confidence": 98.5, "Geometry": {"BoundingBox": _box()}},
        {"DetectedText": "CDE", "Type": "WORD", "Id": 2, "ParentId": 0, "Confidence": 98.4, "Geometry": {"BoundingBox": _box()}},
        {"DetectedText": "23 Acacia Avenue", "Type": "LINE", "Id": 3, "Confidence": 91.0, "Geometry": {"BoundingBox": _box()}},
        {"DetectedText": "lorem ipsm", "Type": "LINE", "Id": 4, "Confidence": 52.0, "Geometry": {"BoundingBox": _box()}},
    ],
    "TextModelVersion": "3.0",
}


@pytest.fixture
def rekognition():
    client = boto3.client("rekognition", region_name="eu-west-2")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def _expect(stub, image: bytes, faces=FACES, labels=LABELS, text=TEXT):
    stub.add_response("detect_faces", faces, {"Image": {"Bytes": image}, "Attributes": ["AGE_RANGE"]})
    stub.add_response("detect_moderation_labels", labels, {"Image": {"Bytes": image}, "MinConfidence": 60.0})
    stub.add_response("detect_text", text, {"Image": {"Bytes": image}})


def test_rekognition_detections(rekognition, corpus):
    client, stub = rekognition
    image = (corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes()
    _expect(stub, image)
    found = RekognitionDetector(client).detect(image)
    assert found.available
    assert found.faces == (Face(6, 10, 99.98), Face(31, 39, 99.7))
    assert Label("Blood & Gore", "Graphic Violence", 95.2) in found.labels
    assert found.text == ("AB12 CDE", "23 Acacia Avenue")


def test_rekognition_findings_go_through_the_rules(rekognition, corpus):
    client, stub = rekognition
    image = (corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes()
    _expect(stub, image)
    report = evaluate(Facts(title="Cannabis factory raid", declared=dict(COMPLETE)), RekognitionDetector(client).detect(image))
    by_rule = {}
    for finding in report.findings:
        by_rule.setdefault(finding.rule, set()).add(finding.severity)
    assert report.verdict == "blocked"
    assert by_rule["dont-children-without-permission"] == {"block", "warn"}  # child's face; children=no contradicted
    assert "warn" in by_rule["do-release-forms"]  # faces found, no release forms
    assert by_rule["dont-graphic-or-sensationalist"] == {"block"}  # Blood & Gore, Graphic Violence
    assert by_rule["dont-personal-details-plate-in-picture"] == {"warn"}  # the number plate, to blur
    assert by_rule["dont-identify-crime-scenes-address"] == {"block"}  # house number and street, in a raid
    assert "image-not-analysed" not in by_rule
    assert not any("lorem" in f.evidence for f in report.findings)


def test_a_photo_with_nothing_found(rekognition, corpus):
    client, stub = rekognition
    image = (corpus / "png_16bit_rgba_pngsuite.png").read_bytes()
    _expect(stub, image, {"FaceDetails": []}, {"ModerationLabels": []}, {"TextDetections": []})
    assert RekognitionDetector(client).detect(image) == Detections()


@pytest.mark.parametrize("code", ["InvalidImageFormatException", "ImageTooLargeException", "InvalidParameterException"])
def test_an_image_rekognition_refuses_becomes_a_gap_for_the_approver(rekognition, corpus, code):
    client, stub = rekognition
    stub.add_client_error("detect_faces", service_error_code=code, service_message="refused")
    found = RekognitionDetector(client).detect((corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes())
    assert not found.available and code in found.note
    report = evaluate(Facts(declared=dict(COMPLETE)), found)
    assert [f.severity for f in report.findings if f.rule == "image-not-analysed"] == ["info"]


def test_throttling_is_raised_so_the_message_is_retried(rekognition, corpus):
    client, stub = rekognition
    stub.add_client_error("detect_faces", service_error_code="ThrottlingException", http_status_code=400)
    with pytest.raises(client.exceptions.ClientError):
        RekognitionDetector(client).detect((corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes())


def test_bytes_that_are_not_an_image_are_a_gap_without_calling_rekognition(rekognition):
    client, _stub = rekognition  # no responses queued: any call would fail
    found = RekognitionDetector(client).detect(b"RIFF\x00\x00\x00\x00not an image")
    assert not found.available and "could not read" in found.note


def test_small_jpeg_and_png_are_sent_as_they_are(corpus):
    for name in ("Nikon_D70_jpeg_comment_xmp.jpg", "png_16bit_rgba_pngsuite.png"):
        data = (corpus / name).read_bytes()
        assert analysis_copy(data) is data


@pytest.mark.parametrize(
    "name", ["iPhone_11_Pro_Max_gps_xmp.heic", "HTC_Desire_webp_exif_gps_icc.webp", "Parrot_drone_tiff_gps_serial_16bit.tif"]
)
def test_formats_rekognition_cannot_read_are_converted_for_analysis(corpus, name):
    copy = analysis_copy((corpus / name).read_bytes())
    assert copy[:3] == b"\xff\xd8\xff"
    assert len(copy) <= detector_module.REKOGNITION_MAX_BYTES
    with Image.open(io.BytesIO(copy)) as picture:
        picture.load()


def test_an_image_over_the_byte_limit_is_shrunk_for_analysis(corpus, monkeypatch):
    monkeypatch.setattr(detector_module, "REKOGNITION_MAX_BYTES", 200_000)
    data = (corpus / "Samsung_Galaxy_S7_Edge_gps_trailer.jpg").read_bytes()
    copy = analysis_copy(data)
    assert len(data) > 200_000 >= len(copy)
    with Image.open(io.BytesIO(copy)) as picture:
        assert max(picture.size) <= 4096


@linux_only
def test_a_large_camera_jpeg_is_decoded_at_a_reduced_scale_for_analysis(tmp_path):
    """Decoded whole, then turned by its orientation, a 36-megapixel JPEG took over 300 MB."""
    path = tmp_path / "camera.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned a quarter: the copy must be upright
    Image.effect_noise((6000, 6000), 60).convert("RGB").resize((7200, 5000)).save(path, quality=85,
                                                                                 exif=exif.tobytes())
    assert path.stat().st_size > detector_module.REKOGNITION_MAX_BYTES
    with Image.open(io.BytesIO(analysis_copy(path.read_bytes()))) as copy:
        assert copy.size == (2500, 3600)  # decoded at half scale
    assert growth_kib("from pressroom.guidance.detector import analysis_copy", "analysis_copy(data)", path) < 150 * 1024


@linux_only
def test_a_large_webp_is_scaled_as_it_decodes_for_analysis(tmp_path):
    """Pillow decodes a WebP whole onto an RGBA canvas: 400 MB for this 24-megapixel one."""
    path = tmp_path / "large.webp"
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.linear_gradient("L").resize((6000, 4000)).convert("RGB").save(path, quality=50, exif=exif.tobytes())
    with Image.open(io.BytesIO(analysis_copy(path.read_bytes()))) as copy:
        assert copy.size == (2731, 4096)  # upright
    assert growth_kib("from pressroom.guidance.detector import analysis_copy", "analysis_copy(data)", path) < 160 * 1024


def test_offline_detector_states_the_gap(corpus):
    found = OfflineDetector().detect((corpus / "Nikon_D70_jpeg_comment_xmp.jpg").read_bytes())
    assert found == Detections(available=False, note=OFFLINE_NOTE)
    report = evaluate(Facts(title="Fun day", declared=dict(COMPLETE)), found)
    assert [(f.rule, f.severity, f.message) for f in report.findings] == [("image-not-analysed", "info", OFFLINE_NOTE)]
    items, _ = checklist(load_rulebook().questions, COMPLETE, [asdict(f) for f in report.findings])
    assert not any(OFFLINE_NOTE in item.question.ask for item in items)  # a finding beside a question, not one


def test_no_detections_at_all_is_stated_too():
    report = evaluate(Facts(title="Fun day", declared=dict(COMPLETE)))
    assert [f.rule for f in report.findings] == ["image-not-analysed"]
    assert "No automatic image analysis was run" in report.findings[0].message
