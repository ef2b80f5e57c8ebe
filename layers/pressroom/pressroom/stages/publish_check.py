"""The publish check: after a decision, an approval whose publish message was lost is queued again,
and a rejection whose notice to the uploader failed is sent.

The approval API arms a one-time ``publish-check-<id>`` schedule before it stores a decision
(:func:`pressroom.stages.approval.decide`). When it fires, a photo still APPROVED with no publish
delivery holding it (no live ``flickr.lease_until``) is queued again through
:func:`pressroom.stages.publish.requeue`; publishing is exactly-once, so this is safe even if
the first message was sent after all. A REJECTED photo whose uploader was not told (``notified_at``
empty) is told now, once. Any other state means the photo moved on: nothing to do.
"""
from __future__ import annotations

from datetime import datetime

from pressroom import bootstrap
from pressroom.adapters import aws
from pressroom.domain import clock
from pressroom.domain.photos import State
from pressroom.settings import get_settings
from pressroom.stages.approval import REJECTED_OUTCOME
from pressroom.stages.notify import notify_once
from pressroom.stages.publish import requeue
from pressroom.stages.staleness import parse_time

ACTOR = "approval_timer"


def check(photo_id: str, *, now: datetime | None = None) -> bool:
    """Queue ``photo_id`` to publish if it is still APPROVED and not being published, or tell the
    uploader of a rejection they were not told of; True if either was done."""
    now = now or clock.now()
    store = bootstrap.store()
    photo = store.get(photo_id)
    if photo is not None and photo.state == State.REJECTED:
        return notify_once(store, bootstrap.mailer(), photo, REJECTED_OUTCOME, [str(photo.decision.get("why", ""))])
    if photo is None or photo.state != State.APPROVED:
        return False
    lease_until = parse_time(photo.flickr.get("lease_until"))
    if lease_until is not None and now < lease_until:
        return False  # a publish delivery holds it; SQS redelivers that message if it dies
    try:
        requeue(store, aws.client("sqs"), get_settings().publish_queue_url, photo_id, actor=ACTOR)
    except LookupError:
        return False  # published or failed meanwhile
    store.record(photo_id, actor=ACTOR, event="publish-requeued",
                 detail={"why": "still approved and not being published at the publish check",
                         "lease_until": photo.flickr.get("lease_until", "")})
    return True
