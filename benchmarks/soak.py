"""A fault soak: N photos through the whole pipeline on the local stack, with what goes wrong deployed.

Every upload goes through the local stack (``pressroom_local.stack.LocalStack``: moto on 127.0.0.1,
the handlers in this process, the review pages over HTTP), while:

* hostile files make up a share of the uploads (``--hostile``, 7%): the reproducers in
  ``shared/fuzz-found`` and generated ones (cut short, random bytes behind a JPEG header, empty, a
  PNG that declares far more pixels than the limit);
* every S3 event notification is delivered twice, and a share of the copies late (out of order);
* invocations are killed (``--kill``, 5% each way) before their handler runs, or after it has done
  everything (its batch is delivered again);
* Flickr fails a share of uploads (``--flickr-failures``): refused before the upload, or the answer
  lost after it; SES throttles a share of sends (``--ses-failures``);
* approvers decide over HTTP from the links in their email: a mail scanner opens every link first,
  some approvers double-click, two approvers race on some photos (one approves, one rejects), some
  decisions are replayed later, and some photos are left to expire when the clock moves on.

It prints photos per minute, the count in each state, and the promises: nothing lost, every photo
in exactly one final state (one final transition in its audit trail), nothing published twice,
no notice sent twice, no decision taken twice or by a GET or a replay, the dead-letter queues'
contents. It exits 1 if a promise was broken, 2 if the photos did not drain in ``--timeout``.
Only 127.0.0.1 is talked to; the run is bounded in photos and in time.

    python benchmarks/soak.py --photos 1000 [--seed 1] [--timeout 1800]
"""
from __future__ import annotations

import argparse
import contextlib
import email
import io
import json
import os
import random
import re
import struct
import sys
import tempfile
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from pressroom import bootstrap
from pressroom.domain.metadata import encode_metadata
from pressroom.domain.photos import FINAL_STATES, State, photo_id
from pressroom_local import review_client
from pressroom_local.resources import Names
from pressroom_local.stack import LocalStack

#: what a Flickr or SES failure and a killed runtime look like to the code that meets them
SES_THROTTLED = {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}
#: the clock moves this far on once every other photo is settled: past the review links' expiry
EXPIRY_JUMP = timedelta(days=8)
#: how long nothing may settle before the clock is moved on by ``NUDGE`` (see ``_drain``)
STALL_SECONDS = 30
NUDGE = timedelta(minutes=16)
MAX_NUDGES = 12
_REVIEW_LINK = re.compile(r"review link: (\S+/review/([0-9a-f]+)\?t=\S+)")
_TOKEN = re.compile(r"([?&]t=|token=)[^\s&\"'<>]+")
_MAIL_TO = re.compile(r"mail\s+\S+ to ([^:]+):")
#: the approver groups' members (a photo the rules route to a group needs one of them to approve too)
GROUP_MEMBERS = frozenset(member for _, members in Names().groups for member in members)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
METADATA = {"category": "neighbourhood-initiative", "people": "none", "children": "no",
            "credit": "West Midlands Police"}


def default_hostile_dir() -> Path:
    """``$PRESSROOM_FUZZ_FOUND``, else ``shared/fuzz-found`` beside the checkout (as the tests read it)."""
    return Path(os.environ.get("PRESSROOM_FUZZ_FOUND") or Path(__file__).resolve().parents[2] / "shared" / "fuzz-found")


class Killed(RuntimeError):
    """The runtime was stopped (out of memory or time): the invocation fails as a whole."""


# -- the uploads ------------------------------------------------------------------------------------

@dataclass
class Upload:
    index: int
    key: str
    body: bytes
    metadata: dict[str, str]
    #: what makes it hostile ("" for a photo)
    hostile: str = ""
    #: what its approvers do: approve, reject, race (one approves, one rejects at once) or leave (it expires)
    plan: str = "approve"
    double_click: bool = False
    replay: bool = False
    id: str = ""


