"""The README's local workflow: `pressroom local up`, then `upload` and `status` from another process."""
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from pressroom_local.samples import SAMPLES, render

pytestmark = pytest.mark.e2e


def _pressroom(*args, cwd, timeout=60):
    return subprocess.run([sys.executable, "-m", "pressroom_local.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={k: v for k, v in os.environ.items()
                                                           if not k.startswith(("PRESSROOM_", "AWS_"))})


def test_local_up_then_upload_and_status(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESSROOM_", "AWS_"))}
    up = subprocess.Popen([sys.executable, "-m", "pressroom_local.cli", "local", "up", "--port", "0"], cwd=tmp_path,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / ".pressroom" / "stack.json").exists():
            assert up.poll() is None, up.stderr.read()
            assert time.monotonic() < deadline, "local up never wrote its stack file"
            time.sleep(0.2)
        photo = tmp_path / "park.jpg"
        photo.write_bytes(render(SAMPLES[0]))
        uploaded = _pressroom("upload", str(photo), "--album", "neighbourhood-day", "--title", "Park day",
                              "--uploader", "pcso@example.org", "--declare", "category=neighbourhood-initiative",
                              "--declare", "people=none", cwd=tmp_path)
        assert uploaded.returncode == 0, uploaded.stderr
        pid = uploaded.stdout.strip().rsplit(" ", 1)[-1]

        deadline = time.monotonic() + 60
        while "NEEDS_APPROVAL" not in (listing := _pressroom("status", cwd=tmp_path).stdout):
            assert time.monotonic() < deadline, listing
            time.sleep(0.5)
        assert pid in listing and "Park day" in listing
        detail = _pressroom("status", pid, cwd=tmp_path)
        assert detail.returncode == 0 and "RECEIVED→SCRUBBED" in detail.stdout and "audit trail" in detail.stdout
        assert _pressroom("status", "0" * 24, cwd=tmp_path).returncode == 1
        report = _pressroom("report", "--csv", cwd=tmp_path)  # this month so far, from the local stack's table
        assert report.returncode == 0, report.stderr
        assert ",photos_uploaded,,1,photos," in report.stdout and ",comments,question,0,comments," in report.stdout
        bad_album = _pressroom("upload", str(photo), "--album", "../etc", cwd=tmp_path)
        assert bad_album.returncode == 2 and "album name" in bad_album.stderr
        (tmp_path / "folder").mkdir()
        mixed = _pressroom("upload", "missing.jpg", "folder", "park.jpg", "--album", "neighbourhood-day",
                           cwd=tmp_path)  # each file it cannot read is named in words; the rest go up
        assert mixed.returncode == 2 and "Traceback" not in mixed.stderr and "Errno" not in mixed.stderr
        assert "missing.jpg: no such file" in mixed.stderr and "folder: is a folder" in mixed.stderr
        assert "park.jpg → photo" in mixed.stdout
        info = json.loads((tmp_path / ".pressroom" / "stack.json").read_text())
        assert info["endpoint"].startswith("http://127.0.0.1:")
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=30)
    assert up.returncode == 0
    assert "upload endpoint" in out and "review pages" in out
    assert f"review link: {info['api']}/review/{pid}?t=" in out  # each approver's link, whole, as it is sent
    assert not (tmp_path / ".pressroom" / "stack.json").exists()


def _env_without_aws(tmp_path):
    return {**{k: v for k, v in os.environ.items() if not k.startswith(("PRESSROOM_", "AWS_"))},
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_EC2_METADATA_DISABLED": "true"}


def _run(args, cwd, env):
    return subprocess.run([sys.executable, "-m", "pressroom_local.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=60, env=env)


@pytest.mark.parametrize("args", [["status"], ["status", "0" * 24], ["retry", "0" * 24],
                                  ["upload", "photo.jpg", "--album", "neighbourhood-day"], ["report", "--csv"]])
def test_without_a_running_stack_the_command_says_how_to_start_one(tmp_path, args):
    (tmp_path / "photo.jpg").write_bytes(render(SAMPLES[0]))
    done = _run(args, tmp_path, _env_without_aws(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "make up" in done.stderr and "not running" in done.stderr


@pytest.mark.parametrize("args", [["status"], ["upload", "photo.jpg", "--album", "neighbourhood-day"], ["report"]])
def test_a_stack_that_died_without_cleaning_up_is_named(tmp_path, args):
    (tmp_path / "photo.jpg").write_bytes(render(SAMPLES[0]))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{s.getsockname()[1]}"
    (tmp_path / ".pressroom").mkdir()
    (tmp_path / ".pressroom" / "stack.json").write_text(json.dumps({
        "endpoint": endpoint, "api": "http://127.0.0.1:8787", "raw_bucket": "pressroom-raw", "outbox": "o",
        "album": "a", "env": {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                              "AWS_REGION": "eu-west-2", "PRESSROOM_AWS_ENDPOINT_URL": endpoint,
                              "PRESSROOM_TABLE_NAME": "pressroom"}}))
    done = _run(args, tmp_path, _env_without_aws(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "not answering" in done.stderr and "make up" in done.stderr


def test_local_up_on_a_port_in_use_says_so_without_a_traceback(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        done = _run(["local", "up", "--port", str(busy.getsockname()[1])], tmp_path, _env_without_aws(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--port" in done.stderr


def test_a_damaged_stack_file_is_named(tmp_path):
    (tmp_path / ".pressroom").mkdir()
    (tmp_path / ".pressroom" / "stack.json").write_text('{"endpoint": "http://127.0.0.1:1", "ap')
    done = _run(["status"], tmp_path, _env_without_aws(tmp_path))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "stack.json" in done.stderr and "make up" in done.stderr
