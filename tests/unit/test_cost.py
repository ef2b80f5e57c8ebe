"""pressroom cost: the arithmetic, and a line for every billable resource in template.yaml."""
from __future__ import annotations

import copy

import pytest

from pressroom_local import cli, cost


@pytest.fixture
def table():
    return cost.prices()


def tiny_template(memory=1024):
    return {"Globals": {"Function": {"MemorySize": 512}},
            "Resources": {"ScrubFunction": {"Type": "AWS::Serverless::Function", "Properties": {
                "MemorySize": memory, "Events": {"Q": {"Type": "SQS"}}}},
                "OtherFunction": {"Type": "AWS::Serverless::Function", "Properties": {}},
                "Secret": {"Type": "AWS::SecretsManager::Secret"}, "A": {"Type": "AWS::CloudWatch::Alarm"}}}


def by_service(lines):
    return {line.service: line.dollars for line in lines}


def test_lambda_is_memory_times_duration_times_invocations_plus_requests(table):
    table = copy.deepcopy(table)
    table["durations_ms"] = {"ScrubFunction": 1000, "OtherFunction": 2000}
    p = table["regions"]["eu-west-2"]
    lines = by_service(cost.estimate(1000, table=table, tpl=tiny_template()))
    # 1000 x 1 s x 1 GB, and 1000 x 2 s x 0.5 GB (the Globals' memory): 2000 GB-s; 2000 requests
    assert lines["Lambda"] == pytest.approx(2000 * p["lambda_gb_second_arm"] + 2000 / 1e6 * p["lambda_per_million_requests"])
    doubled = by_service(cost.estimate(1000, table=table, tpl=tiny_template(memory=2048)))
    assert doubled["Lambda"] - lines["Lambda"] == pytest.approx(1000 * p["lambda_gb_second_arm"])


def test_fixed_lines_count_the_templates_resources(table):
    table = copy.deepcopy(table)
    table["durations_ms"] = {"ScrubFunction": 1, "OtherFunction": 1}
    p, fixed = table["regions"]["eu-west-2"], table["fixed"]
    lines = by_service(cost.estimate(1, table=table, tpl=tiny_template()))
    assert lines["CloudWatch alarms"] == pytest.approx(p["cloudwatch_alarm_month"])
    assert lines["Secrets Manager"] == pytest.approx(
        p["secrets_per_secret_month"] + fixed["secret_calls_per_month"] / 10000 * p["secrets_per_ten_thousand_calls"])
    assert lines["CloudWatch dashboard"] == 0


def test_per_photo_lines_scale_with_photos_and_rekognition_is_optional(table):
    one = by_service(cost.estimate(1000))
    ten = by_service(cost.estimate(10000, rekognition=True))
    p, per = table["regions"]["eu-west-2"], table["per_photo"]
    assert "Rekognition" not in one
    assert ten["Rekognition"] == pytest.approx(10000 * per["rekognition_images"] * p["rekognition_per_image"])
    assert ten["SES"] == pytest.approx(10 * one["SES"])
    assert ten["S3"] == pytest.approx(10 * one["S3"])


def test_every_billable_resource_type_has_a_line(table):
    tpl = cost.template()
    lines = {line.service for line in cost.estimate(1000, rekognition=True)}
    for name, resource in tpl["Resources"].items():
        kind = resource["Type"]
        if kind in table["free_types"]:
            continue
        assert kind in cost.BILLED_BY, f"{name}: {kind} has no cost line (add it to cost.py, or to free_types with why)"
        assert cost.BILLED_BY[kind] in lines, f"{name}: the {cost.BILLED_BY[kind]} line is missing"
    assert set(cost.functions(tpl)) <= set(table["durations_ms"])


def test_an_unknown_region_is_refused(capsys):
    assert cli.main(["cost", "--photos-per-month", "100", "--region", "us-east-1"]) == 2
    assert "no prices for us-east-1" in capsys.readouterr().err


def test_the_command_prints_a_total(capsys):
    assert cli.main(["cost", "--photos-per-month", "1000"]) == 0
    out = capsys.readouterr().out
    total = float(out.split("Total")[1].split()[0])
    assert total == pytest.approx(sum(line.dollars for line in cost.estimate(1000)), abs=0.01)
    assert "Check them before quoting" in out


def test_the_table_in_infra_readme_is_what_the_command_prints_now():
    readme = (cost.ROOT / "infra" / "README.md").read_text()
    assert cost.readme_table() in readme, "re-run the table in infra/README.md (python -m pressroom_local.cost)"
    row = next(line for line in readme.splitlines() if line.startswith("| **Total** |"))
    shown = [float(cell.strip(" *")) for cell in row.split("|")[2:-1]]
    expected = [sum(line.dollars for line in cost.estimate(n, rekognition=r))
                for n, r in ((100, False), (1000, False), (10000, False), (10000, True))]
    assert shown == pytest.approx(expected, abs=0.01), "re-run the table in infra/README.md (pressroom cost)"
