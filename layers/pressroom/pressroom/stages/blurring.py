"""The blurred copy an approver may ask for: made from the scrubbed copy, shown, then stored.

The review page shows the copy the approver's choices make (a preview of the very bytes); the
approval that asks for it makes it again, checks it is the copy that was shown (the same SHA-256:
JPEG encoding is deterministic), stores it as ``redacted/<id>/<sha256>.jpg`` and records it. Photos larger
than the review page decodes (``preview.REVIEW_PIXELS``) are not offered: the approval API's
memory would not hold them.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pressroom.domain.photos import Photo
from pressroom.domain.redaction import Redaction, redacted_key
from pressroom.imaging.redact import blurrable, redacted, redaction_boxes
from pressroom.web import preview


@dataclass(frozen=True)
class Blurred:
    """A blurred copy: what it is, its bytes and the page's image of it."""

    redaction: Redaction
    data: bytes
    preview_url: str


def offered(photo: Photo) -> dict[str, int]:
    """What may be blurred in ``photo`` (choice → how many places), empty when nothing may."""
    return blurrable(photo.analysis, photo.findings)


def fits(photo: Photo) -> bool:
    """Whether the approval API can make the blurred copy of ``photo``."""
    return 0 < photo.width * photo.height <= preview.REVIEW_PIXELS


def blur(s3: Any, bucket: str, photo: Photo, choices: Sequence[str]) -> Blurred:
    """The blurred copy for ``choices`` (in the order of ``domain.redaction.CHOICES``);
    ``ValueError`` when the scrubbed copy cannot be read."""
    data = redacted(preview.fetch_clean(s3, bucket, photo),
                    redaction_boxes(photo.analysis, photo.findings, choices), preview.REVIEW_PIXELS)
    sha256 = hashlib.sha256(data).hexdigest()
    redaction = Redaction(tuple(choices), redacted_key(photo.id, sha256), sha256)
    shown = preview.thumbnail(data, preview.REVIEW_PIXELS, preview.REVIEW_EDGE)
    return Blurred(redaction, data, preview.data_url(shown))


def store(s3: Any, bucket: str, blurred: Blurred) -> None:
    """Put the blurred copy in the clean bucket (the scrubbed copy stays as it is)."""
    redaction = blurred.redaction
    s3.put_object(Bucket=bucket, Key=redaction.key, Body=blurred.data, ContentType="image/jpeg",
                  Metadata={"sha256": redaction.sha256, "blurred": ",".join(redaction.choices)})
