"""IAM, evaluated: may each function's role make the AWS calls its code makes?

The integration tests run every handler against moto; :class:`Recorder` notes each AWS call made
while a handler runs, rewritten as it would be made in the deployed stack ``pressroom`` (account
123456789012, eu-west-2). :func:`problems` then evaluates each call the way IAM would: the
function's role in template.yaml must allow it (action, resource and conditions), no Deny may
refuse it (the role's, or the bucket policy's), and it must be one of the calls listed for the
function in :data:`NEEDS`, which ``tests/unit/test_template.py`` holds equal to what the role
grants. A missing permission (a production outage) or a call nobody listed fails the test that
made it.
"""
from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pressroom.adapters.parameters import reset as reset_parameters

STACK, ACCOUNT, REGION = "pressroom", "123456789012", "eu-west-2"
STREAM_LABEL = "2026-01-01T00:00:00.000"  # a table stream's ARN ends with the time it was enabled
SENDER = "pressroom@press-office.example"
TEMPLATE = Path(__file__).resolve().parents[1] / "template.yaml"
#: ``functions/<folder>`` → its logical id in template.yaml
FUNCTIONS = {
    "scrub": "ScrubFunction", "policy": "PolicyFunction", "request_approval": "RequestApprovalFunction",
    "approval_api": "ApprovalApiFunction", "approval_timer": "ApprovalTimerFunction", "publish": "PublishFunction",
    "staleness": "StalenessFunction", "comments": "CommentsFunction", "dead_letters": "DeadLettersFunction",
    "amend": "AmendFunction", "amend_api": "AmendApiFunction", "photo_events": "PhotoEventsFunction",
    "desk": "DeskFunction", "desk_authorizer": "DeskAuthorizerFunction",
}
#: resources of the local stack (pressroom_local.resources) → their logical ids in template.yaml
LOCAL = {
    "pressroom-raw": "RawBucket", "pressroom-clean": "CleanBucket", "pressroom": "PhotoTable",
    "pressroom-scrub": "ScrubQueue", "pressroom-policy": "PolicyQueue", "pressroom-approval": "ApprovalQueue",
    "pressroom-publish": "PublishQueue", "pressroom-scrub-dlq": "ScrubDeadLetterQueue",
    "pressroom-policy-dlq": "PolicyDeadLetterQueue", "pressroom-unhandled-dlq": "UnhandledDeadLetterQueue",
    "pressroom-amend": "AmendQueue", "pressroom-amend-dlq": "AmendDeadLetterQueue",
    "pressroom-photo-events-dlq": "PhotoEventsDeadLetterQueue",
}

