"""The scrub stage: an upload becomes a scrubbed copy in the clean bucket, or is quarantined."""
from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain.messages import CreatedObject
from pressroom.domain.metadata import decode_metadata
from pressroom.domain.photos import (
    Photo,
    State,
    album_of,
    photo_id,
)
from pressroom.domain.text import clean, clean_fields
from pressroom.guidance import declared_facts
from pressroom.guidance.declared import normalise_key, unknown
from pressroom.imaging import RejectedImage, TooLarge, scrub_bytes
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once

ACTOR = "scrubber"
log = logging.getLogger(__name__)
QUARANTINED = "quarantined (it is not a safe, supported image)"


@dataclass(frozen=True)
class Intake:
    settings: Settings
    store: PhotoStore
    s3: Any
    mailer: Mailer

    def receive(self, upload: CreatedObject, *, attempt: int = 1) -> Photo | None:
        """Scrub one uploaded object version; safe to call again for the same upload. None when the
        upload's record vanished between being written and read back (nothing left to do).

        An unexpected failure is raised for SQS to retry, except on the queue's last attempt:
        then the photo is quarantined with the reason, so it never vanishes into the DLQ unseen.
        """
        try:
            return self._receive(upload)
        except Exception as exc:
            if attempt < self.settings.max_receive_count:
                raise
            pid = photo_id(upload.bucket, upload.key, upload.version) if upload.version else None
            photo = self.store.get(pid) if pid else None
            if photo is None or photo.state != State.RECEIVED:
                raise
            log.exception("scrubbing failed on the last attempt", extra={"photo_id": photo.id})
            return quarantine(self.store, self.mailer, photo, f"could not be processed after {attempt} attempts "
                              f"({type(exc).__name__}); the error is in the scrub function's log")

    def _receive(self, upload: CreatedObject) -> Photo | None:
        head = self.s3.head_object(Bucket=upload.bucket, Key=upload.key,
                                   **({"VersionId": upload.version} if upload.version else {}))
        version = upload.version or head.get("VersionId")
        pid = photo_id(upload.bucket, upload.key, version)
        metadata = clean_fields({k.lower(): decode_metadata(v) for k, v in head.get("Metadata", {}).items()})
        photo = record_upload(self.store, upload, version=version, metadata=metadata, size=head["ContentLength"])
        if photo is not None and photo.state == State.QUARANTINED:
            notify_once(self.store, self.mailer, photo, QUARANTINED, [photo.reason])  # if it failed before
        if photo is None or photo.state != State.RECEIVED:
            return photo  # a duplicate delivery: this upload has been dealt with
        size = int(head["ContentLength"])
        if size > self.settings.max_upload_bytes:
            return quarantine(self.store, self.mailer, photo,
                              f"file is {size} bytes; the limit is {self.settings.max_upload_bytes}",
                              advice=file_size_advice(size, self.settings.max_upload_bytes))
        data = self.s3.get_object(Bucket=upload.bucket, Key=upload.key, VersionId=version)["Body"].read()
        try:
            result = scrub_bytes(data, max_pixels=self.settings.max_pixels)
        except TooLarge as exc:
            return quarantine(self.store, self.mailer, photo, str(exc),
                              advice=resize_advice(exc.width, exc.height, exc.limit))
        except RejectedImage as exc:
            return quarantine(self.store, self.mailer, photo, str(exc))
        clean_key = f"clean/{pid}{result.extension}"
        digest = hashlib.sha256(result.data).hexdigest()
        self.s3.put_object(Bucket=self.settings.clean_bucket, Key=clean_key, Body=result.data,
                           ContentType=result.content_type, Metadata={"photo-id": pid, "sha256": digest})
        read = clean_fields(result.captions)  # the image's IPTC/XMP fields, as text from outside
        captions = _captions(read, metadata, upload.key)
        first = self.store.first_with_image(digest, pid)
        duplicate = {"duplicate_of": first} if first != pid else {}
        refused = unknown({normalise_key(key): value for key, value in metadata.items()})  # a finding, not dropped
        try:
            return self.store.transition(pid, State.RECEIVED, State.SCRUBBED, actor=ACTOR, changes={
                "clean_key": clean_key, "sha256": digest, "content_type": result.content_type,
                "width": result.width, "height": result.height, "captions": captions,
                "declared": declared_facts(metadata, read), "removed": result.removed, **duplicate,
                "declaration_problems": refused,
            }, detail={"removed": result.removed, "bytes": len(result.data), **duplicate,
                       "declarations_not_used": refused})
        except StaleTransition:
            return self.store.get(pid)


