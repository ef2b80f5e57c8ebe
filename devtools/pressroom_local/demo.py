"""``pressroom local demo``: sample photos through every stage, approved through the real review page."""
from __future__ import annotations

import email
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Collection
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from functools import partial
from pathlib import Path
from typing import TextIO

from PIL import Image

from pressroom import bootstrap
from pressroom.adapters import parameters
from pressroom.domain import clock
from pressroom.domain.photos import (
    FINAL_STATES,
    Photo,
    State,
    photo_id,
)
from pressroom_local import review_client
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack

TIMEOUT = 120.0
STALE_SCHEDULE = "stale-account"
_PRIVATE_TAGS = ("GPS", "Serial", "Owner", "Artist", "Thumbnail", "Preview", "XMP", "MakerNote", "Comment")


class DemoFailed(Exception):
    pass


def _wait(what: str, check: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out waiting for {what}")
        time.sleep(0.2)


def _state(pid: str) -> State | None:
    photo = bootstrap.store().get(pid)
    return photo.state if photo else None


def _state_in(pid: str, states: Collection[State | None]) -> bool:
    return _state(pid) in states


def _state_not_in(pid: str, states: Collection[State | None]) -> bool:
    return _state(pid) not in states


def _review_link_sent(stack: LocalStack, pid: str) -> bool:
    return pid in review_client.review_links(stack.outbox)


def leftover_metadata(path: Path) -> list[str]:
    """Private metadata still in a published file: by exiftool when installed, else by Pillow."""
    if shutil.which("exiftool"):
        out = subprocess.run(["exiftool", "-a", "-G1", "-s", "-ee", "-j", str(path)],
                             capture_output=True, text=True, check=True).stdout
        tags = json.loads(out)[0]
        return sorted(k for k in tags if any(p.lower() in k.lower() for p in _PRIVATE_TAGS))
    with Image.open(path) as image:
        exif = image.getexif()
        left = [f"EXIF tag {tag:#06x}" for tag in exif if tag != 0x0112]
        left += [f"EXIF IFD {ifd:#06x}" for ifd in (0x8825, 0x8769) if exif.get_ifd(ifd)]
        left += ["XMP"] if "xmp" in image.info or "XML:com.adobe.xmp" in image.info else []
        return left


def run(out: TextIO, home: Path = Path(".pressroom")) -> int:
    """Run the demo; 0 when every sample was published scrubbed, the reminder fired and each album's
    batch was announced (printed last)."""
    with LocalStack(home) as stack:
        assert stack.info is not None
        print(f"local stack: AWS endpoint {stack.info.endpoint}, review pages {stack.info.api}", file=out)
        s3 = stack.session().client("s3")
        ids: dict[str, str] = {}
        for sample in SAMPLES:
            key = f"incoming/{sample.album}/{sample.name}"
            put = s3.put_object(Bucket=stack.info.raw_bucket, Key=key, Body=render(sample),
                                ContentType="image/jpeg", Metadata=sample.metadata)
            ids[sample.name] = photo_id(stack.info.raw_bucket, key, put.get("VersionId"))
            print(f"uploaded  {key} (GPS, serial number, owner and XMP inside) → photo {ids[sample.name]}",
                  file=out)

        for name, pid in ids.items():
            _wait(f"{name} to be checked", partial(_state_not_in, pid, (None, State.RECEIVED, State.SCRUBBED)))
            photo = bootstrap.store().get(pid)
            if photo is None or photo.state != State.NEEDS_APPROVAL:
                raise DemoFailed(f"{name} is {_state(pid)}: {photo.reason if photo else 'not recorded'}")
            _wait(f"the approval email for {name}", partial(_review_link_sent, stack, pid))
            link = review_client.review_links(stack.outbox)[pid][0]
            page = review_client.decide(link, "approve")
            if page.status != 200:
                raise DemoFailed(f"approving {name} through {link.split('?')[0]} answered {page.status}")
            print(f"approved  {name} through the review page {link.split('?')[0]}", file=out)

        for name, pid in ids.items():
            _wait(f"{name} to be published", partial(_state_in, pid, FINAL_STATES))

        failures = 0
        print("\nphoto                 state      published at", file=out)
        for name, pid in ids.items():
            photo = bootstrap.store().get(pid)
            where = (photo.flickr or {}).get("url", "") if photo else ""
            print(f"{name:<21} {photo.state.value if photo else '?':<10} {where}", file=out)
            if photo is None or photo.state != State.PUBLISHED:
                failures += 1
                continue
            failures += _check_published(photo, stack, out)

        failures += _show_staleness_reminder(stack, out)
        print(f"\noutbox: {stack.outbox}\nalbum:  {stack.album / 'index.html'}", file=out)
        failures += _show_batch_announcements(stack, {sample.album for sample in SAMPLES}, out)
        return 1 if failures else 0


def _check_published(photo: Photo, stack: LocalStack, out: TextIO) -> int:
    files = [p for p in stack.album.rglob(f"*{photo.id}*") if p.suffix.lower() in (".jpg", ".jpeg", ".png", ".webp")]
    if not files:
        print(f"  no published file for {photo.id} in {stack.album}", file=out)
        return 1
    left = leftover_metadata(files[0])
    if left:
        print(f"  {files[0].name} still carries: {', '.join(left)}", file=out)
        return 1
    return 0


def _addressed_to_press_office(path: Path) -> bool:
    headers = path.read_text(errors="replace").split("\n\n", 1)[0]
    return any(address in headers for address in parameters.press_office())


def _message(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _is_staleness_reminder(path: Path) -> bool:
    subject = str(_message(path)["Subject"] or "")
    return _addressed_to_press_office(path) and "nothing published to Flickr" in subject


def batch_announcements(outbox: Path) -> list[EmailMessage]:
    """The "batch published" emails in the outbox, oldest first."""
    return [m for m in map(_message, sorted(outbox.glob("*.eml"))) if "batch published" in str(m["Subject"] or "")]


def _show_batch_announcements(stack: LocalStack, albums: set[str], out: TextIO) -> int:
    """Wait for one "batch published" email per album, and print each whole (its text part)."""
    try:
        _wait("the batch announcements", lambda: len(batch_announcements(stack.outbox)) >= len(albums), 60)
    except DemoFailed as exc:
        print(str(exc), file=out)
        return 1
    for message in batch_announcements(stack.outbox):
        print(f"\n=== batch announcement emailed to {message['To']}: {message['Subject']} ===", file=out)
        body = message.get_body(("plain",))
        print(body.get_content().rstrip() if body is not None else "(no text part)", file=out)
    return 0


def _show_staleness_reminder(stack: LocalStack, out: TextIO) -> int:
    """Move the clock past the stale-account reminder and wait for its email."""
    due = bootstrap.timers().due(STALE_SCHEDULE)
    if due is None:
        print("no stale-account reminder was armed after publishing", file=out)
        return 1
    before = len(list(stack.outbox.glob("*.eml")))
    clock.advance(max(due - clock.now(), timedelta(0)) + timedelta(minutes=1))
    try:
        _wait("the stale-account reminder", lambda: any(
            _is_staleness_reminder(p) for p in sorted(stack.outbox.glob("*.eml"))[before:]), 30)
    except DemoFailed as exc:
        print(str(exc), file=out)
        return 1
    print(f"stale-account reminder (due {due:%Y-%m-%d %H:%M} UTC) emailed to the press office", file=out)
    return 0