# What each function's code calls, as IAM actions on resources ({placeholders} are resolved from the
# template: a logical id's ARN, {schedules} the schedule group's schedule ARNs, {identities} SES's).
# Every call a handler makes in the integration tests must match one of its entries; the role must
# grant exactly these beside what Lambda itself uses (logs, X-Ray, event sources, destinations).
_TABLE_WRITES = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
_MAIL = ("ses:SendRawEmail", "{identities}")  # mail.SesMailer
NEEDS: dict[str, list[tuple[str, str]]] = {
    "ScrubFunction": [
        ("s3:GetObjectVersion", "{RawBucket}/incoming/*"),  # intake: head_object, get_object of the version
        ("s3:GetObject", "{RawBucket}/incoming/*"),  # an event without a version id
        ("s3:ListBucket", "{RawBucket}"),  # a vanished original reads as NoSuchKey, not AccessDenied
        ("s3:PutObject", "{CleanBucket}/clean/*"),
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),  # notices: quarantined
    ],
    "PolicyFunction": [
        ("s3:GetObject", "{CleanBucket}/clean/*"),
        ("rekognition:DetectFaces", "*"), ("rekognition:DetectModerationLabels", "*"),  # guidance.detector
        ("rekognition:DetectText", "*"),
        ("lambda:InvokeFunction", "{AnalysisFunction}"),  # adapters.local_vision.AnalysisFunctionDetector
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],
        ("sqs:SendMessage", "{ApprovalQueue}"),
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),  # notices: blocked
    ],
    "RequestApprovalFunction": [
        ("s3:GetObject", "{CleanBucket}/clean/*"),  # the emailed thumbnail
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],
        _MAIL, ("ssm:GetParameter", "{ApproversParameter}"),
        ("ssm:GetParameter", "{SafeguardingLeadsParameter}"),  # who a photo routed to the group waits for
        ("ssm:GetParameter", "{PressOfficeParameter}"),  # told when there are no approvers to ask
        ("secretsmanager:GetSecretValue", "{ApprovalSigningKey}"),
        ("scheduler:CreateSchedule", "{schedules}/approval-reminder-*"),  # Timers.arm: create, else update
        ("scheduler:UpdateSchedule", "{schedules}/approval-reminder-*"),
        ("scheduler:CreateSchedule", "{schedules}/approval-expiry-*"),
        ("scheduler:UpdateSchedule", "{schedules}/approval-expiry-*"),
        ("scheduler:GetSchedule", "{schedules}/approval-expiry-*"),  # a later approver's link ends no later
        ("iam:PassRole", "{ApprovalSchedulerRole}"),
    ],
    "ApprovalApiFunction": [
        ("s3:GetObject", "{CleanBucket}/clean/*"),  # the presigned preview on the review page
        ("s3:PutObject", "{CleanBucket}/redacted/*"),  # the blurred copy an approval asks for
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES], ("dynamodb:Query", "{PhotoTable}"),  # the audit trail
        ("sqs:SendMessage", "{PublishQueue}"),
        _MAIL, ("ssm:GetParameter", "{ApproversParameter}"), ("ssm:GetParameter", "{PressOfficeParameter}"),
        ("ssm:GetParameter", "{SafeguardingLeadsParameter}"),  # second approvers: who may decide, who to ask
        ("secretsmanager:GetSecretValue", "{ApprovalSigningKey}"),
        ("scheduler:CreateSchedule", "{schedules}/publish-check-*"),
        ("scheduler:UpdateSchedule", "{schedules}/publish-check-*"),
        ("scheduler:DeleteSchedule", "{schedules}/publish-check-*"),  # an approval that lost the race
        ("scheduler:GetSchedule", "{schedules}/approval-expiry-*"),  # second approvers' links end with the photo
        ("scheduler:DeleteSchedule", "{schedules}/approval-reminder-*"),  # a decision disarms both
        ("scheduler:DeleteSchedule", "{schedules}/approval-expiry-*"),
        ("iam:PassRole", "{ApprovalSchedulerRole}"),
    ],
    "DeskFunction": [
        ("s3:PutObject", "{RawBucket}/incoming/*"),  # the presigned POSTs of the upload form
        ("s3:GetObject", "{CleanBucket}/clean/*"),  # the presigned preview on the review page
        ("dynamodb:GetItem", "{PhotoTable}"), ("dynamodb:Query", "{PhotoTable}"),  # a photo, its audit trail
        ("dynamodb:Query", "{PhotoTable}/index/by-state"),  # my photos, the approval queue
        ("dynamodb:PutItem", "{PhotoTable}"),  # the desk's audit events (DESK#<month>)
        ("ssm:GetParameter", "{ApproversParameter}"), ("ssm:GetParameter", "{SafeguardingLeadsParameter}"),
        ("secretsmanager:GetSecretValue", "{ApprovalSigningKey}"),  # review links, CSRF tokens
        ("dynamodb:BatchGetItem", "{PhotoTable}"), ("dynamodb:Query", "{PhotoTable}/index/by-event"),  # reports
        ("secretsmanager:GetSecretValue", "{FlickrSecret}"),  # the inbox: replies, deletions on Flickr
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"), ("ssm:GetParameter", "{ControlRoomParameter}"),
    ],
    "DeskAuthorizerFunction": [],  # verifies tokens against the user pool's public keys
    "ApprovalTimerFunction": [
        ("s3:GetObject", "{CleanBucket}/clean/*"),  # the reminder's thumbnail
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],
        ("sqs:SendMessage", "{PublishQueue}"),  # the publish check
        _MAIL, ("ssm:GetParameter", "{ApproversParameter}"), ("ssm:GetParameter", "{PressOfficeParameter}"),
        ("ssm:GetParameter", "{SafeguardingLeadsParameter}"),  # second approvers: who may decide, who to ask
        ("secretsmanager:GetSecretValue", "{ApprovalSigningKey}"),
        ("scheduler:GetSchedule", "{schedules}/approval-expiry-*"),  # the reminder says when it expires
        ("scheduler:DeleteSchedule", "{schedules}/approval-reminder-*"),  # expiry disarms the reminder
        ("scheduler:CreateSchedule", "{schedules}/approval-reminder-*"),  # while nobody can be asked, the
        ("scheduler:UpdateSchedule", "{schedules}/approval-reminder-*"),  # reminder re-arms itself
        ("iam:PassRole", "{ApprovalSchedulerRole}"),
    ],
    "PublishFunction": [
        ("s3:GetObject", "{CleanBucket}/clean/*"),
        ("s3:GetObject", "{CleanBucket}/redacted/*"),  # the blurred copy, when the approval asked for it
        ("s3:ListBucket", "{CleanBucket}"),  # a missing scrubbed copy reads as NoSuchKey, not AccessDenied
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],
        ("secretsmanager:GetSecretValue", "{FlickrSecret}"),
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),  # publish failed
        ("scheduler:CreateSchedule", "{schedules}/stale-account"),  # ReminderTimer.after_publish
        ("scheduler:UpdateSchedule", "{schedules}/stale-account"),
        ("iam:PassRole", "{StalenessSchedulerRole}"),
        ("scheduler:CreateSchedule", "{schedules}/publish-at-*"),  # an embargoed photo held until publish-at
        ("scheduler:UpdateSchedule", "{schedules}/publish-at-*"),
        ("iam:PassRole", "{PublishAtSchedulerRole}"),
    ],
    "StalenessFunction": [
        ("dynamodb:GetItem", "{PhotoTable}"), ("dynamodb:Query", "{PhotoTable}/index/by-state"),
        ("dynamodb:UpdateItem", "{PhotoTable}"),  # the ACCOUNT item only (a condition in the role)
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),
        ("scheduler:CreateSchedule", "{schedules}/stale-account"),
        ("scheduler:UpdateSchedule", "{schedules}/stale-account"),
        ("iam:PassRole", "{StalenessSchedulerRole}"),
    ],
    "CommentsFunction": [
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES], ("dynamodb:Query", "{PhotoTable}/index/by-state"),
        ("dynamodb:Query", "{PhotoTable}"),  # a day's digest (PK=DIGEST#<day>; a condition in the role)
        ("secretsmanager:GetSecretValue", "{FlickrSecret}"),
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"), ("ssm:GetParameter", "{ControlRoomParameter}"),
        ("scheduler:GetSchedule", "{schedules}/stale-account"),  # ReminderTimer.ensure_armed
        ("scheduler:CreateSchedule", "{schedules}/stale-account"),
        ("scheduler:UpdateSchedule", "{schedules}/stale-account"),
        ("iam:PassRole", "{StalenessSchedulerRole}"),
    ],
    "DeadLettersFunction": [
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],  # photo items only (a condition in the role)
        ("sqs:SendMessage", "{ApprovalQueue}"),
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),
    ],
    "AmendFunction": [
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],  # photo items only: TAKING_DOWN → TAKEN_DOWN, corrections
        ("secretsmanager:GetSecretValue", "{FlickrSecret}"),
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),  # the uploader told; still up after every attempt
    ],
    "AmendApiFunction": [
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES], ("dynamodb:Query", "{PhotoTable}"),  # the audit trail
        ("ssm:GetParameter", "{ApproversParameter}"), ("ssm:GetParameter", "{PressOfficeParameter}"),
        ("ssm:GetParameter", "{SafeguardingLeadsParameter}"),  # a correction's reviewers: approvers and groups
        ("secretsmanager:GetSecretValue", "{PublishedLinksKey}"),
    ],
    "PhotoEventsFunction": [
        *[(a, "{PhotoTable}") for a in _TABLE_WRITES],  # photo items; an album's batch members and claims
        ("dynamodb:Query", "{PhotoTable}"),  # an album's open batch
        ("sqs:SendMessage", "{AmendQueue}"),
        ("s3:GetObject", "{CleanBucket}/clean/*"),  # thumbnails of the batch email
        _MAIL, ("ssm:GetParameter", "{PressOfficeParameter}"),
        ("secretsmanager:GetSecretValue", "{PublishedLinksKey}"), ("secretsmanager:GetSecretValue", "{CrosspostSecret}"),
        ("events:PutEvents", "{default_bus}"),  # BatchPublished
    ],
}


