"""S3 event notifications as they arrive in an SQS message body."""
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
