"""The scrub stage: an upload becomes a scrubbed copy in the clean bucket, or is quarantined."""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pressroom.adapters.mail import Mailer
from pressroom.adapters.store import PhotoStore, StaleTransition
from pressroom.domain.messages import CreatedObject
from pressroom.domain.photos import (
    Photo,
    State,
    album_of,
    photo_id,
)
from pressroom.guidance import declared_facts
from pressroom.imaging import RejectedImage, scrub_bytes
from pressroom.settings import Settings
from pressroom.stages.notify import notify_once
from pressroom_local.uploads import decode_metadata

ACTOR = "scrubber"
log = logging.getLogger(__name__)
QUARANTINED = "quarantined (it is not a safe, supported image)"


@dataclass(frozen=True)
class Intake:
    settings: Settings
    store: PhotoStore
    s3: Any
    mailer: Mailer

    def receive(self, upload: CreatedObject, *, attempt: int = 1) -> Photo:
        """Scrub one uploaded object version; safe to call again for the same upload.

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

    def _receive(self, upload: CreatedObject) -> Photo:
        head = self.s3.head_object(Bucket=upload.bucket, Key=upload.key,
                                   **({"VersionId": upload.version} if upload.version else {}))
        version = upload.version or head.get("VersionId")
        pid = photo_id(upload.bucket, upload.key, version)
        metadata = {k.lower(): decode_metadata(v) for k, v in head.get("Metadata", {}).items()}
        photo = record_upload(self.store, upload, version=version, metadata=metadata, size=head["ContentLength"])
        if photo is not None and photo.state == State.QUARANTINED:
            notify_once(self.store, self.mailer, photo, QUARANTINED, [photo.reason])  # if it failed before
        if photo is None or photo.state != State.RECEIVED:
            return photo  # a duplicate delivery: this upload has been dealt with
        size = int(head["ContentLength"])
        if size > self.settings.max_upload_bytes:
            return quarantine(self.store, self.mailer, photo,
                              f"file is {size} bytes; the limit is {self.settings.max_upload_bytes}")
        data = self.s3.get_object(Bucket=upload.bucket, Key=upload.key, VersionId=version)["Body"].read()
        try:
            result = scrub_bytes(data, max_pixels=self.settings.max_pixels)
        except RejectedImage as exc:
            return quarantine(self.store, self.mailer, photo, str(exc))
        clean_key = f"clean/{pid}{result.extension}"
        digest = hashlib.sha256(result.data).hexdigest()
        self.s3.put_object(Bucket=self.settings.clean_bucket, Key=clean_key, Body=result.data,
                           ContentType=result.content_type, Metadata={"photo-id": pid, "sha256": digest})
        captions = _captions(result.captions, metadata, upload.key)
        try:
            return self.store.transition(pid, State.RECEIVED, State.SCRUBBED, actor=ACTOR, changes={
                "clean_key": clean_key, "sha256": digest, "content_type": result.content_type,
                "width": result.width, "height": result.height, "captions": captions,
                "declared": declared_facts(metadata, result.captions), "removed": result.removed,
            }, detail={"removed": result.removed, "bytes": len(result.data)})
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


def quarantine(store: PhotoStore, mailer: Mailer, photo: Photo, reason: str, *, actor: str = ACTOR) -> Photo | None:
    """RECEIVED → QUARANTINED with ``reason``, and the uploader told once; if the photo has moved
    on already (a duplicate delivery), it is returned as it is."""
    try:
        moved = store.transition(photo.id, State.RECEIVED, State.QUARANTINED, actor=actor,
                                 changes={"reason": reason}, detail={"reason": reason})
    except StaleTransition:
        return store.get(photo.id)
    notify_once(store, mailer, moved, QUARANTINED, [reason])
    return moved


def _captions(read: dict[str, Any], metadata: dict[str, str], key: str) -> dict[str, Any]:
    """Title, description and tags: what the uploader declared wins over what the file says."""
    captions = dict(read)
    for field in ("title", "description", "credit", "copyright"):
        if metadata.get(field):
            captions[field] = metadata[field]
    if metadata.get("tags"):
        captions["tags"] = [t.strip() for t in metadata["tags"].split(",") if t.strip()]
    if not captions.get("title"):
        captions["title"] = PurePosixPath(key).stem.replace("_", " ").replace("-", " ").strip().capitalize()
    return captions
