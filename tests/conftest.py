"""Shared fixtures: a moto-backed AWS with every Pressroom resource, sample events, the corpus."""
from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from pressroom import bootstrap
from pressroom_local import motofixes, resources
from tests.corpus import CORPUS, FUZZ_FOUND, corpus_files, fuzz_found_files

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
REGION = "eu-west-2"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test sees real credentials, a real endpoint or another test's cached clients."""
    for name in list(os.environ):
        if name.startswith(("PRESSROOM_", "AWS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "PressroomTest")
    monkeypatch.setenv("PRESSROOM_LOCAL_ALBUM_DIR", str(tmp_path / "album"))
    monkeypatch.setenv("PRESSROOM_DETECTOR", "offline")
    bootstrap.reset()
    yield
    bootstrap.reset()


@pytest.fixture
def aws(monkeypatch):
    """moto with every resource of template.yaml created and PRESSROOM_* pointing at them."""
    motofixes.apply()
    with mock_aws():
        created = resources.create_all(boto3.Session(region_name=REGION))
        for name, value in created.env.items():
            monkeypatch.setenv(name, value)
        bootstrap.reset()
        yield created


@pytest.fixture
def store(aws):
    return bootstrap.store()


@pytest.fixture
def load_event():
    """Load ``events/<name>.json`` (the same files ``sam local invoke -e`` uses)."""

    def load(name: str) -> dict:
        return json.loads((EVENTS / f"{name}.json").read_text())

    return load


@pytest.fixture
def corpus() -> Path:
    corpus_files()  # fails, naming the fix, when the corpus is missing
    return CORPUS


@pytest.fixture
def fuzz_found() -> Path:
    """``shared/fuzz-found``: what an outside fuzzer found (fails, naming the fix, when missing)."""
    fuzz_found_files()
    return FUZZ_FOUND


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With PRESSROOM_NO_SKIPS set (``make test``, so CI, which installs every tool first), a skipped
    test fails the run: a missing exiftool or chromium would otherwise pass it unproven."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("PRESSROOM_NO_SKIPS") and skipped and session.exitstatus == pytest.ExitCode.OK:
        reporter.write_line(f"PRESSROOM_NO_SKIPS: {len(skipped)} tests skipped, which fails this run", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
