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
    commands = set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    given = set(re.findall(r"(?:^|[`\s])pressroom ([a-z][a-z-]+)", path.read_text(), flags=re.M))
    assert given and sorted(given - commands) == []


def line_with(path: Path, *tokens: str) -> str:
    lines = [line for line in path.read_text().splitlines() if all(t in line for t in tokens)]
    assert lines, f"{path.name} has no line with {tokens}"
    return lines[0]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load((ROOT / "template.yaml").read_text(), Loader=CfnLoader)


def test_the_retention_the_data_protection_page_states_is_the_templates(template, resources):
    doc = DOCS / "data-protection.md"
    params = template["Parameters"]
    assert f"{params['RawRetentionDays']['Default']} days after upload" in line_with(doc, "| `RawBucket` originals")
    raw_rules = resources["RawBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expiry,) = [r for r in raw_rules if "ExpirationInDays" in r]
    assert expiry["ExpirationInDays"] == {"Ref": "RawRetentionDays"} and expiry["Id"] in line_with(doc, "| `RawBucket` originals")
    assert f"then {expiry['NoncurrentVersionExpiration']['NoncurrentDays']} more day" in line_with(doc, "| `RawBucket` originals")
    clean_rules = resources["CleanBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert not any("ExpirationInDays" in r or "ExpirationDate" in r for r in clean_rules), "the page says no expiry"
    assert "no expiry" in line_with(doc, "| `CleanBucket` scrubbed copies")
    assert f"valid {params['LinkTtlSeconds']['Default'] // 86400} days" in line_with(doc, "`LinkTtlSeconds`")
    logs = {r["Properties"]["RetentionInDays"] for r in resources.values() if r["Type"] == "AWS::Logs::LogGroup"}
    assert len(logs) == 1 and f"{logs.pop()} days" in line_with(doc, "| CloudWatch log groups |")
    queues = {name: r["Properties"].get("MessageRetentionPeriod", 345600) // 86400
              for name, r in resources.items() if r["Type"] == "AWS::SQS::Queue"}
    dead = {d for n, d in queues.items() if "DeadLetter" in n}
    work = {d for n, d in queues.items() if "DeadLetter" not in n}
    assert len(dead) == 1 and f"up to {dead.pop()} days" in line_with(doc, "| Dead-letter queues |")
    assert len(work) == 1 and f"up to {work.pop()} days" in line_with(doc, "| Work queues |")
    for name in (n for n in queues if "DeadLetter" not in n):
        assert f"`{name}`" in line_with(doc, "| Work queues |")
    ttl = resources["PhotoTable"]["Properties"]["TimeToLiveSpecification"]["AttributeName"]
    assert f"`{ttl}`" in line_with(doc, "| `PhotoTable` records")
    assert resources["PhotoTable"]["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"]


def test_the_data_protection_page_names_every_role_that_reads_personal_data(resources):
    import json

    held = ("RawBucket", "CleanBucket", "PhotoTable", "FlickrSecret")
    readers = {name for name, r in resources.items() if r["Type"] in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy")
               and any(h in json.dumps(r["Properties"].get("Policies") or r["Properties"].get("PolicyDocument"))
                       for h in held)}
    assert readers
    assert sorted(readers - words(DOCS / "data-protection.md")) == []
