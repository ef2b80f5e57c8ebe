"""What ``pressroom status`` prints: photos by state, or one photo's record and audit trail."""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from pressroom import bootstrap
from pressroom.domain.photos import Photo, State


def why(photo: Photo) -> str:
    """Why the photo is in its state, in a few words ("" when the state says it all)."""
    if photo.reason:
        return photo.reason
    decision = photo.decision or {}
    if photo.state == State.REJECTED and decision:
        return f"rejected by {decision.get('by')}: {decision.get('why', '')}"
    if photo.state == State.APPROVED and decision:
        return f"approved by {decision.get('by')}, waiting to be published"
    if photo.state == State.EXPIRED:
        return "no approver decided in time: the review links expired"
    if photo.state == State.NEEDS_APPROVAL and photo.approvers:
        return f"waiting for {', '.join(photo.approvers)}"
    return ""


def list_photos(limit: int = 20) -> list[str]:
    """One line per photo, grouped by state, newest first within each state."""
    lines: list[str] = []
    store = bootstrap.store()
    full = False
    for state in State:
        photos = store.by_state(state, limit=limit)
        if not photos:
            continue
        full = full or len(photos) == limit
        lines.append(f"{state.value} ({len(photos)}{'+' if len(photos) == limit else ''})")
        for photo in photos:
            where = photo.flickr.get("url", "") if photo.state == State.PUBLISHED else ""
            name = photo.title or PurePosixPath(photo.original_key).name
            reason = why(photo)
            lines.append(f"  {photo.updated_at}  {photo.id}  {photo.album}/{name}"
                         + (f"  {where}" if where else "") + (f"  ({reason})" if reason else ""))
    if full:
        lines.append(f"(at most {limit} photos a state: pressroom status --limit N shows more)")
    return lines


def describe_photo(photo_id: str) -> list[str]:
    """The photo's record and its audit trail, oldest event first; [] if there is no such photo."""
    store = bootstrap.store()
    photo = store.get(photo_id)
    if photo is None:
        return []
    reason = why(photo)
    lines = [
        f"photo     {photo.id}",
        f"state     {photo.state.value}" + (f" ({reason})" if reason else ""),
        f"album     {photo.album}",
        f"title     {photo.title}",
        f"uploaded  s3://{photo.original_bucket}/{photo.original_key} by {photo.uploader or 'unknown'}",
    ]
    if photo.findings:
        lines.append("findings")
        lines += [f"  [{f['severity']}] {f['rule']}: {f['message']}" for f in photo.findings]
    if photo.decision:
        d = photo.decision
        lines.append(f"decision  {d.get('action')} by {d.get('by')} at {d.get('at')}: {d.get('why', '')}")
    if photo.state == State.PUBLISHED:  # before, ``flickr`` may hold a claim or an unconfirmed upload
        lines.append(f"published {photo.flickr.get('url', '')}")
    lines.append("audit trail")
    for event in store.audit(photo_id):
        detail = json.dumps(event.get("detail") or {}, sort_keys=True)
        lines.append(f"  {event['at']}  {event['actor']:<24} {event['event']}  {detail if detail != '{}' else ''}")
    return lines