def photo(index: int, rng: random.Random) -> bytes:
    """A small JPEG unlike every other index's (no two uploads are duplicates), with GPS inside."""
    top = tuple(rng.randrange(256) for _ in range(3))
    image = Image.new("RGB", (320, 240), top)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for n in range(6):
        x, y = rng.randrange(300), rng.randrange(220)
        draw.rectangle((x, y, x + 20 + n * 7, y + 12 + n * 5), fill=tuple(rng.randrange(256) for _ in range(3)))
    draw.point([(index % 320, (index // 320) % 240)], fill=(index % 251, 7, 7))
    exif = Image.Exif()
    exif[0x010F] = "PressCam"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 28.0, 46.5), 3: "W", 4: (1.0, 54.0, 9.4)})
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def _png_bomb(side: int = 20_000) -> bytes:
    """A 1-bit PNG of ``side`` x ``side`` zero pixels: a few kilobytes declaring far more than the limit."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" * (1 + side // 8)
    squeeze = zlib.compressobj(9)
    data = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0))
            + chunk(b"IDAT", data) + chunk(b"IEND", b""))


def hostile_files(directory: Path, rng: random.Random) -> list[tuple[str, bytes]]:
    """(what it is, its bytes): every reproducer in ``directory`` and generated bad files."""
    found = [(f"fuzz-found {p.name}", p.read_bytes()) for p in sorted(directory.glob("*"))
             if p.is_file() and p.suffix.lower() not in (".md", ".py")]
    if not found:
        raise FileNotFoundError(f"no hostile files at {directory}: put shared/ beside the checkout or pass --hostile-dir")
    jpeg = photo(0, rng)
    made = found + [
        ("cut short", jpeg[: len(jpeg) // 2]),
        ("random bytes behind a JPEG header", b"\xff\xd8\xff\xe0" + rng.randbytes(3000)),
        ("empty", b""),
        ("pixel bomb", _png_bomb()),
    ]
    rng.shuffle(made)
    return made


def uploads(count: int, *, seed: int, hostile_share: float, hostile_dir: Path) -> list[Upload]:
    """``count`` uploads: a ``hostile_share`` of them hostile files, the rest photos with a plan each."""
    rng = random.Random(seed)
    bad = hostile_files(hostile_dir, rng)
    n_bad = max(1, round(count * hostile_share)) if count >= 10 else 0
    bad_at = set(rng.sample(range(count), n_bad))
    made: list[Upload] = []
    for index in range(count):
        title = f"Soak photo {index}"
        if index % 9 == 4:  # control characters and a bidirectional override, as a careless form sends them
            title = f"Soak\x1b[2J photo\x07 {index}\u202e"
        metadata = {**METADATA, "uploader": f"pcso.{index % 5}@press-office.example",
                    "title": encode_metadata(title)}
        if index in bad_at:
            what, body = bad[len([u for u in made if u.hostile]) % len(bad)]
            suffix = Path(what).suffix if what.startswith("fuzz-found") else ".jpg"
            made.append(Upload(index, f"incoming/soak-{index % 4}/hostile-{index}{suffix}", body, metadata, what))
            continue
        roll = rng.random()
        plan = "leave" if roll < 0.04 else "race" if roll < 0.12 else "reject" if roll < 0.22 else "approve"
        made.append(Upload(index, f"incoming/soak-{index % 4}/photo-{index}.jpg", photo(index, rng), metadata,
                           plan=plan, double_click=plan == "approve" and rng.random() < 0.15,
                           replay=plan in ("approve", "reject") and rng.random() < 0.1))
    return made


# -- the faults --------------------------------------------------------------------------------------

@dataclass
class Faults:
    """Which faults are made, how often, and how many were."""

    seed: int = 1
    kill: float = 0.05
    flickr: float = 0.1
    ses: float = 0.05
    late: float = 0.3
    late_seconds: int = 6
    made: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    def chance(self, share: float, what: str) -> bool:
        with self._lock:
            hit = self._rng.random() < share
            if hit:
                self.made[what] += 1
            return hit

    def delay(self) -> int:
        with self._lock:
            return self._rng.randint(1, self.late_seconds)

    def wrap(self, name: str, handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
        """``handler``, killed a share of times before it runs and a share after it has done its work."""
        def killable(event: dict, context: Any) -> Any:
            if self.chance(self.kill, f"{name} killed before"):
                raise Killed(f"{name}: runtime killed before the handler ran")
            reply = handler(event, context)
            if self.chance(self.kill, f"{name} killed after"):
                raise Killed(f"{name}: runtime killed after the handler's work")
            return reply

        return killable

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """S3 events twice (some late), Flickr and SES failing, for as long as the block runs."""
        from botocore.exceptions import ClientError
        from moto.s3 import notifications
        from moto.sqs.models import sqs_backends

        from pressroom.adapters.local_album import LocalAlbum
        from pressroom.adapters.mail import SesMailer
        from pressroom.adapters.publisher import PublisherUnavailable

        send_sqs, publish, send_mail = notifications._send_sqs_message, LocalAlbum.publish, SesMailer.send

        def twice(account_id: str, event_body: Any, queue_name: str, region_name: str) -> None:
            backend = sqs_backends[account_id][region_name]
            for copy in ("first", "second"):
                late = self.delay() if self.chance(self.late, f"S3 event delivered late ({copy} copy)") else None
                backend.send_message(queue_name=queue_name, message_body=json.dumps(event_body), delay_seconds=late)
            self.made["S3 event delivered twice"] += 1

        def flaky_publish(album: Any, *args: Any, **kwargs: Any) -> Any:
            if self.chance(self.flickr / 2, "Flickr upload refused"):
                raise PublisherUnavailable("Flickr answered 503 Service Unavailable")
            published = publish(album, *args, **kwargs)
            if self.chance(self.flickr / 2, "Flickr answer lost after the upload"):
                raise PublisherUnavailable("Flickr's answer did not arrive (read timed out)")
            return published

        def throttled(mailer: Any, message: Any) -> str:
            if self.chance(self.ses, "SES send throttled"):
                raise ClientError(SES_THROTTLED, "SendRawEmail")  # type: ignore[arg-type]
            return send_mail(mailer, message)

        notifications._send_sqs_message = twice
        LocalAlbum.publish = flaky_publish  # type: ignore[method-assign]
        SesMailer.send = throttled  # type: ignore[method-assign]
        try:
            yield
        finally:
            notifications._send_sqs_message = send_sqs
            LocalAlbum.publish = publish  # type: ignore[method-assign]
            SesMailer.send = send_mail  # type: ignore[method-assign]


# -- the approvers ------------------------------------------------------------------------------------

@dataclass
class Approvers:
    """Act on each photo's review links as they arrive in the outbox, on a few threads."""

    plans: dict[str, Upload]
    broken: list[str]
    threads: int = 4
    seen: Counter[str] = field(default_factory=Counter)
    replays: list[tuple[str, review_client.Submission]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._links: dict[str, list[str]] = {}
        self._acted: set[str] = set()
        self._seconded: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="approver")
        self._pending = 0

    def announce(self, line: str) -> None:
        """Told of each email the outbox wrote (its review links among the lines)."""
        to = match.group(1).strip() if (match := _MAIL_TO.match(line)) else ""
        for link, pid in _REVIEW_LINK.findall(line):
            if to in GROUP_MEMBERS:  # a second approval the rules ask of a group, after the first
                with self._lock:
                    if pid not in self.plans or pid in self._seconded:
                        continue
                    self._seconded.add(pid)
                    self._pending += 1
                self._pool.submit(self._second, pid, link)
                continue
            with self._lock:
                self._links.setdefault(pid, []).append(link)
            self.act_on(pid)

    def act_on(self, pid: str) -> None:
        """Decide on ``pid`` once both its plan and a review link are known (once only)."""
        with self._lock:
            if pid in self._acted or pid not in self.plans or pid not in self._links:
                return
            self._acted.add(pid)
            self._pending += 1
        self._pool.submit(self._act, pid)

    @property
    def busy(self) -> bool:
        with self._lock:
            return self._pending > 0

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _act(self, pid: str) -> None:
        try:
            self._decide(pid, self.plans[pid])
        except Exception as exc:  # noqa: BLE001 - a failed approver is a finding, not the end of the soak
            self.broken.append(f"approver on {pid}: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._pending -= 1

    def _second(self, pid: str, link: str) -> None:
        """The group member approves, from their own email (after their mail scanner opened it)."""
        try:
            page = _with_retries(lambda: review_client.fetch(link))
            if page.status == 200:
                sent = _with_retries(review_client.submission(page, link, "approve").send)
                self.seen[f"second approval POST {sent.status}"] += 1
        except Exception as exc:  # noqa: BLE001 - a failed approver is a finding, not the end of the soak
            self.broken.append(f"second approver on {pid}: {type(exc).__name__}: {exc}")
        finally:
            with self._lock:
                self._pending -= 1

    def _decide(self, pid: str, upload: Upload) -> None:
        if upload.plan == "race":
            time.sleep(0.5)  # the second approver's email is usually a moment behind the first's
        with self._lock:
            links = list(self._links[pid])
        state = _state(pid)
        page = _with_retries(lambda: review_client.fetch(links[0]))  # the mail scanner's GET
        self.seen[f"scanner GET {page.status}"] += 1
        if _state(pid) != state:
            self.broken.append(f"{pid}: a GET of its review link moved it from {state} to {_state(pid)}")
        if upload.plan == "leave" or page.status != 200:
            return
        if upload.plan == "race":
            other = _with_retries(lambda: review_client.fetch(links[-1]))
            if other.status != 200:
                return
            subs = [review_client.submission(page, links[0], "approve"),
                    review_client.submission(other, links[-1], "reject", "Soak: the racing approver rejects")]
            self._at_once(pid, [("approve", subs[0]), ("reject", subs[1])])
            return
        action = "approve" if upload.plan == "approve" else "reject"
        sub = review_client.submission(page, links[0], action, "Soak: rejected" if action == "reject" else "")
        self._at_once(pid, [(action, sub)] * (2 if upload.double_click else 1))
        if upload.replay:
            with self._lock:
                self.replays.append((pid, sub))

    def _at_once(self, pid: str, submissions: list[tuple[str, review_client.Submission]]) -> None:
        """POST each at the same moment; at most one may be told its decision counted."""
        start = threading.Barrier(len(submissions))
        statuses: dict[int, int] = {}

        def post(n: int, sub: review_client.Submission) -> None:
            start.wait()
            statuses[n] = _with_retries(sub.send).status

        workers = [threading.Thread(target=post, args=(n, sub)) for n, (_, sub) in enumerate(submissions)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        for status in statuses.values():
            self.seen[f"{'race' if len({a for a, _ in submissions}) > 1 else 'decision'} POST {status}"] += 1
        winners = [submissions[n][0] for n, status in statuses.items() if status == 200]
        if len(winners) > 1:
            self.broken.append(f"{pid}: {len(winners)} POSTs were each told they decided ({', '.join(winners)})")
        if len(submissions) > 1 and not set(statuses.values()) <= {200, 409}:
            self.broken.append(f"{pid}: POSTs at once answered {sorted(statuses.values())}")


def _with_retries(call: Callable[[], review_client.Page], attempts: int = 6) -> review_client.Page:
    """An approver trying again after an error page (a killed invocation answers 500)."""
    for _ in range(attempts - 1):
        page = call()
        if page.status < 500:
            return page
        time.sleep(0.5)
    return call()


def _state(pid: str) -> State | None:
    found = bootstrap.store().get(pid)
    return found.state if found else None


# -- the run ------------------------------------------------------------------------------------------

@dataclass
class Report:
    photos: int
    seconds: float
    states: Counter[str]
    lost: list[str]
    unsettled: list[str]
    published_twice: list[str]
    notices_twice: list[str]
    dead_letters: dict[str, list[str]]
    broken: list[str]
    faults: Counter[str]
    approvals: Counter[str]

    @property
    def per_minute(self) -> float:
        return self.photos / (self.seconds / 60) if self.seconds else 0.0

    def print(self, out: Any = sys.stdout) -> None:
        print(f"\n{self.photos} photos settled in {self.seconds:.0f} s: {self.per_minute:.1f} photos per minute",
              file=out)
        print("states:      " + ", ".join(f"{s} {n}" for s, n in sorted(self.states.items())), file=out)
        print(f"lost:        {len(self.lost)}   not settled: {len(self.unsettled)}", file=out)
        print(f"published twice: {len(self.published_twice)}   notices sent twice: {len(self.notices_twice)}",
              file=out)
        for queue, bodies in self.dead_letters.items():
            print(f"dead letters in {queue}: {len(bodies)}" + "".join(f"\n    {b[:160]}" for b in bodies[:5]),
                  file=out)
        print("faults made: " + ", ".join(f"{k} {n}" for k, n in sorted(self.faults.items())), file=out)
        print("approvers:   " + ", ".join(f"{k} {n}" for k, n in sorted(self.approvals.items())), file=out)
        problems = self.problems()
        print(f"broken promises: {len(problems)}" + "".join(f"\n  - {p}" for p in problems[:40]), file=out)

    def problems(self) -> list[str]:
        return ([f"lost: {pid}" for pid in self.lost] + [f"not settled: {p}" for p in self.unsettled]
                + [f"published twice: {p}" for p in self.published_twice]
                + [f"notice sent twice: {n}" for n in self.notices_twice] + self.broken
                + [f"left in {q}: {len(b)}" for q, b in self.dead_letters.items() if b and q in UNHANDLED_QUEUES])


#: dead-letter queues nothing consumes: a message left there is work the pipeline gave up on
UNHANDLED_QUEUES = ("pressroom-unhandled-dlq", "pressroom-photo-events-dlq", "pressroom-approval-dlq",
                    "pressroom-amend-dlq")


def run(count: int, *, home: Path, seed: int = 1, hostile_share: float = 0.07, hostile_dir: Path | None = None,
        timeout: float = 1800, faults: Faults | None = None, progress: Callable[[str], None] | None = None) -> Report:
    """Upload ``count`` photos to a new local stack under ``home`` with the faults, approve them over
    HTTP as their emails come, let the left ones expire, and check every promise."""
    say = progress or (lambda text: None)
    faults = faults or Faults(seed=seed)
    planned = uploads(count, seed=seed, hostile_share=hostile_share, hostile_dir=hostile_dir or default_hostile_dir())
    broken: list[str] = []
    approvers = Approvers({}, broken)
    stack = LocalStack(home, announce=approvers.announce, wrap=faults.wrap)
    with stack, faults.installed():
        assert stack.info is not None
        s3 = stack.session().client("s3")
        started = time.monotonic()
        deadline = started + timeout

        def put(upload: Upload) -> None:
            reply = s3.put_object(Bucket=stack.info.raw_bucket, Key=upload.key, Body=upload.body,
                                  Metadata=upload.metadata)
            upload.id = photo_id(stack.info.raw_bucket, upload.key, reply.get("VersionId"))
            approvers.plans[upload.id] = upload
            approvers.act_on(upload.id)

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(put, planned))
        say(f"uploaded {count} in {time.monotonic() - started:.0f} s")
        waiting = [u.id for u in planned if u.plan != "leave"]
        _drain(waiting, deadline, say, lambda: approvers.busy)
        while approvers.busy and time.monotonic() < deadline:
            time.sleep(0.5)
        _drain(waiting, deadline, say, lambda: approvers.busy)
        _replay(approvers, broken)
        from pressroom.domain import clock

        clock.advance(EXPIRY_JUMP)
        say(f"clock moved on {EXPIRY_JUMP.days} days: the photos nobody decided on expire")
        _drain([u.id for u in planned], deadline, say)
        seconds = time.monotonic() - started
        _quiet(stack, deadline)
        approvers.stop()
        return _check(stack, planned, seconds, broken, faults, approvers)


def _drain(pids: list[str], deadline: float, say: Callable[[str], None],
           busy: Callable[[], bool] = lambda: False) -> None:
    """Wait until every one of ``pids`` is in a final state (or the deadline), oldest first.

    Some work waits on a timer by design (an approval whose follow-up email failed is finished by
    its publish check, 15 minutes on): when nothing has settled for ``STALL_SECONDS`` and no
    approver is busy, the clock moves on ``NUDGE`` (at most ``MAX_NUDGES`` times, far short of the
    reminders' 48 hours), as time would pass."""
    from pressroom.domain import clock

    left = list(pids)
    shown = progressed = time.monotonic()
    nudges = 0
    while left and time.monotonic() < deadline:
        before = len(left)
        while left and _state(left[0]) in FINAL_STATES:
            left.pop(0)
        if len(left) < before:
            progressed = time.monotonic()
        if time.monotonic() - shown > 60:
            left = [pid for pid in left if _state(pid) not in FINAL_STATES]
            say(f"{len(left)} photos not yet settled")
            shown = time.monotonic()
        if left and time.monotonic() - progressed > STALL_SECONDS and not busy() and nudges < MAX_NUDGES:
            clock.advance(NUDGE)
            nudges += 1
            progressed = time.monotonic()
            say(f"nothing settled for {STALL_SECONDS} s: the clock moves on {NUDGE.seconds // 60} minutes "
                "(timers such as a publish check come due)")
        if left:
            time.sleep(0.5)


def _quiet(stack: LocalStack, deadline: float) -> None:
    """Wait until no queue holds a message (visible, in flight or delayed) twice running."""
    sqs = stack.session().client("sqs")
    urls = list(stack.queue_urls.values())
    names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
             "ApproximateNumberOfMessagesDelayed")
    calm = 0
    while calm < 2 and time.monotonic() < deadline:
        busy = sum(int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"].get(n, 0))
                   for url in urls for n in names)
        calm = calm + 1 if busy == 0 else 0
        time.sleep(1)


def _replay(approvers: Approvers, broken: list[str]) -> None:
    """POST some decisions again once decided: each must be refused and change nothing."""
    for pid, sub in approvers.replays:
        before = bootstrap.store().get(pid)
        page = _with_retries(sub.send)
        after = bootstrap.store().get(pid)
        approvers.seen[f"replay POST {page.status}"] += 1
        if page.status < 400 or (before and after and (before.state, before.revision) != (after.state, after.revision)):
            broken.append(f"{pid}: a replayed decision answered {page.status} and moved it "
                          f"{before.state if before else None}→{after.state if after else None}")


def _check(stack: LocalStack, planned: list[Upload], seconds: float, broken: list[str], faults: Faults,
           approvers: Approvers) -> Report:
    store = bootstrap.store()
    states: Counter[str] = Counter()
    lost, unsettled = [], []
    for upload in planned:
        found = store.get(upload.id)
        if found is None:
            lost.append(f"{upload.id} ({upload.key}{', ' + upload.hostile if upload.hostile else ''})")
            continue
        states[found.state.value] += 1
        if found.state not in FINAL_STATES:
            unsettled.append(f"{upload.id} {found.state.value} ({upload.key}): {found.reason}")
            continue
        finals = [e for e in store.audit(upload.id) if e.get("to") in FINAL_STATES and e.get("from") != e.get("to")]
        if len(finals) != 1:
            broken.append(f"{upload.id}: {len(finals)} final transitions in its audit trail "
                          f"({', '.join(str(e.get('from')) + '→' + str(e.get('to')) for e in finals)})")
        expected = {"approve": {State.PUBLISHED}, "reject": {State.REJECTED},
                    "race": {State.PUBLISHED, State.REJECTED}, "leave": {State.EXPIRED}}[upload.plan]
        if not upload.hostile and found.state not in expected | {State.BLOCKED}:
            broken.append(f"{upload.id}: meant to be {upload.plan}d, ended {found.state.value}: {found.reason}")
        if upload.hostile and found.state == State.PUBLISHED and upload.hostile in ("empty", "pixel bomb", "cut short"):
            broken.append(f"{upload.id}: the hostile file ({upload.hostile}) was published")
    return Report(len(planned), seconds, states, lost, unsettled, _published_twice(stack, planned),
                  _notices_twice(stack.outbox), _dead_letters(stack), broken, faults.made, approvers.seen)


def _published_twice(stack: LocalStack, planned: list[Upload]) -> list[str]:
    """Photos with more than one copy in the album, or a copy of a photo not PUBLISHED."""
    copies = Counter(json.loads(p.read_text()).get("machine_tag", "") for p in (stack.album / "photos").glob("*.json"))
    store = bootstrap.store()
    found = []
    for upload in planned:
        mine = sum(n for tag, n in copies.items() if upload.id in tag)
        state = _state(upload.id)
        if mine > 1 or (mine and state != State.PUBLISHED) or (not mine and state == State.PUBLISHED):
            photo_now = store.get(upload.id)
            found.append(f"{upload.id}: {mine} copies in the album, {state} "
                         f"({photo_now.flickr if photo_now else ''})")
    return found


def _notices_twice(outbox: Path) -> list[str]:
    """Emails sent more than once: the same subject and text to the same people (a signed link's
    token aside: a request sent again carries a new one). Two batches of one photo each share a
    subject, not their text."""
    sent: Counter[tuple[str, str, str]] = Counter()
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        subject = str(message["Subject"] or "")
        if _CONTROL.search(subject):
            sent[("control characters in the subject", subject, path.name)] += 2
        body = message.get_body(("plain",))
        text = _TOKEN.sub("", body.get_content() if body is not None else "")  # type: ignore[attr-defined]
        sent[(str(message["To"] or ""), subject, text)] += 1
    return [f"{n}x to {to}: {subject}" for (to, subject, _), n in sorted(sent.items()) if n > 1]


def _dead_letters(stack: LocalStack) -> dict[str, list[str]]:
    """What each dead-letter queue holds when the run ends (read without taking it away)."""
    sqs = stack.session().client("sqs")
    held: dict[str, list[str]] = {}
    for url in stack.dlq_urls.values():
        bodies: list[str] = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60).get("Messages", [])
            if not got:
                break
            bodies += [m["Body"] for m in got]
        held[url.rsplit("/", 1)[-1]] = bodies
    return held


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hostile", type=float, default=0.07, help="share of hostile files (default 0.07)")
    parser.add_argument("--hostile-dir", type=Path, default=None)
    parser.add_argument("--kill", type=float, default=0.05, help="share of invocations killed, before and after each")
    parser.add_argument("--flickr-failures", type=float, default=0.1)
    parser.add_argument("--ses-failures", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before the photos count as not drained")
    parser.add_argument("--profile", type=Path, default=None, help="write cProfile stats of every thread here")
    parser.add_argument("--home", type=Path, default=None, help="the stack's home (default: a new temporary one)")
    args = parser.parse_args(argv)
    if not 0 < args.photos <= 5000:
        parser.error("--photos must be between 1 and 5000")
    faults = Faults(seed=args.seed, kill=args.kill, flickr=args.flickr_failures, ses=args.ses_failures)
    out = sys.stdout
    with tempfile.TemporaryDirectory(prefix="soak-") as scratch:
        home = args.home or Path(scratch) / ".pressroom"
        home.mkdir(parents=True, exist_ok=True)
        log = home / "soak.log"
        print(f"soak: {args.photos} photos, seed {args.seed}; the functions' logs and tracebacks (killed "
              f"invocations among them) in {log}", file=out)
        with open(log, "w") as written, contextlib.redirect_stderr(written), contextlib.redirect_stdout(written), \
                _profiled(args.profile):
            report = run(args.photos, home=home, seed=args.seed, hostile_share=args.hostile,
                         hostile_dir=args.hostile_dir, timeout=args.timeout, faults=faults,
                         progress=lambda text: print(f"  {time.strftime('%H:%M:%S')} {text}", file=out, flush=True))
    report.print(out)
    if report.unsettled or report.lost:
        return 2 if not report.broken else 1
    return 1 if report.problems() else 0


@contextlib.contextmanager
def _profiled(path: Path | None) -> Iterator[None]:
    """cProfile every thread the run starts (and this one) into ``path``, if given: the stages run
    on the emulator's and the HTTP server's threads, which a plain ``cProfile`` run would not see."""
    if path is None:
        yield
        return
    import cProfile
    import pstats

    profiles: list[cProfile.Profile] = []
    thread_run = threading.Thread.run

    def profiled_run(thread: threading.Thread) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.runcall(thread_run, thread)

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    main = cProfile.Profile()
    main.enable()
    try:
        yield
    finally:
        main.disable()
        threading.Thread.run = thread_run  # type: ignore[method-assign]
        stats = pstats.Stats(main)
        for profile in profiles:
            with contextlib.suppress(TypeError):  # a thread still running has no stats yet
                stats.add(profile)
        stats.dump_stats(path)


if __name__ == "__main__":
    sys.exit(main())
