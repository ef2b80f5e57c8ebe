"""The photo record: its states, the transitions between them and its identity."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    RECEIVED = "RECEIVED"
    SCRUBBED = "SCRUBBED"
    QUARANTINED = "QUARANTINED"
    BLOCKED = "BLOCKED"
    NEEDS_APPROVAL = "NEEDS_APPROVAL"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"
    PUBLISHED = "PUBLISHED"
    PUBLISH_FAILED = "PUBLISH_FAILED"


#: Every allowed transition. Anything else is refused by the store.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.SCRUBBED, State.QUARANTINED}),
    State.SCRUBBED: frozenset({State.BLOCKED, State.NEEDS_APPROVAL}),
    State.NEEDS_APPROVAL: frozenset({State.APPROVED, State.REJECTED, State.EXPIRED}),
    State.APPROVED: frozenset({State.PUBLISHED, State.PUBLISH_FAILED}),
    State.PUBLISH_FAILED: frozenset({State.APPROVED}),
    State.QUARANTINED: frozenset(),
    State.BLOCKED: frozenset(),
    State.REJECTED: frozenset(),
    State.EXPIRED: frozenset(),
    State.PUBLISHED: frozenset(),
}

FINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)


def photo_id(bucket: str, key: str, version: str | None) -> str:
    """A stable id for one version of one uploaded object."""
    digest = hashlib.sha256(f"{bucket}\x00{key}\x00{version or 'null'}".encode()).hexdigest()
    return digest[:24]


def album_of(key: str) -> str:
    """The album an upload belongs to: ``incoming/<album>/<file>`` → ``<album>``."""
    parts = key.split("/")
    if len(parts) >= 3 and parts[0] == "incoming" and parts[1]:
        return parts[1]
    return "Unsorted"


@dataclass
class Photo:
    """The ``META`` item of a photo, as the domain sees it."""

    id: str
    state: State
    album: str
    original_bucket: str
    original_key: str
    original_version: str | None
    uploader: str = ""
    created_at: str = ""
    updated_at: str = ""
    revision: int = 0
    clean_key: str = ""
    sha256: str = ""
    content_type: str = ""
    width: int = 0
    height: int = 0
    captions: dict[str, Any] = field(default_factory=dict)
    declared: dict[str, str] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    checklist: list[str] = field(default_factory=list)
    #: what image analysis saw (faces and text lines with their boxes): policy.detector.analysis_record
    analysis: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    approvers: list[str] = field(default_factory=list)
    #: approvers claimed but whose email is not yet known sent → when they were claimed
    asking: dict[str, str] = field(default_factory=dict)
    decision: dict[str, Any] = field(default_factory=dict)
    used_nonces: list[str] = field(default_factory=list)
    reminded_at: str = ""
    notified_at: str = ""
    #: when the press office was told that no approver could be asked about the photo
    office_told_at: str = ""
    flickr: dict[str, Any] = field(default_factory=dict)
    publish_attempts: int = 0

    @property
    def title(self) -> str:
        return str(self.captions.get("title") or "")

    @property
    def description(self) -> str:
        return str(self.captions.get("description") or "")

    @property
    def tags(self) -> list[str]:
        return list(self.captions.get("tags") or [])
