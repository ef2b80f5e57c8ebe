"""What ``pressroom status`` prints: photos by state, or one photo's record and audit trail.

Every line goes through :func:`pressroom.domain.text.shown`: text is cleaned as it enters, but a
record stored before that, or an object key (which may hold any character), must not reach the
operator's terminal raw, where an escape sequence could clear or recolour the screen."""
from __future__ import annotations

import json
from pathlib import PurePosixPath

from pressroom import bootstrap
from pressroom.domain.photos import Photo, State
from pressroom.domain.text import shown


def why(photo: Photo) -> str:
    """Why the photo is in its state, in a few words ("" when the state says it all)."""
    if photo.reason:
        return photo.reason
    decision = photo.decision or {}
    if photo.state == State.REJECTED and decision:
        return f"rejected by {decision.get('by')}: {decision.get('why', '')}"
    if photo.state == State.APPROVED and decision:
        return f"approved by {', '.join(decision.get('approved_by') or [decision.get('by')])}, waiting to be published"
    if photo.state == State.EXPIRED:
        return "no approver decided in time: the review links expired"
    if photo.state == State.NEEDS_APPROVAL and photo.approvals:
        approved = [str(a.get("by")) for a in photo.approvals]
        return f"approved by {', '.join(approved)}; waiting for a second approval, asked: " + ", ".join(
            a for a in photo.approvers if a not in approved)
    if photo.state == State.NEEDS_APPROVAL and photo.approvers:
        return f"waiting for {', '.join(photo.approvers)}"
    if photo.state in (State.TAKING_DOWN, State.TAKEN_DOWN) and photo.takedown:
        t = photo.takedown
        done = f"{t['how']} at {t.get('done_at', '')}; " if t.get("how") else ""
        return f"{done}asked by {t.get('by')} at {t.get('at')} ({t.get('kind')}): {t.get('why', '')}"
    if photo.state == State.PUBLISHED and (photo.correction or {}).get("phase") == "pending":
        return f"correction {photo.correction.get('id')} waiting for review"
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
                         + (f"  {where}" if where else "") + (f"  ({reason})" if reason else "")
                         + (f"  [duplicate of {photo.duplicate_of}]" if photo.duplicate_of else ""))
    if full:
        lines.append(f"(at most {limit} photos a state: pressroom status --limit N shows more)")
    return [shown(line) for line in lines]


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
    if photo.duplicate_of:
        earlier = store.get(photo.duplicate_of)
        lines.append(f"duplicate of {photo.duplicate_of} (the same scrubbed image"
                     + (f", {earlier.state.value}" if earlier else "") + ")"
                     + ("; approved to publish again" if photo.decision.get("publish_again") else ""))
    if photo.findings:
        lines.append("findings")
        lines += [f"  [{f['severity']}] {f['rule']}: {f['message']}" for f in photo.findings]
    if photo.decision:
        d = photo.decision
        lines.append(f"decision  {d.get('action')} by {d.get('by')} at {d.get('at')}: {d.get('why', '')}")
    if photo.state in (State.PUBLISHED, State.TAKING_DOWN, State.TAKEN_DOWN):  # before, ``flickr`` may hold a
        lines.append(f"published {photo.flickr.get('url', '')}")  # claim or an unconfirmed upload
    if photo.correction:
        c = photo.correction
        lines.append(f"correction {c.get('id')} {c.get('phase')}, asked by {c.get('by')} at {c.get('at')}")
    lines.append("audit trail")
    for event in store.audit(photo_id):
        detail = json.dumps(event.get("detail") or {}, sort_keys=True)
        lines.append(f"  {event['at']}  {event['actor']:<24} {event['event']}  {detail if detail != '{}' else ''}")
    return [shown(line) for line in lines]
