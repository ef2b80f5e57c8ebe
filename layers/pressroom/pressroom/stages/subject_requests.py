"""Subject access and erasure requests (UK GDPR articles 15 and 17) for one person.

The person is named by what Pressroom holds about them: an uploader's or approver's email
address, or a commenter's Flickr user id or screen name. Subject access gathers every item of
the table that holds it, and where the originals they uploaded are. Erasure replaces it with a
pseudonym in every such item (photo records keep their state and revision: the state machine
does not notice), deletes the originals they uploaded once scrubbed (their metadata carries the
uploader's address and the camera's serial and location), notes the erasure on each photo's
audit trail, and records that it was done without recording whose it was.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from pressroom.adapters.store import PhotoStore
from pressroom.domain import clock
from pressroom.domain.photos import State

#: Rounds of re-reading items a concurrent write changed under the erasure.
_ROUNDS = 5


def _photo_id(item: dict[str, Any]) -> str | None:
    pk = str(item.get("PK", ""))
    return pk.removeprefix("PHOTO#") if pk.startswith("PHOTO#") else None


def _kind(item: dict[str, Any]) -> str:
    sk, pk = str(item.get("SK", "")), str(item.get("PK", ""))
    if pk.startswith("PHOTO#") and sk == "META":
        return "photos"
    if sk.startswith("EVENT#"):
        return "audit"
    if pk.startswith("COMMENT#"):
        return "comments"
    return "other"


def _uploaded_by(item: dict[str, Any], who: str) -> bool:
    return _kind(item) == "photos" and str(item.get("uploader", "")).strip().lower() == who.strip().lower()


def _versions(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    found = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=key):
        found += [v for v in page.get("Versions", []) + page.get("DeleteMarkers", []) if v["Key"] == key]
    return found


def subject_access(store: PhotoStore, s3: Any, who: str) -> dict[str, Any]:
    """Everything held about ``who``, ready to be written as JSON."""
    held: dict[str, Any] = {"subject": who, "generated_at": clock.iso(), "photos": [], "audit": [],
                            "comments": [], "other": [], "originals": []}
    for item in store.items_mentioning(who):
        held[_kind(item)].append(item)
        if _uploaded_by(item, who):
            bucket, key = item["original_bucket"], item["original_key"]
            for version in _versions(s3, bucket, key):
                if "Size" in version:
                    held["originals"].append({"photo_id": _photo_id(item), "bucket": bucket, "key": key,
                                              "version": version["VersionId"], "size": version["Size"],
                                              "last_modified": version["LastModified"].isoformat()})
    held["clean_copies"] = [{"photo_id": _photo_id(p), "key": p.get("clean_key", "")} for p in held["photos"]
                            if _uploaded_by(p, who) and p.get("clean_key")]
    held["blurred_copies"] = [{"photo_id": _photo_id(p), "key": key} for p in held["photos"] if _uploaded_by(p, who)
                              for key in _blurred_keys(p)]
    return held


def _blurred_keys(item: dict[str, Any]) -> list[str]:
    """The blurred copies an approval of the photo asked for (``domain.redaction``)."""
    records = [item.get("decision") or {}, *(item.get("approvals") or [])]
    return sorted({str(r["redaction"]["key"]) for r in records
                   if isinstance(r, dict) and isinstance(r.get("redaction"), dict) and r["redaction"].get("key")})


@dataclass
class Erasure:
    id: str
    pseudonym: str
    items: int = 0
    photos: list[str] = field(default_factory=list)
    originals_deleted: int = 0
    #: photos not yet scrubbed: their originals are still needed and expire with the raw bucket's lifecycle
    originals_kept: list[str] = field(default_factory=list)
    left: int = 0  # items still holding the address after every round (a concurrent writer)


def erase(store: PhotoStore, s3: Any, who: str, *, reason: str, actor: str) -> Erasure:
    """Pseudonymise ``who`` everywhere in the table and delete the originals they uploaded."""
    if not who.strip() or not reason.strip():
        raise ValueError("an erasure needs the address or id, and a reason")
    done = Erasure(id=uuid.uuid4().hex[:12], pseudonym="")
    done.pseudonym = f"erased-{done.id}"
    photos: set[str] = set()
    items = store.items_mentioning(who)
    # originals first: once the record no longer names the uploader, nothing would find them
    for item in items:
        if not _uploaded_by(item, who):
            continue
        if item.get("state") == State.RECEIVED.value:
            done.originals_kept.append(str(_photo_id(item)))
            continue
        for version in _versions(s3, item["original_bucket"], item["original_key"]):
            s3.delete_object(Bucket=item["original_bucket"], Key=item["original_key"], VersionId=version["VersionId"])
            done.originals_deleted += "Size" in version
    for _ in range(_ROUNDS):
        if not items:
            break
        for item in items:
            if store.pseudonymise(item, who, done.pseudonym):
                done.items += 1
                if pid := _photo_id(item):
                    photos.add(pid)
        items = store.items_mentioning(who)
    done.left = len(items)
    done.photos = sorted(photos)
    for pid in done.photos:
        store.record(pid, actor=actor, event="personal-data-erased", detail={"erasure": done.id, "reason": reason})
    store.record_erasure(done.id, at=clock.iso(), actor=actor, reason=reason,
                         counts={"items": done.items, "photos": len(done.photos),
                                 "originals_deleted": done.originals_deleted, "originals_kept": len(done.originals_kept),
                                 "left": done.left})
    return done
