"""The deployed adapter of the image-analysis port: Amazon Rekognition."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from pressroom.guidance.detector import CHECK, Detections, Face, Label, analysis_copy


class RekognitionDetector:
    """Faces with age ranges, moderation labels and text lines from Amazon Rekognition."""

    def __init__(self, client: Any, min_confidence: float = 60.0, min_text_confidence: float = 80.0) -> None:
        self._client = client
        self._min_confidence = min_confidence
        self._min_text_confidence = min_text_confidence

    def detect(self, image: bytes) -> Detections:
        try:
            payload = {"Bytes": analysis_copy(image)}
        except (OSError, ValueError):
            return Detections(available=False, note=f"Image analysis could not read the image: {CHECK}")
        try:
            faces = self._client.detect_faces(Image=payload, Attributes=["AGE_RANGE"])["FaceDetails"]
            labels = self._client.detect_moderation_labels(Image=payload, MinConfidence=self._min_confidence)["ModerationLabels"]
            text = self._client.detect_text(Image=payload)["TextDetections"]
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in {"InvalidImageFormatException", "ImageTooLargeException", "InvalidParameterException"}:
                raise
            return Detections(available=False, note=f"Image analysis refused the image ({code}): {CHECK}")
        return Detections(
            faces=tuple(
                Face(int(face["AgeRange"]["Low"]), int(face["AgeRange"]["High"]), float(face.get("Confidence", 0.0)))
                for face in faces
                if "AgeRange" in face and face.get("Confidence", 0.0) >= self._min_confidence
            ),
            labels=tuple(
                Label(label["Name"], label.get("ParentName", ""), float(label.get("Confidence", 0.0))) for label in labels
            ),
            text=tuple(
                line["DetectedText"]
                for line in text
                if line.get("Type") == "LINE" and line.get("Confidence", 0.0) >= self._min_text_confidence
            ),
        )
