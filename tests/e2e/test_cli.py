"""The README's local workflow: `pressroom local up`, then `upload` and `status` from another process."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pressroom.local.samples import SAMPLES, render

pytestmark = pytest.mark.e2e


def _pressroom(*args, cwd, timeout=60):
    return subprocess.run([sys.executable, "-m", "pressroom.cli", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={k: v for k, v in os.environ.items()
                                                           if not k.startswith(("PRESSROOM_", "AWS_"))})


def test_local_up_then_upload_and_status(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRESSROOM_", "AWS_"))}
    up = subprocess.Popen([sys.executable, "-m", "pressroom.cli", "local", "up", "--port", "0"], cwd=tmp_path,
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
        bad_album = _pressroom("upload", str(photo), "--album", "../etc", cwd=tmp_path)
        assert bad_album.returncode == 2 and "album name" in bad_album.stderr
        info = json.loads((tmp_path / ".pressroom" / "stack.json").read_text())
        assert info["endpoint"].startswith("http://127.0.0.1:")
    finally:
        up.send_signal(signal.SIGINT)
        out, _ = up.communicate(timeout=30)
    assert up.returncode == 0
    assert "upload endpoint" in out and "review pages" in out
    assert not (tmp_path / ".pressroom" / "stack.json").exists()
