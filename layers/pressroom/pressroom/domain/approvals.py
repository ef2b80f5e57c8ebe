"""The approval of a photo, as the domain sees it: the timers that belong to it and what its
outcomes are called."""
from __future__ import annotations

from urllib.parse import quote

#: the uploader is told a photo was this when nobody decided in time, or an approver rejected it
EXPIRED_OUTCOME = "not approved in time"
REJECTED_OUTCOME = "rejected"
#: the reason a waiting photo shows while nobody can be asked about it
NO_APPROVERS = "no approvers are configured: nobody has been asked to review it"


def reminder_schedule(photo_id: str) -> str:
    """The one-time schedule that reminds the approvers of a photo (48 hours on)."""
    return f"approval-reminder-{photo_id}"


def expiry_schedule(photo_id: str) -> str:
    """The one-time schedule that ends a photo's approval request."""
    return f"approval-expiry-{photo_id}"


def publish_check_schedule(photo_id: str) -> str:
    """The one-time schedule, armed before a decision is stored, that makes sure it was acted on."""
    return f"publish-check-{photo_id}"


def review_url(base_url: str, photo_id: str, token: str | None = None) -> str:
    """The review page of ``photo_id`` under ``base_url`` (with ``?t=token`` when given)."""
    url = f"{base_url.rstrip('/')}/review/{quote(photo_id, safe='')}"
    return f"{url}?t={token}" if token else url
