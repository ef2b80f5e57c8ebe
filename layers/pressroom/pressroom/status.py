"""What ``pressroom status`` prints: photos by state, or one photo's record and audit trail."""
from __future__ import annotations

import json

from pressroom import services
from pressroom.photos import State


def list_photos(limit: int = 20) -> list[str]:
    """One line per photo, grouped by state, newest first within each state."""
    lines: list[str] = []
    store = services.store()
    for state in State:
        photos = store.by_state(state, limit=limit)
        if not photos:
            continue
        lines.append(f"{state.value} ({len(photos)}{'+' if len(photos) == limit else ''})")
        for photo in photos:
            where = photo.flickr.get("url", "") if photo.state == State.PUBLISHED else ""
            lines.append(f"  {photo.updated_at}  {photo.id}  {photo.album}/{photo.title or photo.original_key}"
                         + (f"  {where}" if where else "") + (f"  ({photo.reason})" if photo.reason else ""))
    return lines


def describe_photo(photo_id: str) -> list[str]:
    """The photo's record and its audit trail, oldest event first; [] if there is no such photo."""
    store = services.store()
    photo = store.get(photo_id)
    if photo is None:
        return []
    lines = [
        f"photo     {photo.id}",
        f"state     {photo.state.value}" + (f" ({photo.reason})" if photo.reason else ""),
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
    if photo.state == State.PUBLISHED:  # before, ``flickr`` holds a publish attempt's claim
        lines.append(f"published {photo.flickr.get('url', '')}")
    lines.append("audit trail")
    for event in store.audit(photo_id):
        detail = json.dumps(event.get("detail") or {}, sort_keys=True)
        lines.append(f"  {event['at']}  {event['actor']:<24} {event['event']}  {detail if detail != '{}' else ''}")
    return lines
