"""The in-account detector on the labelled set (../shared/vision) and on drawn scenes (tests/scenes.py).

A handful of pictures only (about a second each on one core): the whole set, the scenes and the
rejected alternatives are measured by benchmarks/vision.py."""
from __future__ import annotations

import base64
import io
import json
import socket
from pathlib import Path

import pytest
from PIL import Image

from pressroom.adapters import local_vision
from pressroom.adapters.local_vision import (
    AnalysisFunctionDetector,
    LocalVisionDetector,
    Settings,
    analyse_request,
    ocr_model_paths,
)
from pressroom.domain.boxes import Box
from pressroom.guidance import Facts, evaluate
from pressroom.guidance.detector import Detections, analysis_record, detections_from_record
from tests.corpus import VISION, vision_file, vision_labels
from tests.scenes import read, scenes

COMPLETE = {
    "category": "force-photographer-pr", "people": "none", "children": "no", "credit": "Force photographer",
    "copyright": "West Midlands Police", "uploader": "press.office",
}


@pytest.fixture(scope="module")
def detector() -> LocalVisionDetector:
    found = LocalVisionDetector()
    found.load()
    return found


@pytest.fixture(scope="module")
def seen(detector):
    """What the detector sees in a picture, looked at once per module (about a second a picture)."""
    cache: dict[bytes, Detections] = {}

    def look(image: bytes) -> Detections:
        if image not in cache:
            cache[image] = detector.detect(image)
        return cache[image]

    return look


@pytest.fixture(scope="module")
def drawn() -> dict[str, object]:
    return {scene.name: scene for scene in scenes(count=2, faces_from=vision_file("labels.tsv").parent)}


@pytest.fixture(scope="module")
def labels() -> dict[str, dict[str, str]]:
    return {row["file"]: row for row in vision_labels()}


