"""A photo the scrubber is killed on every time ends QUARANTINED in ``pressroom status``, through the local stack."""
import json
import os
import subprocess
import sys
import time

import pytest

from pressroom import bootstrap
from pressroom.domain.photos import State, photo_id
from pressroom_local import functions
from pressroom_local.stack import LocalStack

pytestmark = pytest.mark.e2e
UPLOADER = "pcso@example.org"


class Killed(BaseException):
    """Lambda stopping the runtime (out of memory, out of time): no ``except Exception`` runs."""


def _killable(monkeypatch):
    """The scrubber runs out of memory on every file, and the local scrub function dies of it as
    Lambda's would: the whole invocation fails, so the emulator hands the batch back to SQS."""
    def out_of_memory(data, **_):
        raise Killed("Runtime exited with error: signal: killed")

    monkeypatch.setattr("pressroom.stages.scrub.scrub_bytes", out_of_memory)
    real = functions.handler

    def handler(name):
        run = real(name)
        if name != "scrub":
            return run

        def killed_runtime(event, context):
            try:
                return run(event, context)
            except Killed as exc:
                raise RuntimeError("the scrub function's runtime was killed") from exc

        return killed_runtime

    monkeypatch.setattr(functions, "handler", handler)


def _wait_for(pid, state, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        photo = bootstrap.store().get(pid)
        if photo and photo.state == state:
            return photo
        time.sleep(0.2)
    raise AssertionError(f"photo {pid} never reached {state}: {bootstrap.store().get(pid)}")


def _status(*args, cwd):
    """``pressroom status`` from another process, as the README has it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESSROOM_", "AWS_"))}
    done = subprocess.run([sys.executable, "-m", "pressroom_local.cli", "status", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_photos_whose_scrubber_was_killed_every_time_end_quarantined_and_visible(tmp_path, monkeypatch):
    _killable(monkeypatch)
    with LocalStack(tmp_path / ".pressroom") as stack:
        s3, sqs = stack.session().client("s3"), stack.session().client("sqs")
        raw = stack.info.raw_bucket
        key = "incoming/neighbourhood-day/hostile.jpg"
        version = s3.put_object(Bucket=raw, Key=key, Body=b"\xff\xd8 pretend decompression bomb",
                                Metadata={"uploader": UPLOADER})["VersionId"]
        pid = photo_id(raw, key, version)
        photo = _wait_for(pid, State.QUARANTINED)  # five killed scrubs, SQS's redrive, the dead-letter function
        assert "stopped on every one of its 5 attempts" in photo.reason

        # a dead letter dropped straight into the queue, for an upload the scrubber never reached
        never = "incoming/neighbourhood-day/never-reached.jpg"
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="pressroom-scrub-dlq")["QueueUrl"],
                         MessageBody=json.dumps({"Records": [{
                             "eventName": "ObjectCreated:Put",
                             "s3": {"bucket": {"name": raw},
                                    "object": {"key": never, "size": 1234, "versionId": "v-never"}}}]}))
        unknown = _wait_for(photo_id(raw, never, "v-never"), State.QUARANTINED)
        assert "did not get to this file" in unknown.reason

        listing = _status(cwd=tmp_path)
        section = listing.split("QUARANTINED", 1)[1]
        assert pid in section and unknown.id in section and "RECEIVED (" not in listing
        trail = _status(pid, cwd=tmp_path)
        assert "RECEIVED→QUARANTINED" in trail and "dead-letters" in trail

        deadline = time.monotonic() + 10
        while len(list(stack.outbox.glob("*.eml"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        mails = [p.read_text() for p in sorted(stack.outbox.glob("*.eml"))]
        assert any(f"To: {UPLOADER}" in m and "hostile.jpg" in m and "quarantined" in m for m in mails)
        assert any("To: press.office@press-office.example" in m and "never-reached.jpg" in m for m in mails)
        assert not sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="pressroom-unhandled-dlq")["QueueUrl"]
                                       ).get("Messages")


def test_a_publish_dead_letter_ends_the_approved_photo_failed_and_visible(tmp_path):
    """Every delivery of a publish message was stopped: the local stack's publish function consumes
    its own dead-letter queue as deployed, uploads nothing and tells the press office."""
    from pressroom.domain.photos import Photo

    with LocalStack(tmp_path / ".pressroom") as stack:
        sqs = stack.session().client("sqs")
        pid = "5e1f0c9d8b7a6f5e4d3c2b1a"
        assert bootstrap.store().create(Photo(
            id=pid, state=State.APPROVED, album="neighbourhood-day", original_bucket=stack.info.raw_bucket,
            original_key="incoming/neighbourhood-day/fun-day.jpg", original_version="v1", uploader=UPLOADER,
            clean_key=f"clean/{pid}.jpg", captions={"title": "Fun day"}), actor="test")
        sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="pressroom-publish-dlq")["QueueUrl"],
                         MessageBody=json.dumps({"photo_id": pid}))
        photo = _wait_for(pid, State.PUBLISH_FAILED)
        assert "stopped (out of memory or time)" in photo.reason
        assert pid in _status(cwd=tmp_path).split("PUBLISH_FAILED", 1)[1]
        assert "APPROVED→PUBLISH_FAILED" in _status(pid, cwd=tmp_path)
        deadline = time.monotonic() + 10
        while not list(stack.outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.2)
        [mail] = [p.read_text() for p in stack.outbox.glob("*.eml")]
        assert "To: press.office@press-office.example" in mail and f"pressroom retry {pid}" in mail
        assert not (stack.album / "photos").exists()  # nothing was uploaded