def record_upload(store: PhotoStore, upload: CreatedObject, *, version: str | None, metadata: dict[str, str],
                  size: int, actor: str = "", detail: dict[str, Any] | None = None) -> Photo | None:
    """Create the RECEIVED record of one uploaded object version, or read it if it exists already.

    ``metadata`` is what the uploader declared (S3 user metadata, ``uploader`` among it); the
    audit event records the key, ``size`` and any further ``detail``.
    """
    new = Photo(
        id=photo_id(upload.bucket, upload.key, version), state=State.RECEIVED, album=album_of(upload.key),
        original_bucket=upload.bucket, original_key=upload.key, original_version=version,
        uploader=metadata.get("uploader", ""), declared=metadata,
    )
    created = store.create(new, actor=actor or metadata.get("uploader") or "upload",
                           detail={"key": upload.key, "bytes": size, **(detail or {})})
    return new if created else store.get(new.id)  # create stamps the new record's revision


def quarantine(store: PhotoStore, mailer: Mailer, photo: Photo, reason: str, *, actor: str = ACTOR,
               advice: str = "") -> Photo | None:
    """RECEIVED → QUARANTINED with ``reason`` (and ``advice`` for the uploader, when the usual
    "export it again" would not help), and the uploader told once; if the photo has moved on already
    (a duplicate delivery), it is returned as it is."""
    try:
        moved = store.transition(photo.id, State.RECEIVED, State.QUARANTINED, actor=actor,
                                 changes={"reason": reason, "advice": advice}, detail={"reason": reason})
    except StaleTransition:
        return store.get(photo.id)
    notify_once(store, mailer, moved, QUARANTINED, [reason])
    return moved


def resize_advice(width: int, height: int, limit: int) -> str:
    """What to do with a photo of more pixels than ``limit``: the largest size of its shape that fits."""
    scale = math.sqrt(limit / (width * height))
    fit_w, fit_h = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    while fit_w * fit_h > limit:
        fit_w, fit_h = fit_w - 1, max(1, math.floor((fit_w - 1) * height / width))
    return (f"The photo is {width:,} x {height:,} pixels ({width * height / 1e6:.0f} megapixels); Pressroom takes "
            f"at most {limit / 1e6:g} megapixels. Resize it to {fit_w:,} x {fit_h:,} pixels or smaller (in any photo "
            "editor, or your phone's resize option) and upload that copy.")


def file_size_advice(size: int, limit: int) -> str:
    """What to do with a file larger than ``limit`` bytes."""
    return (f"The file is {size / 2**20:,.0f} MB; Pressroom takes files of at most {limit / 2**20:,.0f} MB. Save it "
            "smaller (a JPEG of the same photo is usually a small part of that) and upload that copy.")


def _captions(read: dict[str, Any], metadata: dict[str, str], key: str) -> dict[str, Any]:
    """Title, description and tags: what the uploader declared wins over what the file says."""
    captions = dict(read)
    for field in ("title", "description", "credit", "copyright"):
        if metadata.get(field):
            captions[field] = metadata[field]
    if metadata.get("tags"):
        captions["tags"] = [t.strip() for t in metadata["tags"].split(",") if t.strip()]
    if not captions.get("title"):
        captions["title"] = clean(PurePosixPath(key).stem).replace("_", " ").replace("-", " ").strip().capitalize()
    return captions
