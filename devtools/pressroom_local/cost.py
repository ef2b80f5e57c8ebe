"""``pressroom cost``: the monthly cost of running Pressroom, by service, from infra/prices.toml.

Memory sizes come from template.yaml (a function's own MemorySize, else the Globals'); durations,
usage per photo and prices from infra/prices.toml, which says where each figure comes from and
when the prices were taken. No free tier, no VAT.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRICES = ROOT / "infra" / "prices.toml"
TEMPLATE = ROOT / "template.yaml"

#: template resource type → the cost line that covers it
BILLED_BY = {
    "AWS::Serverless::Function": "Lambda",
    "AWS::Lambda::Function": "Lambda",
    "AWS::SQS::Queue": "SQS",
    "AWS::S3::Bucket": "S3",
    "AWS::DynamoDB::Table": "DynamoDB",
    "AWS::SecretsManager::Secret": "Secrets Manager",
    "AWS::Scheduler::ScheduleGroup": "EventBridge Scheduler",
    "AWS::Scheduler::Schedule": "EventBridge Scheduler",
    "AWS::Logs::LogGroup": "CloudWatch Logs",
    "AWS::CloudWatch::Alarm": "CloudWatch alarms",
    "AWS::CloudWatch::Dashboard": "CloudWatch dashboard",
    "AWS::Serverless::HttpApi": "API Gateway (HTTP API)",
    "AWS::SNS::Topic": "SNS",
    "AWS::KMS::Key": "KMS",
    "AWS::CloudTrail::Trail": "CloudTrail",
}


@dataclass(frozen=True)
class Line:
    service: str
    dollars: float
    basis: str


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_multi_constructor("!", lambda loader, suffix, node: None)


def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=_Loader)


def functions(tpl: dict[str, Any]) -> dict[str, int]:
    """Function logical id → memory in MB."""
    default = tpl.get("Globals", {}).get("Function", {}).get("MemorySize", 128)
    return {name: int(r.get("Properties", {}).get("MemorySize") or default)
            for name, r in tpl["Resources"].items() if r["Type"] in ("AWS::Serverless::Function", "AWS::Lambda::Function")}


def prices() -> dict[str, Any]:
    return tomllib.loads(PRICES.read_text())


def estimate(photos: int, *, rekognition: bool = False, region: str = "eu-west-2",
             table: dict[str, Any] | None = None, tpl: dict[str, Any] | None = None) -> list[Line]:
    table, tpl = table or prices(), tpl or template()
    if region not in table["regions"]:
        raise KeyError(f"infra/prices.toml has no prices for {region} (it has {', '.join(table['regions'])})")
    p, per, fixed, ms = table["regions"][region], table["per_photo"], table["fixed"], table["durations_ms"]
    memory = functions(tpl)
    resources = tpl["Resources"]
    invocations = {name: photos for name in memory}  # one each for the stages a photo goes through
    invocations.update({name: count for name, count in {
        "ApprovalApiFunction": photos * per["page_views"],
        "ApprovalTimerFunction": photos * per["approval_timer_invocations"],
        "CommentsFunction": fixed["comments_polls_per_month"],
        "StalenessFunction": fixed["staleness_invocations_per_month"],
        "DeadLettersFunction": 0,
        # in-account analysis (ImageAnalysis=in-account, the default) or Rekognition, not both
        "AnalysisFunction": 0 if rekognition else photos,
        "PhotoEventsFunction": photos * per.get("photo_events_invocations", 0),
        "AmendFunction": 0,
        "AmendApiFunction": 0,
        "DeskFunction": photos * per.get("desk_requests", 0),
        "DeskAuthorizerFunction": photos * per.get("desk_authorizer_calls", 0),
    }.items() if name in memory})
    missing = set(memory) - set(ms)
    if missing:
        raise KeyError(f"infra/prices.toml has no duration for {', '.join(sorted(missing))}")
    gb_seconds = sum(invocations[f] * ms[f] / 1000 * memory[f] / 1024 for f in memory)
    requests = sum(invocations.values())
    lines = [Line("Lambda", gb_seconds * p["lambda_gb_second_arm"] + requests / 1e6 * p["lambda_per_million_requests"],
                  f"{requests:,.0f} invocations, {gb_seconds:,.0f} GB-s on arm64")]

    mappings = sum(1 for r in resources.values() if r["Type"] == "AWS::Serverless::Function"
                   for e in (r.get("Properties", {}).get("Events") or {}).values() if e.get("Type") == "SQS")
    sqs_requests = photos * per["queue_hops"] * 3 + mappings * fixed["sqs_empty_receives_per_mapping_month"]
    lines.append(Line("SQS", sqs_requests / 1e6 * p["sqs_per_million_requests"],
                      f"{sqs_requests:,.0f} requests (send, receive, delete; {mappings} mappings polling)"))

    raw_gb = photos * per["original_mb"] / 1024 * fixed["raw_retention_days"] / 30
    clean_gb = photos * per["clean_mb"] / 1024 * fixed["clean_months_kept"]
    s3 = ((raw_gb + clean_gb) * p["s3_gb_month"] + photos * per["s3_puts"] / 1000 * p["s3_put_per_thousand"]
          + photos * per["s3_gets"] / 1000 * p["s3_get_per_thousand"])
    lines.append(Line("S3", s3, f"{raw_gb:,.1f} GB originals, {clean_gb:,.1f} GB clean copies after "
                      f"{fixed['clean_months_kept']} months"))

    table_gb = photos * per["table_kb"] / 1024 / 1024 * fixed["clean_months_kept"]
    dynamo = (photos * per["table_write_units"] / 1e6 * p["dynamodb_per_million_write_units"]
              + photos * per["table_read_units"] / 1e6 * p["dynamodb_per_million_read_units"]
              + table_gb * (p["dynamodb_gb_month"] + p["dynamodb_pitr_gb_month"]))
    lines.append(Line("DynamoDB", dynamo, f"on demand, {table_gb:,.2f} GB with point-in-time recovery"))

    emails = photos * per["emails"]
    lines.append(Line("SES", emails / 1000 * p["ses_per_thousand_emails"], f"{emails:,.0f} emails"))

    fired = photos * per["approval_timer_invocations"] + fixed["comments_polls_per_month"] + fixed["staleness_invocations_per_month"]
    lines.append(Line("EventBridge Scheduler", fired / 1e6 * p["scheduler_per_million_invocations"],
                      f"{fired:,.0f} invocations ({photos * per['schedules']:,.0f} schedules created)"))

    secrets = sum(1 for r in resources.values() if r["Type"] == "AWS::SecretsManager::Secret")
    lines.append(Line("Secrets Manager", secrets * p["secrets_per_secret_month"]
                      + fixed["secret_calls_per_month"] / 10000 * p["secrets_per_ten_thousand_calls"],
                      f"{secrets} secrets"))

    lines.append(Line("KMS", 0.0, "none: S3, SQS and DynamoDB use AWS-owned keys (SSE-S3, SQS-managed SSE)"))

    log_gb = requests * per["log_kb_per_invocation"] / 1024 / 1024
    lines.append(Line("CloudWatch Logs", log_gb * p["logs_ingest_gb"] + log_gb * 3 * p["logs_store_gb_month"],
                      f"{log_gb:,.2f} GB a month, kept 90 days"))
    lines.append(Line("CloudWatch metrics", fixed["emitted_metrics"] * p["cloudwatch_metric_month"],
                      f"{fixed['emitted_metrics']} custom metrics (EMF)"))
    alarms = sum(1 for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm")
    lines.append(Line("CloudWatch alarms", alarms * p["cloudwatch_alarm_month"], f"{alarms} alarms"))
    dashboards = sum(1 for r in resources.values() if r["Type"] == "AWS::CloudWatch::Dashboard")
    lines.append(Line("CloudWatch dashboard", dashboards * p["cloudwatch_dashboard_month"],
                      f"{dashboards} (an account's first 3 are free)"))
    api = photos * per["page_views"]
    lines.append(Line("API Gateway (HTTP API)", api / 1e6 * p["http_api_per_million_requests"], f"{api:,.0f} requests"))
    lines.append(Line("SNS", 0.0, "alarm emails only: cents"))
    lines.append(Line("X-Ray", requests / 1e6 * p["xray_per_million_traces"], "active tracing, every invocation traced"))
    trails = sum(1 for r in resources.values() if r["Type"] == "AWS::CloudTrail::Trail")
    if trails:
        events = photos * per["cloudtrail_data_events"]
        lines.append(Line("CloudTrail", events / 1e5 * p["cloudtrail_per_hundred_thousand_data_events"],
                          f"{events:,.0f} data events on the raw bucket (their log storage is in S3's line: small)"))
    if rekognition:
        images = photos * per["rekognition_images"]
        lines.append(Line("Rekognition", images * p["rekognition_per_image"], f"{images:,.0f} image analyses"))
    return lines


def render(photos: int, lines: list[Line], region: str) -> str:
    table = prices()
    width = max(len(line.service) for line in lines)
    out = [f"Pressroom in {region}, {photos:,} photos a month ({table['currency']} a month, no free tier, no VAT)"]
    out += [f"  {line.service:<{width}}  {line.dollars:>9.2f}  {line.basis}" for line in lines]
    out.append(f"  {'Total':<{width}}  {sum(line.dollars for line in lines):>9.2f}")
    out.append(f"Prices: infra/prices.toml, {table['checked']}. Check them before quoting.")
    return "\n".join(out)


README_COLUMNS = ((100, False), (1000, False), (10000, False), (10000, True))


def readme_table() -> str:
    """The table infra/README.md shows (``python -m pressroom_local.cost`` prints it)."""
    rows: dict[str, dict[tuple[int, bool], float]] = {}
    for photos, rekognition in README_COLUMNS:
        for line in estimate(photos, rekognition=rekognition):
            rows.setdefault(line.service, {})[(photos, rekognition)] = line.dollars
    out = ["| Service | 100 photos | 1,000 photos | 10,000 photos | 10,000 with Rekognition |",
           "|---|---:|---:|---:|---:|"]
    out += [f"| {service} | " + " | ".join(f"{cells.get(c, 0):.2f}" for c in README_COLUMNS) + " |"
            for service, cells in rows.items()]
    out.append("| **Total** | " + " | ".join(f"**{sum(cells.get(c, 0) for cells in rows.values()):.2f}**"
                                             for c in README_COLUMNS) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    print(readme_table())
