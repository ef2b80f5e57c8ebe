"""An embargoed upload on the local stack: approved, held, and published when the stack's clock
reaches its publish-at (the emulator fires due Scheduler schedules, here one sending to a queue)."""
import time
from datetime import timedelta

import pytest

from pressroom import bootstrap
from pressroom.domain import clock
from pressroom.domain.photos import State, photo_id
from pressroom.domain.schedule import LONDON
from pressroom_local import review_client
from pressroom_local.samples import SAMPLES, render
from pressroom_local.stack import LocalStack

pytestmark = pytest.mark.e2e


def _wait(check, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not (found := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
    return found


def test_an_embargoed_photo_waits_for_its_time_on_the_local_stack(tmp_path):
    sample = SAMPLES[2]
    with LocalStack(tmp_path / "home") as stack:
        when = (clock.now() + timedelta(days=3)).astimezone(LONDON)
        key = f"incoming/{sample.album}/{sample.name}"
        put = stack.session().client("s3").put_object(
            Bucket=stack.info.raw_bucket, Key=key, Body=render(sample),
            Metadata={**sample.metadata, "publish-at": when.strftime("%Y-%m-%dT%H:%M")})
        pid = photo_id(stack.info.raw_bucket, key, put["VersionId"])
        link = _wait(lambda: review_client.review_links(stack.outbox).get(pid, [None])[0], "the approval email")
        assert review_client.decide(link, "approve").status == 200
        held = _wait(lambda: (p := bootstrap.store().get(pid)) and p.publish_at and p, "the photo to be held")
        assert held.state == State.APPROVED
        time.sleep(2)  # the emulator keeps polling: nothing is due yet
        assert bootstrap.store().get(pid).state == State.APPROVED
        assert not (stack.album / "index.html").exists() or sample.title not in (stack.album / "index.html").read_text()
        clock.advance(timedelta(days=3, minutes=1))
        _wait(lambda: bootstrap.store().get(pid).state == State.PUBLISHED, "publication at the embargo's end")
        assert sample.title in (stack.album / "index.html").read_text()
