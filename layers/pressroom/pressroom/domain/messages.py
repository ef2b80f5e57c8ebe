"""The messages the queues carry: S3 event notifications, and the photo message of the approval and
publish queues (one model, used by sender and receiver)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import unquote_plus


@dataclass(frozen=True)
class CreatedObject:
    bucket: str
    key: str
    version: str | None
    size: int


def created_objects(body: str) -> list[CreatedObject]:
    """The objects an S3 notification says were created; [] for S3's configuration test event."""
    message = json.loads(body)
    if message.get("Event") == "s3:TestEvent":
        return []
    found = []
    for record in message.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        obj = record["s3"]["object"]
        found.append(CreatedObject(
            bucket=record["s3"]["bucket"]["name"],
            key=unquote_plus(obj["key"]),
            version=obj.get("versionId") or None,
            size=int(obj.get("size", 0)),
        ))
    return found


@dataclass(frozen=True)
class PhotoMessage:
    """``{"photo_id": "<id>"}``: a photo for the approval queue (to ask its approvers) or the
    publish queue (to publish it)."""

    photo_id: str

    def __post_init__(self) -> None:
        if not self.photo_id.isascii() or not self.photo_id.isalnum():
            raise ValueError("a photo message needs a photo_id of letters and digits")

    def body(self) -> str:
        return json.dumps({"photo_id": self.photo_id})

    @classmethod
    def parse(cls, body: str) -> PhotoMessage:
        """The message in an SQS body; ValueError for anything else."""
        try:
            message = json.loads(body)
        except ValueError as exc:
            raise ValueError("a photo message must be JSON") from exc
        photo_id = message.get("photo_id") if isinstance(message, dict) else None
        if not isinstance(photo_id, str):
            raise ValueError("a photo message needs a photo_id")
        return cls(photo_id)
