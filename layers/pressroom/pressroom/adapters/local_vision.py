"""In-account image analysis: faces and readable text found on this machine, with no cloud service.

Every model comes inside an installed package and is loaded from there, never downloaded:

- faces: dlib's HOG frontal-face detector (its weights are compiled into ``dlib``); the picture is
  analysed at ``FACE_EDGE`` pixels a side and upsampled once, so faces from about 40 pixels high
  at that size are found (about 2.5% of the picture's longer side);
- text: PP-OCR (detection, orientation and recognition ONNX models shipped in the ``rapidocr``
  wheel) run by ONNX Runtime, on a copy at most ``TEXT_EDGE`` pixels a side.

It does not estimate ages nor judge graphic content: no model in the registries does either
honestly enough under a licence the force can use (``benchmarks/vision.py`` measures the one age
model tried), so ``Detections.unchecked`` names both and the approver is asked instead.
Measured figures (recall, time, memory) are in ``benchmarks/vision.py`` and its notes.
"""
from __future__ import annotations

import base64
import json
import logging
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pressroom.guidance.detector import (
    Box,
    Detections,
    Face,
    TextLine,
    analysis_image,
    analysis_record,
    bounded_jpeg,
    detections_from_record,
)

log = logging.getLogger(__name__)

FACE_EDGE = 1600
TEXT_EDGE = 1600
#: a synchronous Lambda request holds at most 6 MB: the copy sent, base64-encoded, stays under it
REQUEST_IMAGE_BYTES = 4_000_000
#: what this detector leaves to the approver
UNCHECKED = ("ages", "graphic content")
_CHECK = "the approver must check faces, children, graphic content and visible text"
#: the OCR models inside the rapidocr wheel: detection, 0/180 degree orientation, recognition
_OCR_MODELS = {
    "Det": "PP-OCRv6_det_small.onnx",
    "Cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "Rec": "PP-OCRv6_rec_small.onnx",
}


class ModelMissing(RuntimeError):
    """A model this detector needs is not inside its installed package."""


@dataclass(frozen=True)
class Settings:
    """Tuning measured in ``benchmarks/vision.py`` (see its notes for the figures behind each)."""

    face_edge: int = FACE_EDGE
    face_upsample: int = 1
    #: dlib's detection score threshold (0 is dlib's own; lower finds more and invents more)
    face_threshold: float = 0.0
    text_edge: int = TEXT_EDGE
    #: the text detector works on a copy whose longer side is at most this
    text_detect_side: int = 960
    #: lower than rapidocr's 0.5, so short lines (a house number) are kept as candidates
    text_box_threshold: float = 0.3
    min_text_score: float = 0.5
    #: a lone character is kept only when read this surely: clutter reads as "V", "X", "W" (seen at
    #: up to 0.94 in the labelled set) and "1"; a lone digit (a house number) needs less
    min_single_character_score: float = 0.95
    min_single_digit_score: float = 0.85
    #: ONNX Runtime threads; None lets it use every core it is given
    threads: int | None = None


def ocr_model_paths() -> dict[str, Path]:
    """The OCR model files inside the installed ``rapidocr`` package; ``ModelMissing`` if absent."""
    models = resources.files("rapidocr") / "models"
    paths = {stage: Path(str(models / name)) for stage, name in _OCR_MODELS.items()}
    missing = [str(path) for path in paths.values() if not path.is_file()]
    if missing:
        raise ModelMissing(f"OCR models not inside the installed rapidocr package: {missing}")
    return paths


@lru_cache(maxsize=4)
def _engines(settings: Settings) -> tuple[Any, Any]:
    """The face detector and the OCR engine, loaded once per process from installed packages."""
    import dlib  # type: ignore[import-untyped]
    from rapidocr import RapidOCR

    paths = ocr_model_paths()
    params: dict[str, Any] = {
        "Global.log_level": "error",
        "Global.use_cls": True,  # turned text (a page on its side, upside down) is read too
        "Global.text_score": settings.min_text_score,
        "Det.limit_type": "max",
        "Det.limit_side_len": settings.text_detect_side,
        "Det.box_thresh": settings.text_box_threshold,
    }
    params.update({f"{stage}.model_path": str(path) for stage, path in paths.items()})
    if settings.threads:
        params["EngineConfig.onnxruntime.intra_op_num_threads"] = settings.threads
        params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    return dlib.get_frontal_face_detector(), RapidOCR(params=params)


