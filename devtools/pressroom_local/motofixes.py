"""Where moto's S3 differs from S3 in a way the pipeline can see, made to behave like S3.

* S3 puts the object's ``versionId`` in the event notifications of a versioning-enabled bucket;
  moto 5 leaves it out. The scrub stage would not notice (it reads the version back with HeadObject),
  but the dead-letter stage has only the event to go on (it may not read originals), so without the
  version it would name a photo other than the one the scrub stage recorded.
"""
from __future__ import annotations

from typing import Any


def apply() -> None:
    """Patch moto (once per process); a no-op where moto is not installed."""
    try:
        from moto.s3 import notifications
    except ImportError:  # deployed: there is no moto to patch
        return
    original = notifications._get_s3_event
    if getattr(original, "pressroom_versioned", False):
        return

    def s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        version = getattr(key, "version_id", None)
        if getattr(bucket, "is_versioned", False) and version and version != "null":
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = str(version)
        return event

    s3_event.pressroom_versioned = True  # type: ignore[attr-defined]
    notifications._get_s3_event = s3_event
