"""``pressroom local demo`` and bad uploads, end to end through the local stack."""
import io
import json
import shutil
import socket
import subprocess
import time

import pytest

from pressroom import bootstrap
from pressroom.domain.photos import State, photo_id
from pressroom_local.demo import run
from pressroom_local.samples import SAMPLES
from pressroom_local.stack import LocalStack

pytestmark = pytest.mark.e2e


def test_demo_publishes_every_sample_scrubbed(tmp_path):
    out = io.StringIO()
    assert run(out, tmp_path / "home") == 0, out.getvalue()
    printed = out.getvalue()
    assert printed.count(" PUBLISHED ") == len(SAMPLES)
    album = tmp_path / "home" / "flickr"
    index = (album / "index.html").read_text()
    for sample in SAMPLES:
        assert sample.title in index
    assert "www.west-midlands.police.uk" in index and "0345 113 5000" in index
    outbox = list((tmp_path / "home" / "outbox").glob("*.eml"))
    assert len(outbox) >= len(SAMPLES)  # one approval email per photo and approver, plus the reminder
    # it ends with the batch announcement of each album, whole: album, counts, the ready-to-post texts
    announcements = printed.split("\n=== batch announcement emailed to ")[1:]
    assert len(announcements) == len({sample.album for sample in SAMPLES})
    assert printed.rstrip().endswith(announcements[-1].rstrip())
    for text in announcements:
        assert text.startswith("press.office@press-office.example: Pressroom: batch published: ")
        assert "--- X (Twitter) ---" in text and "--- YouTube community post ---" in text
        assert text.count("https://www.west-midlands.police.uk") >= 4 and "index.html#set-" in text
    neighbourhood = next(t for t in announcements if "Neighbourhood day" in t.split("\n", 1)[0])
    assert "Published: 2" in neighbourhood and all(s.title in neighbourhood for s in SAMPLES[:2])
    if shutil.which("exiftool"):
        for published in album.rglob("*.jpg"):
            tags = subprocess.run(["exiftool", "-a", "-G1", "-s", "-ee", str(published)],
                                  capture_output=True, text=True, check=True).stdout
            assert "GPS" not in tags and "Serial" not in tags and "Thumbnail" not in tags


def _wait_for(pid, states, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        photo = bootstrap.store().get(pid)
        if photo and photo.state in states:
            return photo
        time.sleep(0.2)
    raise AssertionError(f"photo {pid} never reached {states}")


def test_a_zero_byte_upload_ends_quarantined_and_visible(tmp_path):
    with LocalStack(tmp_path / "home") as stack:
        s3 = stack.session().client("s3")
        key = "incoming/neighbourhood-day/empty.jpg"
        put = s3.put_object(Bucket=stack.info.raw_bucket, Key=key, Body=b"",
                            Metadata={"uploader": "pcso@example.org"})
        photo = _wait_for(photo_id(stack.info.raw_bucket, key, put["VersionId"]), {State.QUARANTINED})
        assert "empty" in photo.reason.lower() or "0 bytes" in photo.reason
        deadline = time.monotonic() + 10
        while not list(stack.outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.2)
        mail = "".join(p.read_text() for p in stack.outbox.glob("*.eml"))
        assert "pcso@example.org" in mail and "quarantined" in mail


def test_a_second_stack_in_the_same_folder_is_refused_and_the_running_ones_mail_kept(tmp_path):
    from pressroom_local.stack import StackError

    with LocalStack(tmp_path / "home") as running:
        mail = running.outbox / "0001-approval-needed.eml"
        mail.write_text("Subject: kept\n\nkept\n")
        with pytest.raises(StackError, match="already running"):
            LocalStack(tmp_path / "home").start()
        with pytest.raises(StackError, match="already running"):
            run(io.StringIO(), tmp_path / "home")
        assert mail.read_text() == "Subject: kept\n\nkept\n"
        assert (tmp_path / "home" / "stack.json").exists()
        assert json.loads((tmp_path / "home" / "stack.json").read_text())["endpoint"] == running.info.endpoint


def test_a_stack_file_left_by_a_stack_that_died_does_not_stop_a_new_one(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    (home / "stack.json").write_text(json.dumps({"endpoint": dead, "api": dead, "raw_bucket": "b", "outbox": "o",
                                                 "album": "a", "env": {}}))
    with LocalStack(home) as stack:
        assert stack.info.endpoint != dead


def test_a_review_port_in_use_is_named_before_anything_is_touched(tmp_path):
    from pressroom_local.stack import StackError

    home = tmp_path / "home"
    (home / "outbox").mkdir(parents=True)
    (home / "outbox" / "0001-kept.eml").write_text("kept")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(StackError, match=f"port {port}.*--port"):
            LocalStack(home, api_port=port).start()
    assert (home / "outbox" / "0001-kept.eml").read_text() == "kept"
