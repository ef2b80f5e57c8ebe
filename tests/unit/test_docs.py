"""The documents for a force's sign-off name what template.yaml defines, so they cannot drift from it."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.permissions import CfnLoader

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def resources() -> dict[str, dict[str, Any]]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)["Resources"]


def named(resources: dict[str, dict[str, Any]], *kinds: str) -> set[str]:
    return {name for name, r in resources.items() if r["Type"] in kinds}


def words(path: Path) -> set[str]:
    return set(re.findall(r"[A-Za-z][A-Za-z0-9]+", path.read_text()))


def mermaid_blocks(path: Path) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)```", path.read_text(), flags=re.S)


def test_the_architecture_diagram_names_every_function_queue_and_bucket(resources):
    wanted = named(resources, "AWS::Serverless::Function", "AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::S3::Bucket")
    diagram = set(re.findall(r"[A-Za-z][A-Za-z0-9]+", "\n".join(mermaid_blocks(DOCS / "architecture.md"))))
    assert wanted, "the template defines no functions, queues or buckets?"
    assert sorted(wanted - diagram) == []


def test_the_architecture_diagram_names_the_timers_secrets_and_http_api(resources):
    wanted = named(resources, "AWS::Scheduler::ScheduleGroup", "AWS::SecretsManager::Secret",
                   "AWS::Serverless::HttpApi", "AWS::Serverless::Api", "AWS::SNS::Topic")
    assert sorted(wanted - words(DOCS / "architecture.md")) == []


def test_the_state_diagram_has_every_state_and_transition():
    from pressroom.domain.photos import TRANSITIONS

    states = next(b for b in mermaid_blocks(DOCS / "architecture.md") if b.startswith("stateDiagram"))
    drawn = set(re.findall(r"^\s*([A-Z_]+) --> ([A-Z_]+)", states, flags=re.M))
    assert drawn == {(a.value, b.value) for a, targets in TRANSITIONS.items() for b in targets}


def headings(path: Path) -> set[str]:
    return {line.lstrip("#").strip() for line in path.read_text().splitlines() if line.startswith("#")}


def test_the_runbook_has_a_section_for_every_alarm(resources):
    alarms = named(resources, "AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm")
    assert alarms
    assert sorted(alarms - headings(DOCS / "runbook.md")) == []


def test_the_runbook_has_the_procedures():
    assert {"Redrive a dead-letter queue", "Rotate the link-signing key", "Revoke and reconnect Flickr",
            "Restore the table to a point in time",
            "A photo was published that should not have been"} <= headings(DOCS / "runbook.md")


@pytest.mark.parametrize("doc", ["runbook.md", "data-protection.md"])
def test_every_pressroom_command_a_document_gives_exists(doc):
    from pressroom_local.cli import build_parser

    path = DOCS / doc
    if not path.exists():
        pytest.skip(f"{doc} not written yet")
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    given = set(re.findall(r"(?:^|[`\s])pressroom ([a-z][a-z-]+)", path.read_text(), flags=re.M))
    assert given and sorted(given - commands) == []