# -- the template, resolved for a stack called "pressroom" ----------------------------------------
class CfnLoader(yaml.SafeLoader):
    """A SafeLoader that reads CloudFormation short-form tags (``!Ref X`` → ``{"Ref": "X"}``)."""


def _tag(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


CfnLoader.add_multi_constructor("!", _tag)


@lru_cache(maxsize=1)
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def parameters() -> dict[str, str]:
    params = {name: str(p.get("Default", "")) for name, p in template()["Parameters"].items()}
    params.update({"SenderAddress": SENDER, "AlarmEmail": "alarms@press-office.example"})
    return params


def resolve(value: Any) -> Any:
    """A template value as CloudFormation would make it (generated names: ``pressroom-<LogicalId>``)."""
    if isinstance(value, list):
        return [resolve(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "Ref" in value:
        return _ref(value["Ref"])
    if "Fn::GetAtt" in value:
        return _get_att(*value["Fn::GetAtt"])
    if "Fn::Sub" in value:
        text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
        return re.sub(r"\$\{([^}]+)\}", lambda m: _substitute(m.group(1)), text)
    if "Fn::If" in value:
        condition, yes, no = value["Fn::If"]
        return resolve(yes if _condition(condition) else no)
    return {k: resolve(v) for k, v in value.items()}


def _substitute(name: str) -> str:
    """What ``${name}`` in a ``!Sub`` stands for: a Ref, or ``${Logical.Attribute}``."""
    if "." in name and not name.startswith("AWS::"):
        return _get_att(*name.split(".", 1))
    return _ref(name)


def _condition(name: str) -> bool:
    def evaluate(expr: Any) -> Any:
        if isinstance(expr, dict) and "Fn::Not" in expr:
            return not evaluate(expr["Fn::Not"][0])
        if isinstance(expr, dict) and "Fn::Equals" in expr:
            a, b = expr["Fn::Equals"]
            return resolve(a) == resolve(b)
        return resolve(expr)
    return bool(evaluate(template()["Conditions"][name]))


def _name(logical: str) -> str:
    """The physical name of a resource: its Name-like property, else one CloudFormation generates."""
    props = template()["Resources"][logical].get("Properties", {})
    for key in ("BucketName", "FunctionName", "LogGroupName", "Name", "QueueName", "TableName", "RoleName"):
        if key in props:
            return resolve(props[key])
    return f"{STACK}-{logical}"


def _ref(name: str) -> str:
    pseudo = {"AWS::StackName": STACK, "AWS::AccountId": ACCOUNT, "AWS::Region": REGION, "AWS::Partition": "aws",
              "AWS::URLSuffix": "amazonaws.com"}
    if name in pseudo:
        return pseudo[name]
    if name in template()["Parameters"]:
        return parameters()[name]
    kind = template()["Resources"][name]["Type"]
    if kind == "AWS::SQS::Queue":
        return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{_name(name)}"
    if kind == "AWS::SecretsManager::Secret":
        return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{_name(name)}-AbCdEf"
    if kind == "AWS::SNS::Topic":
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{_name(name)}"
    return _name(name)


def _get_att(logical: str, attribute: str) -> str:
    kind, name = template()["Resources"][logical]["Type"], _name(logical)
    if attribute == "QueueName":
        return name
    if attribute == "StreamArn" and kind == "AWS::DynamoDB::Table":
        return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}/stream/{STREAM_LABEL}"
    assert attribute == "Arn", f"{logical}.{attribute}"
    return {
        "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
        "AWS::SQS::Queue": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}",
        "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        "AWS::Logs::LogGroup": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{name}:*",
        "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "AWS::Serverless::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "AWS::Lambda::Function": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}",
        "AWS::Scheduler::ScheduleGroup": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule-group/{name}",
    }[kind]


