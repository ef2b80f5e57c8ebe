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


# -- the dashboard ---------------------------------------------------------------------------------
def dashboard(resources) -> dict[str, Any]:
    import json

    (name,) = named(resources, "AWS::CloudWatch::Dashboard")
    body = resources[name]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([A-Za-z:]+)(\.[A-Za-z]+)?\}", lambda m: f"REF:{m[1]}", body))


def emitted_metric_names() -> set[str]:
    """The metric names the functions emit: literal names, and the ones built from states and kinds."""
    from pressroom.domain.photos import State
    from pressroom.stages.comments import Kind

    names = set()
    for app in (ROOT / "functions").glob("*/app.py"):
        names |= set(re.findall(r'name="(\w+)"', app.read_text()))
    names |= {f"Photos{s.value.title()}" for s in State}
    names |= {"Comments" + k.value.title().replace("-", "") for k in Kind}
    names |= {"Publish" + s.title().replace("-", "") for s in ("published", "recovered", "already-published", "skipped", "failed")}
    return names


def test_the_dashboard_shows_what_the_issue_asks(resources):
    widgets = dashboard(resources)["widgets"]
    metrics = [m for w in widgets for m in w["properties"].get("metrics", []) if isinstance(m[0], str)]
    functions = {f"REF:{f}" for f in named(resources, "AWS::Serverless::Function", "AWS::Lambda::Function")}
    dead_letter_queues = {f"REF:{q}" for q in named(resources, "AWS::SQS::Queue") if "DeadLetter" in q}
    assert {m[3] for m in metrics if m[:2] == ["AWS/Lambda", "Errors"]} == functions
    assert {m[3] for m in metrics if m[:2] == ["AWS/Lambda", "Duration"]} == functions
    assert {m[3] for m in metrics if m[1] == "ApproximateNumberOfMessagesVisible"} == dead_letter_queues
    ours = {m[1] for m in metrics if m[0] == "Pressroom"}
    assert sorted(ours - emitted_metric_names()) == []  # nothing on the dashboard that nobody emits
    assert {"PhotosScrubbed", "PhotosQuarantined", "PhotosBlocked", "PhotosNeeds_Approval", "PublishPublished",
            "UploadToPublish", "CommentsOffensive", "CommentsCrimeReport"} <= ours
    assert any("upload scrubbed" in w["properties"].get("query", "") for w in widgets)


def test_the_dashboards_link_is_a_stack_output(template, resources):
    (name,) = named(resources, "AWS::CloudWatch::Dashboard")
    url = template["Outputs"]["DashboardUrl"]["Value"]["Fn::Sub"]
    assert url.startswith("https://") and "#dashboards/dashboard/${" + name + "}" in url


def test_the_access_log_retention_the_page_states_is_the_templates(template, resources):
    doc = DOCS / "data-protection.md"
    if "RawAccessLogBucket" not in resources:
        pytest.skip("no access-log bucket in this template")
    days = template["Parameters"]["AccessLogRetentionDays"]["Default"]
    line = line_with(doc, "| `RawAccessLogBucket` access records")
    assert f"{days} days" in line
    (rule,) = [r for r in resources["RawAccessLogBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
               if "ExpirationInDays" in r]
    assert rule["ExpirationInDays"] == {"Ref": "AccessLogRetentionDays"} and rule["Id"] in line