def test_every_model_loads_from_inside_its_package_with_no_network(monkeypatch):
    import rapidocr

    package = Path(rapidocr.__file__).resolve().parent
    assert all(path.resolve().is_relative_to(package) and path.stat().st_size > 100_000 for path in ocr_model_paths().values())

    def refuse(*args, **kwargs):
        raise AssertionError("image analysis tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    faces, ocr = local_vision._engines.__wrapped__(Settings())  # not the cached engines: load them now
    picture = Image.open(vision_file("syn_plate_alone_140.jpg")).convert("RGB")
    import numpy as np

    assert "AB12 CDE" in " ".join(ocr(np.asarray(picture)).txts)
    assert faces(np.asarray(picture.convert("L"))) is not None


def test_a_missing_model_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(local_vision, "_OCR_MODELS", {"Det": "no-such-model.onnx"})
    with pytest.raises(local_vision.ModelMissing, match="no-such-model.onnx"):
        ocr_model_paths()


@pytest.mark.parametrize("name", ["fr_two_people.jpg", "dlib_2008_002470.jpg", "df_img22.jpg"])
def test_faces_are_found_where_labelled(seen, labels, name):
    found = seen(vision_file(name).read_bytes())
    assert found.available and len(found.faces) == int(labels[name]["faces"])
    assert all(face.box and face.age_low is None and 0 < face.confidence <= 100 for face in found.faces)
    assert found.unchecked == ("ages", "graphic content")


def test_two_people_side_by_side_are_boxed_where_they_stand(seen):
    left, right = sorted(seen(vision_file("fr_two_people.jpg").read_bytes()).faces, key=lambda f: f.box.left)
    assert left.box.right < 0.5 < right.box.left
    assert all(0.1 < face.box.height < 0.5 for face in (left, right))


@pytest.mark.parametrize("name", ["dlib_dogs.jpg", "dlib_horses.jpg", "syn_blank_0.jpg"])
def test_no_face_in_animal_and_empty_scenes(detector, labels, name):
    assert labels[name]["faces"] == "0"
    assert detector.detect(vision_file(name).read_bytes()).faces == ()


def test_no_face_and_no_text_in_a_drawn_empty_scene(detector, drawn):
    found = detector.detect(drawn["gen_empty_0"].jpeg)
    assert found.faces == () and found.text == ()


@pytest.mark.parametrize("name", ["syn_plate_scene_1.jpg", "syn_doc_3.jpg", "syn_street_2.jpg"])
def test_plates_markings_and_street_names_are_read_in_the_labelled_set(detector, labels, name):
    found = detector.detect(vision_file(name).read_bytes())
    assert read(list(found.text), labels[name]["target_text"])


@pytest.mark.parametrize("name", ["gen_plate_0", "gen_address_1", "gen_marking_1", "gen_van_1", "gen_faces_plate_0"])
def test_drawn_plates_addresses_markings_and_numbers_are_read(seen, drawn, name):
    scene = drawn[name]
    found = seen(scene.jpeg)
    assert [target for target, _ in scene.targets if not read(list(found.text), target)] == []
    assert len(found.faces) == scene.faces
    assert found.lines and all(isinstance(line.box, Box) for line in found.lines)


@pytest.mark.parametrize("name", ["gen_plate_0", "gen_marking_1", "gen_van_1", "gen_address_1"])
def test_what_is_read_becomes_the_guidance_findings_pointing_into_the_picture(seen, drawn, name):
    scene = drawn[name]
    found = seen(scene.jpeg)
    report = evaluate(Facts(declared=dict(COMPLETE), title="Cannabis factory raid"), found)
    for rule in scene.rules:
        matching = [f for f in report.findings if f.rule == rule]
        assert matching, rule
        assert all(f.where and "of the picture)" in f.evidence for f in matching), rule


def test_faces_without_release_forms_are_a_finding_with_their_boxes(seen, drawn):
    found = seen(drawn["gen_faces_plate_0"].jpeg)
    report = evaluate(Facts(declared=dict(COMPLETE)), found)
    (faces,) = [f for f in report.findings if f.rule == "do-release-forms"]
    assert faces.where == tuple(face.box for face in found.faces) and "2 face(s)" in faces.evidence
    assert any(f.rule == "dont-children-without-permission" and f.severity == "info" for f in report.findings)


def test_an_unreadable_image_is_a_gap_for_the_approver(detector):
    found = detector.detect(b"not an image at all")
    assert not found.available and "approver must check" in found.note


def test_a_large_photo_is_analysed_on_a_bounded_copy(detector, monkeypatch):
    big = Image.open(vision_file("fr_two_people.jpg")).convert("RGB").resize((6000, 3522))
    out = io.BytesIO()
    big.save(out, "JPEG", quality=85)
    seen_sizes = []
    real = local_vision._at_most
    monkeypatch.setattr(local_vision, "_at_most", lambda picture, edge: seen_sizes.append(picture.size) or real(picture, edge))
    assert len(detector.detect(out.getvalue()).faces) == 2
    assert seen_sizes and max(max(size) for size in seen_sizes) <= max(local_vision.FACE_EDGE, local_vision.TEXT_EDGE)


def test_the_record_keeps_what_was_seen(seen, drawn):
    found = seen(drawn["gen_faces_plate_0"].jpeg)
    again = detections_from_record(json.loads(json.dumps(analysis_record(found))))
    assert again.text == found.text and len(again.faces) == len(found.faces)
    assert all(abs(a.box.left - b.box.left) < 1e-4 for a, b in zip(again.faces, found.faces))


class _LambdaInProcess:
    """A Lambda client whose invoke runs the analysis function's work in this process."""

    def __init__(self, detector: LocalVisionDetector, error: str = "") -> None:
        self.detector, self.error, self.requests = detector, error, []

    def invoke(self, FunctionName, InvocationType, Payload):
        self.requests.append((FunctionName, InvocationType, len(Payload)))
        if self.error:
            return {"FunctionError": self.error, "Payload": io.BytesIO(b'{"errorMessage": "out of memory"}')}
        return {"Payload": io.BytesIO(json.dumps(analyse_request(json.loads(Payload), self.detector)).encode())}


def test_the_analysis_function_sees_what_the_detector_sees(detector, drawn):
    client = _LambdaInProcess(detector)
    scene = drawn["gen_faces_plate_0"]
    remote = AnalysisFunctionDetector(client, "pressroom-analysis").detect(scene.jpeg)
    assert len(remote.faces) == scene.faces and all(face.box for face in remote.faces)
    assert [target for target, _ in scene.targets if not read(list(remote.text), target)] == []
    assert remote.lines and remote.unchecked == ("ages", "graphic content")
    ((name, kind, size),) = client.requests
    assert (name, kind) == ("pressroom-analysis", "RequestResponse") and size < 6 * 1024 * 1024


def test_a_failed_analysis_function_raises_so_the_message_is_retried(detector, drawn):
    with pytest.raises(RuntimeError, match="Unhandled"):
        AnalysisFunctionDetector(_LambdaInProcess(detector, "Unhandled"), "f").detect(drawn["gen_empty_0"].jpeg)


def test_the_analysis_function_refuses_a_request_without_an_image(detector):
    with pytest.raises(ValueError, match="base64"):
        analyse_request({"image": "***"}, detector)
    unreadable = analyse_request({"image": base64.b64encode(b"GIF89a-broken").decode()}, detector)
    assert unreadable == {"analysis": {"available": False, "note": unreadable["analysis"]["note"]}}


def test_the_set_is_where_the_tests_say():
    assert (VISION / "labels.tsv").is_file()