def arn_of(logical: str) -> str:
    """What a ``{Logical}`` placeholder in :data:`NEEDS` stands for."""
    resource = template()["Resources"][logical]
    if resource["Type"] in ("AWS::SecretsManager::Secret",):
        return _ref(logical)
    if resource["Type"] == "AWS::SSM::Parameter":
        return f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{_name(logical)}"
    return _get_att(logical, "Arn")


def needed(function: str) -> set[tuple[str, str]]:
    """:data:`NEEDS` of ``function`` with the placeholders resolved."""
    group = resolve({"Ref": "PressroomScheduleGroup"})
    fixed = {"schedules": f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{group}",
             "identities": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/*",
             "default_bus": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default"}
    return {(action, re.sub(r"\{(\w+)\}", lambda m: fixed.get(m.group(1)) or arn_of(m.group(1)), pattern))
            for action, pattern in NEEDS[function]}


def role_of(function: str) -> str:
    return template()["Resources"][function]["Properties"]["Role"]["Fn::GetAtt"][0]


def environment(function: str) -> dict[str, str]:
    """A function's environment as SAM merges it (Globals, then its own), resolved."""
    merged = dict(template()["Globals"]["Function"]["Environment"]["Variables"])
    merged.update(template()["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {}))
    return {k: str(resolve(v)) for k, v in merged.items()}


def role_statements(role: str) -> list[dict[str, Any]]:
    """The statements of a role's inline policies, resolved."""
    props = template()["Resources"][role]["Properties"]
    return [resolve(s) for p in props.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def bucket_policy(bucket_name: str) -> list[dict[str, Any]]:
    for r in template()["Resources"].values():
        if r["Type"] == "AWS::S3::BucketPolicy" and resolve(r["Properties"]["Bucket"]) == bucket_name:
            return [resolve(s) for s in r["Properties"]["PolicyDocument"]["Statement"]]
    return []


def topic_policy(topic: str) -> list[dict[str, Any]]:
    """The statements of the policies attached to topic ``topic`` (a logical id), resolved."""
    return [resolve(s) for r in template()["Resources"].values()
            if r["Type"] == "AWS::SNS::TopicPolicy" and {"Ref": topic} in r["Properties"]["Topics"]
            for s in r["Properties"]["PolicyDocument"]["Statement"]]


# -- evaluating a request -------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One authorisation AWS makes: ``action`` on ``resource`` with condition-key values."""

    action: str
    resource: str
    context: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: the role asked (None: the calling function's own)
    principal: str | None = None

    def __str__(self) -> str:
        extra = f" {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{extra}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _like(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern)


_SINGLE = {
    "StringEquals": lambda p, v: p == v, "StringLike": _like, "ArnEquals": lambda p, v: p == v, "ArnLike": _like,
    "Bool": lambda p, v: str(p).lower() == v.lower(),
}
_NEGATED = {"StringNotEquals": "StringEquals", "StringNotLike": "StringLike", "ArnNotEquals": "ArnEquals",
            "ArnNotLike": "ArnLike"}


def _conditions_hold(conditions: dict[str, Any], context: dict[str, tuple[str, ...]]) -> bool:
    """IAM's rules, with its treatment of a key the request lacks: a negated operator and
    ``ForAllValues:`` hold, any other operator fails."""
    for operator, tests in conditions.items():
        for key, wanted in tests.items():
            patterns = [str(p) for p in _as_list(wanted)]
            values = context.get(key)
            if operator.startswith("ForAllValues:"):
                match = _SINGLE[operator.split(":", 1)[1]]
                held = values is None or all(any(match(p, v) for p in patterns) for v in values)
            elif operator in _NEGATED:
                match = _SINGLE[_NEGATED[operator]]
                held = values is None or not any(match(p, v) for p in patterns for v in values)
            else:
                match = _SINGLE[operator]
                held = values is not None and any(match(p, v) for p in patterns for v in values)
            if not held:
                return False
    return True


def _applies(statement: dict[str, Any], request: Request) -> bool:
    assert "NotAction" not in statement and "NotResource" not in statement, statement
    return (any(fnmatch.fnmatchcase(request.action.lower(), a.lower()) for a in _as_list(statement["Action"]))
            and any(_like(r, request.resource) for r in _as_list(statement["Resource"]))
            and _conditions_hold(statement.get("Condition", {}), request.context))


def decision(role: str, request: Request) -> str:
    """``allowed``, or why not: IAM's evaluation of one request by ``role`` (identity policies, and
    the bucket policy for S3 objects)."""
    statements = role_statements(role)
    if request.resource.startswith("arn:aws:s3:::"):
        context = {**request.context, "aws:PrincipalArn": (_get_att(role, "Arn"),), "aws:SecureTransport": ("true",)}
        bucket = request.resource.removeprefix("arn:aws:s3:::").split("/", 1)[0]
        for s in bucket_policy(bucket):
            if s["Effect"] == "Deny" and _applies(s, Request(request.action, request.resource, context)):
                return f"denied by the bucket policy ({s.get('Sid', '?')})"
    if any(s["Effect"] == "Deny" and _applies(s, request) for s in statements):
        return "denied by the role"
    if any(s["Effect"] == "Allow" and _applies(s, request) for s in statements):
        return "allowed"
    return f"not allowed by {role}"


def service_decision(statements: list[dict[str, Any]], service: str, request: Request) -> str:
    """``allowed``, or why not: a resource policy's verdict on a request by AWS service ``service``
    (which has no identity policy: a statement must name it, or every principal)."""
    def names(s: dict[str, Any]) -> bool:
        principal = s["Principal"]
        return principal == "*" or service in _as_list(principal.get("Service", []))
    if any(s["Effect"] == "Deny" and names(s) and _applies(s, request) for s in statements):
        return "denied by the resource policy"
    if any(s["Effect"] == "Allow" and names(s) and _applies(s, request) for s in statements):
        return "allowed"
    return f"not allowed to {service}"


# -- AWS calls as IAM requests --------------------------------------------------------------------
def _deployed(local: str) -> str:
    """The deployed name of a local-stack resource name."""
    return _name(LOCAL[local]) if local in LOCAL else local


def _queue_arn(url: str) -> str:
    return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_deployed(url.rstrip('/').rsplit('/', 1)[-1])}"


def _partition_key(key: dict[str, Any]) -> tuple[str, ...]:
    return (key["PK"]["S"],) if "PK" in key else ()


def _item(action: str, table: str, key: dict[str, Any]) -> Request:
    """An item request; for a put, ``key`` is the whole item, whose attribute names it writes."""
    context = {"dynamodb:LeadingKeys": _partition_key(key)}
    if action == "dynamodb:PutItem":
        context["dynamodb:Attributes"] = tuple(key)
    return Request(action, f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{_deployed(table)}", context)


def _query(params: dict[str, Any]) -> Request:
    resource = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{_deployed(params['TableName'])}"
    if params.get("IndexName"):
        return Request("dynamodb:Query", f"{resource}/index/{params['IndexName']}")
    placeholder = re.search(r"\bPK\s*=\s*(:\w+)", params["KeyConditionExpression"])
    key = params["ExpressionAttributeValues"][placeholder.group(1)]["S"] if placeholder else None
    return Request("dynamodb:Query", resource, {"dynamodb:LeadingKeys": (key,)} if key else {})


def _schedule(action: str, params: dict[str, Any]) -> Request:
    return Request(action, f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{params['GroupName']}/{params['Name']}")


def requests_of(function: str, service: str, operation: str, params: dict[str, Any]) -> list[Request]:
    """The authorisations one AWS call by ``function`` needs in the deployed stack."""
    if service == "s3" and operation in ("GetObject", "HeadObject", "PutObject"):
        action = "s3:PutObject" if operation == "PutObject" else (
            "s3:GetObjectVersion" if params.get("VersionId") else "s3:GetObject")
        return [Request(action, f"arn:aws:s3:::{_deployed(params['Bucket'])}/{params['Key']}")]
    if service == "sqs" and operation == "SendMessage":
        return [Request("sqs:SendMessage", _queue_arn(params["QueueUrl"]))]
    if service == "dynamodb" and operation in ("GetItem", "PutItem", "UpdateItem", "DeleteItem"):
        return [_item(f"dynamodb:{operation}", params["TableName"], params.get("Key") or params["Item"])]
    if service == "dynamodb" and operation == "Query":
        return [_query(params)]
    if service == "dynamodb" and operation == "BatchGetItem":  # the monthly report's photo records
        return [_item("dynamodb:BatchGetItem", table, key) for table, spec in params["RequestItems"].items()
                for key in spec["Keys"]]
    if service == "dynamodb" and operation == "TransactWriteItems":
        kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem"}
        return [_item(f"dynamodb:{kinds[kind]}", spec["TableName"], spec.get("Key") or spec["Item"])
                for entry in params["TransactItems"] for kind, spec in entry.items()]
    if service == "ses" and operation == "SendRawEmail":
        return [Request("ses:SendRawEmail", f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{params['Source']}",
                        {"ses:FromAddress": (params["Source"],)})]
    if service == "ssm" and operation == "GetParameter":
        name = params["Name"] if params["Name"].startswith("/") else "/" + params["Name"]
        return [Request("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter{name}")]
    if service == "secretsmanager" and operation == "GetSecretValue":
        return [Request("secretsmanager:GetSecretValue",
                        f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{params['SecretId']}-AbCdEf")]
    if service == "scheduler" and operation in ("GetSchedule", "DeleteSchedule"):
        return [_schedule(f"scheduler:{operation}", params)]
    if service == "scheduler" and operation in ("CreateSchedule", "UpdateSchedule"):
        # the deployed function passes the role its environment names, whatever the local stack used:
        # a queue target (an embargoed photo's publish message) its publish-at role, else its timers'
        target = params["Target"]["Arn"]
        to_queue = target.startswith("arn:aws:sqs:")
        passed = environment(function).get("PRESSROOM_PUBLISH_AT_ROLE_ARN" if to_queue else "PRESSROOM_SCHEDULER_ROLE_ARN", "")
        role = next((name for name, r in template()["Resources"].items()
                     if r["Type"] == "AWS::IAM::Role" and _get_att(name, "Arn") == passed), None)
        # the schedule does its work only if the role it runs as may invoke (or send to) its target
        fires = (Request("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{_deployed(target.rsplit(':', 1)[-1])}",
                         principal=role or "(no role of the stack)") if to_queue else
                 Request("lambda:InvokeFunction", target, principal=role or "(no role of the stack)"))
        return [_schedule(f"scheduler:{operation}", params),
                Request("iam:PassRole", passed, {"iam:PassedToService": ("scheduler.amazonaws.com",)}), fires]
    if service == "events" and operation == "PutEvents":
        return [Request("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{e.get('EventBusName') or 'default'}")
                for e in params["Entries"]]
    if service == "rekognition" and operation.startswith("Detect"):
        return [Request(f"rekognition:{operation}", "*")]
    if service == "lambda" and operation == "Invoke":
        name = params["FunctionName"]
        return [Request("lambda:InvokeFunction",
                        name if name.startswith("arn:") else f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}")]
    raise LookupError(f"{service}.{operation}: no IAM mapping yet; add it to tests/permissions.py and NEEDS")


def problems(function: str, calls: list[tuple[str, str, dict[str, Any]]]) -> Iterator[str]:
    """What is wrong with ``function`` making ``calls`` (service, operation, parameters) when deployed."""
    logical = FUNCTIONS[function]
    listed = needed(logical)
    for service, operation, params in calls:
        for request in requests_of(logical, service, operation, params):
            role = request.principal or role_of(logical)
            if role not in template()["Resources"]:
                yield f"{logical} {service}.{operation}: {request}: {role}"
                continue
            verdict = decision(role, request)
            if verdict != "allowed":
                yield f"{logical} {service}.{operation}: {request}: {verdict}"
            if request.principal is None and not any(
                    a == request.action and _like(p, request.resource) for a, p in listed):
                yield f"{logical} {service}.{operation}: {request}: not listed in NEEDS"


# -- recording the calls a handler makes ----------------------------------------------------------
class Recorder:
    """Records the AWS calls made while a handler runs, by function."""

    def __init__(self) -> None:
        self.calls: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        self.running: list[str] = []

    def wrap(self, name: str, handler: Any) -> Any:
        """``handler`` of ``functions/<name>``, recorded. Each function runs in its own process when
        deployed, so it fetches its own parameters and secrets instead of finding another's cached."""
        def run(event: Any, context: Any) -> Any:
            reset_parameters()
            self.running.append(name)
            try:
                return handler(event, context)
            finally:
                self.running.pop()
        return run

    def note(self, service: str, operation: str, params: dict[str, Any]) -> None:
        if self.running:
            self.calls.setdefault(self.running[-1], []).append((service, operation, params))

    def problems(self) -> list[str]:
        return sorted({p for name, calls in self.calls.items() for p in problems(name, calls)})

