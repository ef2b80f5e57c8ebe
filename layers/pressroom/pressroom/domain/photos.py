"""The photo record: its states, the transitions between them and its identity."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pressroom.domain.text import clean


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
    #: a person asked for the published photo to come down; the amend function is removing it
    TAKING_DOWN = "TAKING_DOWN"
    TAKEN_DOWN = "TAKEN_DOWN"


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
    State.PUBLISHED: frozenset({State.TAKING_DOWN}),
    State.TAKING_DOWN: frozenset({State.TAKEN_DOWN}),
    State.TAKEN_DOWN: frozenset(),
}

#: where the pipeline leaves a photo: no stage moves it on by itself (a published photo moves on
#: only when a person asks for it to be taken down)
FINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets) | {State.PUBLISHED}
#: where an upload batch counts a photo as done: a final state, or failed to publish (a person may
#: retry it, but the batch is not held for that)
SETTLED_STATES = FINAL_STATES | {State.PUBLISH_FAILED}
#: final states in which a photo never went public
NEVER_PUBLISHED = FINAL_STATES - {State.PUBLISHED, State.TAKEN_DOWN}


def photo_id(bucket: str, key: str, version: str | None) -> str:
    """A stable id for one version of one uploaded object."""
    digest = hashlib.sha256(f"{bucket}\x00{key}\x00{version or 'null'}".encode()).hexdigest()
    return digest[:24]


def album_of(key: str) -> str:
    """The album an upload belongs to: ``incoming/<album>/<file>`` → ``<album>`` (as clean text: a
    key may hold any character, control characters too)."""
    parts = key.split("/")
    album = clean(parts[1]).strip() if len(parts) >= 3 and parts[0] == "incoming" else ""
    return album or "Unsorted"


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
    #: what image analysis saw (faces and text lines with their boxes): guidance.detector.analysis_record
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
    #: the earlier photo whose scrubbed image is the same as this one's (same SHA-256), if any
    duplicate_of: str = ""
    #: an embargoed photo's publish-at, when it is held for it (UTC, ISO 8601)
    publish_at: str = ""
    #: when the uploader and the press office were told the photo is live (its take-down links)
    published_notified_at: str = ""
    #: the request to take it down (by, at, why, kind, mode, round) and, once done, done_at and how
    takedown: dict[str, Any] = field(default_factory=dict)
    #: when the uploader was told it was taken down
    takedown_notified_at: str = ""
    #: when the press office was told a take-down keeps failing (its ``round``)
    takedown_failure_told: int = 0
    #: a change of title, description or tags after publishing, and its review (see stages.update)
    correction: dict[str, Any] = field(default_factory=dict)
    #: each approval so far, oldest first: who, when, their answers and notes, the need it filled
    approvals: list[dict[str, Any]] = field(default_factory=list)
    #: declarations the upload carried that could not be used, each a line for a person
    declaration_problems: list[str] = field(default_factory=list)
    #: what the uploader can do about a quarantined photo, when "export it again" would not help
    advice: str = ""

    @property
    def title(self) -> str:
        return str(self.captions.get("title") or "")

    @property
    def description(self) -> str:
        return str(self.captions.get("description") or "")

    @property
    def tags(self) -> list[str]:
        return list(self.captions.get("tags") or [])