class LocalVisionDetector:
    """Faces (with where they are) and text lines (with where they are), seen on this machine."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._lock = threading.Lock()  # dlib's detector and an ONNX session: one picture at a time

    def load(self) -> None:
        """Load the models now (a Lambda's init phase) rather than on the first photo."""
        _engines(self.settings)

    def detect(self, image: bytes) -> Detections:
        settings = self.settings
        try:
            picture = analysis_image(image, max(settings.face_edge, settings.text_edge))
        except (OSError, ValueError, SyntaxError) as exc:
            log.info("image analysis could not read the image: %s", exc)
            return Detections(available=False, note=f"Image analysis could not read the image: {_CHECK}")
        faces, ocr = _engines(settings)
        with self._lock:
            found_faces = self._faces(faces, picture)
            lines = self._lines(ocr, picture)
        return Detections.seen(found_faces, lines, UNCHECKED)

    def _faces(self, detector: Any, picture: Any) -> tuple[Face, ...]:
        import numpy as np

        copy = _at_most(picture, self.settings.face_edge)
        grey = np.asarray(copy.convert("L"))
        rects, scores, _ = detector.run(grey, self.settings.face_upsample, self.settings.face_threshold)
        width, height = copy.size
        found = [
            Face(None, None, round(_confidence(score), 1),
                 Box.clipped(rect.left() / width, rect.top() / height, (rect.right() + 1) / width, (rect.bottom() + 1) / height))
            for rect, score in zip(rects, scores)
        ]
        return tuple(sorted(found, key=lambda face: (face.box.top, face.box.left) if face.box else (0, 0)))

    def _lines(self, ocr: Any, picture: Any) -> tuple[TextLine, ...]:
        import numpy as np

        copy = _at_most(picture, self.settings.text_edge)
        result = ocr(np.asarray(copy))
        if result.boxes is None or not result.txts:
            return ()
        width, height = copy.size
        lines = []
        for points, text, score in zip(result.boxes, result.txts, result.scores):
            text = " ".join(str(text).split())
            if not text or float(score) < self.settings.min_text_score:
                continue
            if len(text) == 1 and float(score) < (
                self.settings.min_single_digit_score if text.isdigit() else self.settings.min_single_character_score
            ):
                continue
            xs = [float(point[0]) for point in points]
            ys = [float(point[1]) for point in points]
            box = Box.clipped(min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height)
            lines.append(TextLine(text, box, round(float(score) * 100, 1)))
        return tuple(lines)


def _at_most(picture: Any, edge: int) -> Any:
    if max(picture.size) <= edge:
        return picture
    copy = picture.copy()
    copy.thumbnail((edge, edge))
    return copy


def _confidence(score: float) -> float:
    """dlib's HOG score (a margin, 0 at its threshold, about 3 for a clear frontal face) as 0..100."""
    return 100.0 * min(1.0, max(0.0, 0.5 + float(score) / 6.0))


class AnalysisFunctionDetector:
    """``LocalVisionDetector`` run in its own function (a container image: the models and their
    runtime are too big for a layer). The policy function sends a bounded JPEG copy in the request,
    so the analysis function needs no access to any bucket; the answer is an ``analysis_record``.
    A failed invocation raises, so the photo's message is retried (and blocked on the last try)."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self._client = lambda_client
        self._function = function_name

    def detect(self, image: bytes) -> Detections:
        try:
            copy = bounded_jpeg(analysis_image(image, max(FACE_EDGE, TEXT_EDGE)), REQUEST_IMAGE_BYTES)
        except (OSError, ValueError, SyntaxError):
            return Detections(available=False, note=f"Image analysis could not read the image: {_CHECK}")
        response = self._client.invoke(
            FunctionName=self._function,
            InvocationType="RequestResponse",
            Payload=json.dumps({"image": base64.b64encode(copy).decode("ascii")}).encode(),
        )
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise RuntimeError(f"the image-analysis function failed ({response['FunctionError']}): {body[:300]!r}")
        return detections_from_record(json.loads(body)["analysis"])


def analyse_request(event: dict[str, Any], detector: LocalVisionDetector) -> dict[str, Any]:
    """The analysis function's work: the request's image analysed, as an ``analysis_record``."""
    try:
        image = base64.b64decode(str(event["image"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise ValueError("the request must carry the image as base64 in 'image'") from exc
    return {"analysis": analysis_record(detector.detect(image))}
