"""Security and wiring properties of template.yaml, and the sample events that go with it."""
from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import yaml

from pressroom.adapters.store import BY_EVENT_INDEX, BY_STATE_INDEX, PhotoStore
from pressroom.domain.photos import State
from pressroom.settings import Settings
from tests import permissions
from tests.permissions import CfnLoader

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


@pytest.fixture(scope="module")
def resources(template) -> dict[str, dict[str, Any]]:
    return template["Resources"]


def of_type(resources: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def mentions(value: Any, name: str) -> bool:
    """Whether a template value refers to resource ``name`` (Ref, GetAtt or inside a Sub)."""
    if isinstance(value, dict):
        if value.get("Ref") == name:
            return True
        if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] == name:
            return True
        if "Fn::Sub" in value:
            text = value["Fn::Sub"] if isinstance(value["Fn::Sub"], str) else value["Fn::Sub"][0]
            if "${" + name + "}" in text or "${" + name + "." in text:
                return True
        return any(mentions(v, name) for v in value.values())
    if isinstance(value, list):
        return any(mentions(v, name) for v in value)
    return False


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(resources: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(owning resource, statement) for every policy statement in the template."""
    for name, r in resources.items():
        props = r.get("Properties", {})
        policies = props.get("Policies", []) if r["Type"] != "AWS::Cognito::UserPool" else []  # its password policy
        documents = [p["PolicyDocument"] for p in policies]
        if "PolicyDocument" in props:
            documents.append(props["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                yield name, statement


def role_of(function: dict[str, Any]) -> str:
    role = function["Properties"]["Role"]
    assert role == {"Fn::GetAtt": [role["Fn::GetAtt"][0], "Arn"]}, "functions use a role defined here"
    return role["Fn::GetAtt"][0]


def env_of(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    """A function's environment as SAM merges it: Globals first, the function's own on top."""
    merged = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    merged.update(function["Properties"].get("Environment", {}).get("Variables", {}))
    return merged


def timeout_of(template: dict[str, Any], function: dict[str, Any]) -> int:
    return int(function["Properties"].get("Timeout", template["Globals"]["Function"]["Timeout"]))


def function_named(resources: dict[str, Any], arn: Any) -> str:
    """The function an ARN value names: a GetAtt, or a Sub built from its FunctionName."""
    if "Fn::GetAtt" in arn:
        assert arn["Fn::GetAtt"][1] == "Arn"
        return arn["Fn::GetAtt"][0]
    prefix = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
    (found,) = [name for name, f in of_type(resources, "AWS::Serverless::Function").items()
                if arn["Fn::Sub"] == prefix + f["Properties"]["FunctionName"]["Fn::Sub"]]
    return found


def with_stack_name(value: Any, stack: str = "pressroom") -> str:
    """The value a ``!Sub`` on the stack name alone resolves to."""
    text = value["Fn::Sub"]
    assert "${" not in text.replace("${AWS::StackName}", ""), f"not only the stack name: {text}"
    return text.replace("${AWS::StackName}", stack)


# --------------------------------------------------------------------------------------------
# Buckets
# --------------------------------------------------------------------------------------------
def test_there_are_exactly_the_raw_clean_and_access_log_buckets(resources):
    assert set(of_type(resources, "AWS::S3::Bucket")) == {"RawBucket", "CleanBucket", "RawAccessLogBucket"}


@pytest.mark.parametrize("bucket", ["RawBucket", "CleanBucket", "RawAccessLogBucket"])
def test_bucket_is_private_encrypted_versioned_and_owner_enforced(resources, bucket):
    props = resources[bucket]["Properties"]
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms", "aws:kms:dsse"}
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert resources[bucket]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("bucket", ["RawBucket", "CleanBucket", "RawAccessLogBucket"])
def test_bucket_policy_refuses_plain_http(resources, bucket):
    (policy,) = [p for p in of_type(resources, "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": bucket}]
    tls = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
           if s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
    assert len(tls) == 1
    (statement,) = tls
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*" and statement["Action"] == "s3:*"
    targets = as_list(statement["Resource"])
    assert {"Fn::GetAtt": [bucket, "Arn"]} in targets
    assert {"Fn::Sub": "${" + bucket + ".Arn}/*"} in targets


def test_every_read_of_an_original_is_recorded_by_a_trail_of_its_own(resources):
    (name, trail), = of_type(resources, "AWS::CloudTrail::Trail").items()
    props = trail["Properties"]
    assert props["S3BucketName"] == {"Ref": "RawAccessLogBucket"} and props["IsLogging"] is True
    assert props["EnableLogFileValidation"] is True  # digest files show a log was altered or removed
    assert trail["DependsOn"] == "RawAccessLogBucketPolicy"  # CloudTrail checks it may write first
    (selector,) = props["AdvancedEventSelectors"]
    fields = {f["Field"]: f for f in selector["FieldSelectors"]}
    assert fields["eventCategory"] == {"Field": "eventCategory", "Equals": ["Data"]}
    assert fields["resources.type"] == {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}
    assert fields["resources.ARN"] == {"Field": "resources.ARN", "StartsWith": [{"Fn::Sub": "${RawBucket.Arn}/"}]}
    assert "readOnly" not in fields  # reads (GetObject, HeadObject) are what this trail is for
    assert with_stack_name(props["TrailName"]) == "pressroom-raw-access"


def test_the_access_log_bucket_takes_only_this_trails_logs_and_keeps_them_locked(template, resources):
    props = resources["RawAccessLogBucket"]["Properties"]
    retention = {"Ref": "AccessLogRetentionDays"}
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled", "Rule": {
        "DefaultRetention": {"Mode": "GOVERNANCE", "Days": retention}}}
    (expire,) = [r for r in props["LifecycleConfiguration"]["Rules"] if "ExpirationInDays" in r]
    assert expire["ExpirationInDays"] == retention  # never before the lock ends
    assert "NotificationConfiguration" not in props
    (policy,) = [p["Properties"]["PolicyDocument"]["Statement"] for p in of_type(resources, "AWS::S3::BucketPolicy").values()
                 if p["Properties"]["Bucket"] == {"Ref": "RawAccessLogBucket"}]
    allows = [s for s in policy if s["Effect"] == "Allow"]
    assert {s["Principal"]["Service"] for s in allows} == {"cloudtrail.amazonaws.com"}
    trail = "arn:${AWS::Partition}:cloudtrail:${AWS::Region}:${AWS::AccountId}:trail/${AWS::StackName}-raw-access"
    assert all(s["Condition"] == {"StringEquals": {"aws:SourceArn": {"Fn::Sub": trail}}} for s in allows)
    assert {a for s in allows for a in as_list(s["Action"])} == {"s3:GetBucketAcl", "s3:PutObject"}
    (deletes,) = [s for s in policy if s["Effect"] == "Deny" and "s3:DeleteObject" in as_list(s["Action"])]
    assert deletes["Principal"] == "*" and "Condition" not in deletes
    assert set(as_list(deletes["Action"])) >= {"s3:DeleteObject", "s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"}
    readers = [owner for owner, s in statements(resources) if s["Effect"] == "Allow"
               and mentions(s.get("Resource"), "RawAccessLogBucket") and owner != "RawAccessLogBucketPolicy"]
    assert readers == []  # no role of ours may read or write the logs
    assert int(template["Parameters"]["AccessLogRetentionDays"]["MinValue"]) >= 90


def test_raw_bucket_expires_originals_and_aborted_uploads(resources):
    rules = resources["RawBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    (expire,) = [r for r in rules if "ExpirationInDays" in r]
    assert expire["Status"] == "Enabled" and "Prefix" not in expire and "Filter" not in expire
    assert expire["ExpirationInDays"] == {"Ref": "RawRetentionDays"}
    assert expire["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    assert expire["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1


def test_clean_bucket_expires_replaced_copies_which_nothing_reads(resources):
    """A re-scrub replaces a clean copy under the same key; the old version is read by no role, so it
    must not live for ever (nor an aborted upload, nor the delete marker left of a removed copy)."""
    rules = resources["CleanBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert all(r["Status"] == "Enabled" and "Prefix" not in r and "Filter" not in r for r in rules)
    (replaced,) = [r for r in rules if "NoncurrentVersionExpiration" in r]
    assert replaced["NoncurrentVersionExpiration"] == {"NoncurrentDays": 1}
    assert replaced["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] >= 1
    assert any(r.get("ExpiredObjectDeleteMarker") for r in rules)
    clean = permissions.arn_of("CleanBucket")
    for role in of_type(resources, "AWS::IAM::Role"):
        for s in permissions.role_statements(role):
            if any(r.startswith(clean) for r in as_list(s["Resource"])):
                assert not any(fnmatch.fnmatchcase("s3:GetObjectVersion", a) for a in as_list(s["Action"])), role


def test_dead_letter_notices_promise_originals_no_longer_than_the_lifecycle_keeps_them(resources):
    """Originals (GPS, serials, names) go RawRetentionDays after upload, and a day after an upload
    under the same key replaces them: a notice must not say they are simply kept."""
    from pressroom.stages.dead_letters import scrubber_never_reached, scrubber_stopped

    (expire,) = [r for r in resources["RawBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
                 if "ExpirationInDays" in r]
    assert expire["NoncurrentVersionExpiration"]["NoncurrentDays"] == 1
    for reason in (scrubber_stopped(5), scrubber_never_reached(5)):
        assert "kept for an administrator only until it is deleted automatically" in reason
        assert "days after upload" in reason and "a day after a new upload under the same name" in reason


def test_raw_retention_outlives_the_dead_letter_queues(template, resources):
    dlq_days = max(q["Properties"]["MessageRetentionPeriod"] for q in of_type(resources, "AWS::SQS::Queue").values()
                   if "MessageRetentionPeriod" in q["Properties"]) / 86400
    assert template["Parameters"]["RawRetentionDays"]["MinValue"] > dlq_days


def test_an_approval_claim_outlives_its_function_and_not_the_queue_visibility(template, resources):
    from pressroom.stages.request_approval import CLAIM_LEASE

    running = timeout_of(template, resources["RequestApprovalFunction"])
    visibility = resources["ApprovalQueue"]["Properties"]["VisibilityTimeout"]
    assert running < CLAIM_LEASE.total_seconds() < visibility


@pytest.mark.parametrize(("bucket", "queue", "prefix"), [
    ("RawBucket", "ScrubQueue", "incoming/"),
    ("CleanBucket", "PolicyQueue", "clean/"),
])
def test_bucket_notifies_its_queue_which_admits_only_that_bucket(resources, bucket, queue, prefix):
    props = resources[bucket]["Properties"]
    (notification,) = props["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": prefix}]

    (policy_name, policy) = [(n, p) for n, p in of_type(resources, "AWS::SQS::QueuePolicy").items()
                             if p["Properties"]["Queues"] == [{"Ref": queue}]][0]
    assert resources[bucket]["DependsOn"] == policy_name, "S3 validates the destination on create"
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    source = statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"]
    assert source == "arn:${AWS::Partition}:s3:::" + props["BucketName"]["Fn::Sub"]
    assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert not mentions(policy, bucket), "the queue policy must not depend on the bucket (a cycle)"


# --------------------------------------------------------------------------------------------
# Who may read originals
# --------------------------------------------------------------------------------------------
def _reads_objects(statement: dict[str, Any]) -> bool:
    return any(fnmatch.fnmatchcase("s3:GetObject", a) or fnmatch.fnmatchcase("s3:GetObjectVersion", a)
               for a in as_list(statement["Action"]))


def test_only_the_scrub_role_is_allowed_to_read_originals(resources):
    readers = {owner for owner, s in statements(resources)
               if s["Effect"] == "Allow" and _reads_objects(s)
               and any(r == "*" or mentions(r, "RawBucket") for r in as_list(s["Resource"]))}
    assert readers == {"ScrubRole"}
    assert role_of(resources["ScrubFunction"]) == "ScrubRole"
    others = [name for name, f in of_type(resources, "AWS::Serverless::Function").items() if name != "ScrubFunction"]
    assert all(role_of(resources[name]) != "ScrubRole" for name in others)


def test_raw_bucket_policy_denies_reads_to_everyone_but_scrub(resources):
    document = resources["RawBucketPolicy"]["Properties"]["PolicyDocument"]
    (deny,) = [s for s in document["Statement"] if s["Effect"] == "Deny" and _reads_objects(s)
               and "ArnNotEquals" in s.get("Condition", {})]
    assert deny["Principal"] == "*"
    for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging"):
        assert any(fnmatch.fnmatchcase(action, a) for a in as_list(deny["Action"])), action
    assert deny["Resource"] == {"Fn::Sub": "${RawBucket.Arn}/*"}
    assert deny["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["ScrubRole", "Arn"]}}}


def test_uploaders_may_only_put_into_incoming(resources):
    (statement,) = resources["UploaderPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert statement == {"Sid": "UploadOriginals", "Effect": "Allow", "Action": "s3:PutObject",
                         "Resource": {"Fn::Sub": "${RawBucket.Arn}/incoming/*"}}


# --------------------------------------------------------------------------------------------
# IAM in general
# --------------------------------------------------------------------------------------------
def test_no_allow_statement_grants_a_wildcard_action(resources):
    for owner, s in statements(resources):
        if s["Effect"] == "Allow":
            for action in as_list(s["Action"]):
                assert "*" not in action, f"{owner}: {action}"


def test_wildcard_resources_only_for_actions_that_require_them(resources):
    needs_star = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "rekognition:DetectFaces",
                  "rekognition:DetectModerationLabels", "rekognition:DetectText"}
    for owner, s in statements(resources):
        if s["Effect"] == "Allow" and "*" in as_list(s["Resource"]):
            assert set(as_list(s["Action"])) <= needs_star, owner


def test_no_deny_or_allow_uses_the_bare_star_action(resources):
    assert all("*" not in as_list(s["Action"]) for _, s in statements(resources))


def test_mail_can_only_be_sent_as_the_sender(resources):
    for owner, s in statements(resources):
        if any(a.startswith("ses:") for a in as_list(s["Action"])):
            assert s["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderAddress"}}}, owner


#: each role schedules run as → the one function its schedules invoke
SCHEDULER_ROLES = {"ApprovalSchedulerRole": "ApprovalTimerFunction", "StalenessSchedulerRole": "StalenessFunction",
                   "CommentsSchedulerRole": "CommentsFunction"}
#: each role schedules run as that sends a message instead → the one queue it may send to
SCHEDULER_QUEUE_ROLES = {"PublishAtSchedulerRole": "PublishQueue"}
#: each function role that arms schedules → the scheduler roles it may pass them
PASSES = {"RequestApprovalRole": {"ApprovalSchedulerRole"}, "ApprovalApiRole": {"ApprovalSchedulerRole"},
          "ApprovalTimerRole": {"ApprovalSchedulerRole"}, "PublishRole": {"StalenessSchedulerRole", "PublishAtSchedulerRole"},
          "StalenessRole": {"StalenessSchedulerRole"}, "CommentsRole": {"StalenessSchedulerRole"}}
#: the environment variable telling a function the ARN of each scheduler role it passes
PASSED_IN = {"PublishAtSchedulerRole": "PRESSROOM_PUBLISH_AT_ROLE_ARN"}


#: what every timer ran as before: kept so that timers armed with it still fire; nobody may pass it
LEGACY_SCHEDULER_ROLE = "SchedulerRole"


def test_each_scheduler_role_invokes_one_function_for_schedules_of_the_group(resources):
    """A function that may arm one kind of timer cannot make a schedule invoke another function."""
    assumed_by_scheduler = {name for name, r in of_type(resources, "AWS::IAM::Role").items()
                            for s in r["Properties"]["AssumeRolePolicyDocument"]["Statement"]
                            if s["Principal"] == {"Service": "scheduler.amazonaws.com"}}
    assert assumed_by_scheduler == set(SCHEDULER_ROLES) | set(SCHEDULER_QUEUE_ROLES) | {LEGACY_SCHEDULER_ROLE}
    for name, target in {**SCHEDULER_ROLES, **SCHEDULER_QUEUE_ROLES}.items():
        role = resources[name]["Properties"]
        (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                                      "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["PressroomScheduleGroup", "Arn"]}}}
        (policy,) = role["Policies"]
        (statement,) = policy["PolicyDocument"]["Statement"]
        if name in SCHEDULER_QUEUE_ROLES:
            assert statement["Action"] == "sqs:SendMessage" and statement["Resource"] == {"Fn::GetAtt": [target, "Arn"]}
            continue
        assert statement["Action"] == "lambda:InvokeFunction"
        assert function_named(resources, statement["Resource"]) == target, name
    poll = resources["CommentsFunction"]["Properties"]["Events"]["Every15Minutes"]["Properties"]
    assert poll["RoleArn"] == {"Fn::GetAtt": ["CommentsSchedulerRole", "Arn"]}


def test_each_schedule_creator_may_pass_only_the_role_of_its_timers(template, resources):
    passers: dict[str, set[str]] = {}  # the legacy role is not among PASSES: no new timer runs as it
    for owner, s in statements(resources):
        if "iam:PassRole" in as_list(s["Action"]):
            assert s["Condition"] == {"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}}
            passers.setdefault(owner, set()).add(s["Resource"]["Fn::GetAtt"][0])
    assert passers == PASSES
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        env = env_of(template, f)
        for passed in PASSES.get(role_of(f), set()):
            assert env.get(PASSED_IN.get(passed, "PRESSROOM_SCHEDULER_ROLE_ARN")) == {"Fn::GetAtt": [passed, "Arn"]}, name
        if role_of(f) not in PASSES:
            assert "PRESSROOM_SCHEDULER_ROLE_ARN" not in env and "PRESSROOM_PUBLISH_AT_ROLE_ARN" not in env, name


def test_scheduler_grants_name_the_schedules_the_code_makes(resources):
    """Each role reaches only its own kind of timer, by the names pressroom gives them."""
    from pressroom.domain.approvals import (
        expiry_schedule,
        publish_check_schedule,
        reminder_schedule,
    )
    from pressroom.stages.publish import publish_at_schedule
    from pressroom.stages.staleness import SCHEDULE

    group = "arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${PressroomScheduleGroup}/"
    names = {reminder_schedule("*"), expiry_schedule("*"), publish_check_schedule("*"), SCHEDULE, publish_at_schedule("*")}
    for owner, s in statements(resources):
        if any(a.startswith("scheduler:") for a in as_list(s["Action"])):
            for resource in as_list(s["Resource"]):
                assert resource["Fn::Sub"].removeprefix(group) in names, owner


# --------------------------------------------------------------------------------------------
# Queues
# --------------------------------------------------------------------------------------------
def _dead_letter_queues(resources) -> set[str]:
    targets = {q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
               for q in of_type(resources, "AWS::SQS::Queue").values() if "RedrivePolicy" in q["Properties"]}
    for f in of_type(resources, "AWS::Serverless::Function").values():
        on_failure = f["Properties"].get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
        for event in f["Properties"].get("Events", {}).values():  # a stream's failed records
            on_failure = on_failure or event["Properties"].get("DestinationConfig", {}).get("OnFailure")
        if on_failure:
            assert on_failure["Type"] == "SQS"
            targets.add(on_failure["Destination"]["Fn::GetAtt"][0])
    return targets


#: dead-letter queues the dead-letter function consumes (a function killed on its last attempt)
DEAD_LETTER_FUNCTION_QUEUES = {"ScrubDeadLetterQueue", "PolicyDeadLetterQueue"}
#: ... and those consumed at all: the publish function consumes its own
CONSUMED_DEAD_LETTER_QUEUES = DEAD_LETTER_FUNCTION_QUEUES | {"PublishDeadLetterQueue"}


def test_every_work_queue_redrives_to_a_fourteen_day_dead_letter_queue(resources):
    queues = of_type(resources, "AWS::SQS::Queue")
    dlqs = _dead_letter_queues(resources)
    work = set(queues) - dlqs
    assert work == {"ScrubQueue", "PolicyQueue", "ApprovalQueue", "PublishQueue", "AmendQueue"}
    for name in work:
        redrive = queues[name]["Properties"]["RedrivePolicy"]
        assert redrive["maxReceiveCount"] == 5, name
        assert redrive["deadLetterTargetArn"]["Fn::GetAtt"][0] in dlqs
    for name in dlqs:
        assert queues[name]["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600, name
        if name not in CONSUMED_DEAD_LETTER_QUEUES:
            assert "RedrivePolicy" not in queues[name]["Properties"], name


def test_consumed_dead_letter_queues_end_in_one_nothing_consumes(resources):
    """A dead letter the dead-letter function keeps failing on moves on once, and stops there."""
    queues = of_type(resources, "AWS::SQS::Queue")
    for name in CONSUMED_DEAD_LETTER_QUEUES:
        redrive = queues[name]["Properties"]["RedrivePolicy"]
        target = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert target == "UnhandledDeadLetterQueue" and "RedrivePolicy" not in queues[target]["Properties"]
        # the receive count carries over from the work queue (5): room for attempts of its own
        assert redrive["maxReceiveCount"] >= 2 * 5, name
    consumed = {event["Properties"]["Queue"]["Fn::GetAtt"][0]
                for f in of_type(resources, "AWS::Serverless::Function").values()
                for event in f["Properties"].get("Events", {}).values() if event["Type"] == "SQS"}
    assert consumed & _dead_letter_queues(resources) == CONSUMED_DEAD_LETTER_QUEUES


def test_dead_letter_alarms_watch_the_count_the_dead_letter_function_emits(template, resources):
    """Consumed at once, those queues never show a visible message long enough to alarm on."""
    from pressroom.stages.dead_letters import PREFIXES

    env = template["Globals"]["Function"]["Environment"]["Variables"]
    watched = {}
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        p = alarm["Properties"]
        if p["Namespace"] == env["POWERTOOLS_METRICS_NAMESPACE"]:
            # Powertools adds the service as the one dimension of every metric
            assert p["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}], name
            assert p["Statistic"] == "Sum" and p["Threshold"] == 0 and p["ComparisonOperator"] == "GreaterThanThreshold"
            watched[p["MetricName"]] = name
    # functions/dead_letters/app.py names the metric after the stage of the object
    assert watched == {f"{stage.title()}DeadLetters": f"{stage.title()}DeadLetterAlarm" for stage in PREFIXES.values()} | {
        "PublishDeadLetters": "PublishDeadLetterAlarm"}
    assert {f"{stage.title()}DeadLetterQueue" for stage in PREFIXES.values()} == DEAD_LETTER_FUNCTION_QUEUES
    source = (ROOT / "functions" / "dead_letters" / "app.py").read_text()
    assert 'name=f"{stage.title()}DeadLetters"' in source
    assert 'name="PublishDeadLetters"' in (ROOT / "functions" / "publish" / "app.py").read_text()


def test_bucket_notification_prefixes_are_the_dead_letter_stages(resources):
    from pressroom.stages.dead_letters import POLICY, PREFIXES, SCRUB

    for bucket, stage in (("RawBucket", SCRUB), ("CleanBucket", POLICY)):
        (notification,) = resources[bucket]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
        assert PREFIXES[notification["Filter"]["S3Key"]["Rules"][0]["Value"]] == stage


def test_the_dead_letter_role_consumes_two_queues_and_touches_no_object(resources):
    """It never reads an original (only the scrub role may) nor a clean copy, and of the table only photos."""
    assert role_of(resources["DeadLettersFunction"]) == "DeadLettersRole"
    granted = {s["Sid"]: s for owner, s in statements(resources) if owner == "DeadLettersRole"}
    assert all(s["Effect"] == "Allow" for s in granted.values())
    actions = {a for s in granted.values() for a in as_list(s["Action"])}
    assert not {a for a in actions if a.startswith(("s3:", "secretsmanager:", "scheduler:", "iam:"))}
    consume = granted["ConsumeDeadLetters"]
    assert set(as_list(consume["Action"])) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert {r["Fn::GetAtt"][0] for r in as_list(consume["Resource"])} == DEAD_LETTER_FUNCTION_QUEUES
    assert [s["Resource"] for s in granted.values() if "sqs:SendMessage" in as_list(s["Action"])] == [
        {"Fn::GetAtt": ["ApprovalQueue", "Arn"]}]
    table = [s for s in granted.values() if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))]
    assert len(table) == 1
    assert set(as_list(table[0]["Action"])) == {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
    assert table[0]["Resource"] == {"Fn::GetAtt": ["PhotoTable", "Arn"]}
    assert table[0]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["PHOTO#*"]}}


def test_the_publish_role_may_tell_a_missing_scrubbed_copy_from_a_refusal(resources):
    """Without s3:ListBucket S3 answers a missing key AccessDenied, which the publish stage retries
    for hours as an AWS error instead of failing the photo at once; a prefix condition would not
    count, as a GetObject request carries no prefix."""
    granted = {s["Sid"]: s for owner, s in statements(resources) if owner == role_of(resources["PublishFunction"])}
    listing = granted["ListScrubbedCopies"]
    assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == {"Fn::GetAtt": ["CleanBucket", "Arn"]}
    assert "Condition" not in listing
    assert granted["ReadScrubbedCopies"]["Resource"] == {"Fn::Sub": "${CleanBucket.Arn}/clean/*"}


def test_every_queue_is_encrypted(resources):
    for name, q in of_type(resources, "AWS::SQS::Queue").items():
        props = q["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name


def test_every_dead_letter_queue_has_an_alarm(resources):
    alarmed = set()
    for alarm in of_type(resources, "AWS::CloudWatch::Alarm").values():
        p = alarm["Properties"]
        if p["Namespace"] == "AWS/SQS" and p["MetricName"] == "ApproximateNumberOfMessagesVisible":
            assert p["Threshold"] == 0 and p["ComparisonOperator"] == "GreaterThanThreshold"
            (dimension,) = p["Dimensions"]
            assert dimension["Name"] == "QueueName"
            alarmed.add(dimension["Value"]["Fn::GetAtt"][0])
    assert alarmed == _dead_letter_queues(resources)


def test_every_function_has_an_error_alarm(resources):
    watched = {a["Properties"]["Dimensions"][0]["Value"]["Ref"]
               for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
               if a["Properties"]["Namespace"] == "AWS/Lambda" and a["Properties"]["MetricName"] == "Errors"}
    assert watched == set(of_type(resources, "AWS::Serverless::Function")) | set(of_type(resources, "AWS::Lambda::Function"))


def test_every_work_queue_alarms_before_an_unconsumed_message_is_lost(resources):
    """A message nobody consumes (event source disabled, function unable to run) is deleted when its
    retention ends, without reaching a dead-letter queue: its photo would never get a state."""
    watched = {}
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        p = alarm["Properties"]
        if p["Namespace"] == "AWS/SQS" and p["MetricName"] == "ApproximateAgeOfOldestMessage":
            (dimension,) = p["Dimensions"]
            assert dimension["Name"] == "QueueName" and p["Statistic"] == "Maximum", name
            assert p["ComparisonOperator"] == "GreaterThanThreshold" and p["TreatMissingData"] == "notBreaching"
            watched[dimension["Value"]["Fn::GetAtt"][0]] = p["Threshold"]
    queues = of_type(resources, "AWS::SQS::Queue")
    work = set(queues) - _dead_letter_queues(resources)
    assert set(watched) == work
    for queue, threshold in watched.items():
        props = queues[queue]["Properties"]
        retried = props["RedrivePolicy"]["maxReceiveCount"] * props["VisibilityTimeout"]
        assert retried < threshold <= props["MessageRetentionPeriod"] / 4, queue  # no alarm on retries; days to act


def test_a_timer_scheduler_gave_up_on_alarms(resources):
    """An approval expiry that never fires leaves its photo waiting for ever: Scheduler drops an
    invocation (after its retries) without any queue seeing it."""
    (alarm,) = [a["Properties"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()
                if a["Properties"]["Namespace"] == "AWS/Scheduler"]
    assert alarm["MetricName"] == "InvocationDroppedCount"
    assert alarm["Dimensions"] == [{"Name": "ScheduleGroup", "Value": {"Ref": "PressroomScheduleGroup"}}]
    assert alarm["Statistic"] == "Sum" and alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold" and alarm["TreatMissingData"] == "notBreaching"


def test_every_alarm_notifies_a_required_address(template, resources):
    """An alarm with no action tells nobody: a dead letter or a failing function would go unseen."""
    email = template["Parameters"]["AlarmEmail"]
    assert "Default" not in email, "every deployment names who hears the alarms"
    assert email["AllowedPattern"] == "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"
    topic = resources["AlarmTopic"]
    assert "Condition" not in topic
    assert topic["Properties"]["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}]
    for name, alarm in of_type(resources, "AWS::CloudWatch::Alarm").items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
    assert template["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": "AlarmTopic"}


def test_the_alarm_topic_takes_this_accounts_alarms_and_refuses_plain_http(resources):
    """Its policy replaces SNS's default: CloudWatch (which publishes over TLS) must still be allowed to
    deliver every alarm, and nobody may publish over plain HTTP."""
    from tests.permissions import ACCOUNT, REGION, Request

    (policy,) = of_type(resources, "AWS::SNS::TopicPolicy").values()
    assert policy["Properties"]["Topics"] == [{"Ref": "AlarmTopic"}]
    statements = permissions.topic_policy("AlarmTopic")
    topic = permissions.resolve({"Ref": "AlarmTopic"})
    assert topic.startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:")

    def publish(alarm: str, *, secure: str = "true", account: str = ACCOUNT) -> Request:
        return Request("sns:Publish", topic, {"aws:SecureTransport": (secure,), "aws:SourceArn": (alarm,),
                                              "aws:SourceAccount": (account,)})

    for name in of_type(resources, "AWS::CloudWatch::Alarm"):
        alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:pressroom-{name}-ABC123"
        assert permissions.service_decision(statements, "cloudwatch.amazonaws.com", publish(alarm)) == "allowed"
    alarm = f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:pressroom-ScrubErrorsAlarm-ABC123"
    assert permissions.service_decision(statements, "cloudwatch.amazonaws.com", publish(alarm, secure="false")) == (
        "denied by the resource policy")
    for principal in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):  # nobody, over plain HTTP
        refused = permissions.service_decision(statements, principal, publish(alarm, secure="false"))
        assert refused == "denied by the resource policy", principal
    other = f"arn:aws:cloudwatch:{REGION}:210987654321:alarm:theirs"
    assert permissions.service_decision(statements, "cloudwatch.amazonaws.com", publish(other, account="210987654321")) != (
        "allowed")
    assert permissions.service_decision(statements, "events.amazonaws.com", publish(alarm)) != "allowed"


def test_sqs_consumers_report_partial_failures_and_outlast_their_visibility_timeout(template, resources):
    consumed = {}
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        queues = []
        for event in f["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                consumed[queue] = name
                queues.append({"Fn::GetAtt": [queue, "Arn"]})
                assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"], name
                visibility = resources[queue]["Properties"]["VisibilityTimeout"]
                assert visibility >= 6 * timeout_of(template, f), name
        statement = [s for owner, s in statements(resources) if owner == role_of(f)
                     and "sqs:ReceiveMessage" in as_list(s["Action"])]
        assert [as_list(s["Resource"]) for s in statement] == ([queues] if queues else []), name
    assert consumed == {"ScrubQueue": "ScrubFunction", "PolicyQueue": "PolicyFunction",
                        "ApprovalQueue": "RequestApprovalFunction", "PublishQueue": "PublishFunction",
                        "ScrubDeadLetterQueue": "DeadLettersFunction", "PolicyDeadLetterQueue": "DeadLettersFunction",
                        "PublishDeadLetterQueue": "PublishFunction", "AmendQueue": "AmendFunction"}
    # an image that kills its invocation (out of memory or time) must not take batch-mates with it
    assert resources["ScrubFunction"]["Properties"]["Events"]["Uploads"]["Properties"]["BatchSize"] == 1
    assert resources["PolicyFunction"]["Properties"]["Events"]["ScrubbedCopies"]["Properties"]["BatchSize"] == 1
    assert resources["PublishFunction"]["Properties"]["Events"]["Approved"]["Properties"]["BatchSize"] == 1


#: the most emails one invocation of a mailing function sends a second (template.yaml, Mappings)
MAIL_PER_INVOCATION_SECOND = {"Scrub": 5, "RequestApproval": 4}


@pytest.mark.parametrize("function, event, key", [("ScrubFunction", "Uploads", "Scrub"),
                                                  ("RequestApprovalFunction", "ApprovalRequests", "RequestApproval")])
def test_mailing_event_sources_are_capped_to_the_ses_send_rate(template, resources, function, event, key):
    scaling = resources[function]["Properties"]["Events"][event]["Properties"]["ScalingConfig"]
    assert scaling == {"MaximumConcurrency": {"Fn::FindInMap": ["MailConcurrency", {"Ref": "SesMaxSendRate"}, key]}}
    rates = template["Parameters"]["SesMaxSendRate"]["AllowedValues"]
    assert template["Parameters"]["SesMaxSendRate"]["Default"] in rates and "1" in rates  # the sandbox's
    mapping = template["Mappings"]["MailConcurrency"]
    assert set(mapping) == set(rates)
    for rate in rates:
        cap = mapping[rate][key]
        assert 2 <= cap <= 1000  # what SQS event sources accept
        assert cap == max(2, int(rate) // MAIL_PER_INVOCATION_SECOND[key]), rate  # the most within the rate


# --------------------------------------------------------------------------------------------
# Table
# --------------------------------------------------------------------------------------------
def test_table_keys_index_ttl_recovery_and_encryption(resources):
    props = resources["PhotoTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "PK", "KeyType": "HASH"},
                                  {"AttributeName": "SK", "KeyType": "RANGE"}]
    index, events = props["GlobalSecondaryIndexes"]
    assert index["IndexName"] == BY_STATE_INDEX == "by-state"
    assert index["KeySchema"] == [{"AttributeName": "state", "KeyType": "HASH"},
                                  {"AttributeName": "updated_at", "KeyType": "RANGE"}]
    assert index["Projection"] == {"ProjectionType": "ALL"}
    assert events["IndexName"] == BY_EVENT_INDEX == "by-event"  # the monthly reports
    assert events["KeySchema"] == [{"AttributeName": "event", "KeyType": "HASH"},
                                   {"AttributeName": "at", "KeyType": "RANGE"}]
    assert events["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["detail"]}
    types = {a["AttributeName"]: a["AttributeType"] for a in props["AttributeDefinitions"]}
    assert types == {"PK": "S", "SK": "S", "state": "S", "updated_at": "S", "event": "S", "at": "S"}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"] == {"SSEEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_the_photo_events_function_follows_photo_records_of_the_stream(resources):
    """Only META items (the filter), old and new image, retried and bisected, failures kept."""
    f = resources["PhotoEventsFunction"]["Properties"]
    (event,) = f["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "DynamoDB" and props["Stream"] == {"Fn::GetAtt": ["PhotoTable", "StreamArn"]}
    assert props["StartingPosition"] == "TRIM_HORIZON" and props["BisectBatchOnFunctionError"] is True
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and 0 < props["MaximumRetryAttempts"] <= 10
    (pattern,) = props["FilterCriteria"]["Filters"]
    assert json.loads(pattern["Pattern"]) == {"dynamodb": {"Keys": {"SK": {"S": ["META"]}}}}
    assert props["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": ["PhotoEventsDeadLetterQueue", "Arn"]}
    import inspect

    from pressroom_local.emulator import StreamSource

    assert inspect.signature(StreamSource).parameters["sort_keys"].default == ("META",)


# --------------------------------------------------------------------------------------------
# Functions
# --------------------------------------------------------------------------------------------
FUNCTIONS = {
    "ScrubFunction": "scrub", "PolicyFunction": "policy", "RequestApprovalFunction": "request_approval",
    "ApprovalApiFunction": "approval_api", "ApprovalTimerFunction": "approval_timer",
    "PublishFunction": "publish", "StalenessFunction": "staleness", "CommentsFunction": "comments",
    "DeadLettersFunction": "dead_letters", "AmendFunction": "amend", "AmendApiFunction": "amend_api",
    "PhotoEventsFunction": "photo_events", "DeskFunction": "desk", "DeskAuthorizerFunction": "desk_authorizer",
}


RUNTIME = {"Fn::FindInMap": ["Lambda", "Python", "PythonRuntime"]}


def test_functions_share_runtime_layers_and_tracing(template, resources):
    assert set(of_type(resources, "AWS::Serverless::Function")) == set(FUNCTIONS)
    defaults = template["Globals"]["Function"]
    assert defaults["Runtime"] == RUNTIME and defaults["Architectures"] == ["arm64"]
    assert defaults["Tracing"] == "Active" and defaults["Handler"] == "app.lambda_handler"
    assert defaults["Layers"][0] == {"Ref": "PressroomLayer"} and len(defaults["Layers"]) == 2
    layer = resources["PressroomLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/pressroom/"
    assert layer["Properties"]["CompatibleRuntimes"] == [RUNTIME]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    assert layer["Metadata"] == {"BuildMethod": "makefile", "BuildArchitecture": "arm64"}
    for f in of_type(resources, "AWS::Serverless::Function").values():
        assert not {"Runtime", "Architectures", "Layers", "Handler"} & set(f["Properties"])


def test_one_mapping_names_the_runtime_and_the_powertools_layer_follows_it(template):
    python = template["Mappings"]["Lambda"]["Python"]
    assert re.fullmatch(r"python3\.\d+", python["PythonRuntime"]) and re.fullmatch(r"2\.\d+", python["Glibc"])
    assert "python3." not in TEMPLATE.read_text().replace(f"PythonRuntime: {python['PythonRuntime']}", ""), (
        "the runtime is named once, in Mappings")
    arn, names = template["Globals"]["Function"]["Layers"][1]["Fn::Sub"]
    assert arn == ("arn:${AWS::Partition}:lambda:${AWS::Region}:017000801446:layer:"
                   "AWSLambdaPowertoolsPythonV3-${Python}-arm64:${PowertoolsLayerVersion}")
    assert names == {"Python": {"Fn::Join": ["", {"Fn::Split": [".", RUNTIME]}]}}  # python3.14 -> python314
    assert template["Parameters"]["PowertoolsLayerVersion"]["Type"] == "Number"


@pytest.mark.parametrize(("logical", "folder"), sorted(FUNCTIONS.items()))
def test_function_code_is_where_the_template_says(resources, logical, folder):
    assert resources[logical]["Properties"]["CodeUri"] == f"functions/{folder}/"
    assert (ROOT / "functions" / folder / "app.py").is_file()


def test_every_function_has_its_own_role_writing_only_to_its_own_log_group(resources):
    functions = of_type(resources, "AWS::Serverless::Function")
    roles = [role_of(f) for f in functions.values()]
    assert len(set(roles)) == len(roles)
    groups = of_type(resources, "AWS::Logs::LogGroup")
    for f in functions.values():
        (logs,) = [s for owner, s in statements(resources) if owner == role_of(f) and s.get("Sid") == "Logs"]
        assert set(logs["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        group = logs["Resource"]["Fn::GetAtt"][0]
        expected = "/aws/lambda/" + f["Properties"]["FunctionName"]["Fn::Sub"]
        assert groups[group]["Properties"]["LogGroupName"] == {"Fn::Sub": expected}
        assert groups[group]["Properties"]["RetentionInDays"] > 0


def test_every_function_knows_the_table_and_the_powertools_service(template, resources):
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        env = env_of(template, f)
        assert env["PRESSROOM_TABLE_NAME"] == {"Ref": "PhotoTable"}, name
        assert env["POWERTOOLS_SERVICE_NAME"] == "pressroom"
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "Pressroom"


def test_every_pressroom_variable_is_a_setting(template, resources):
    known = {"PRESSROOM_" + f.name.upper() for f in fields(Settings)}
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        unknown = {k for k in env_of(template, f) if k.startswith("PRESSROOM_")} - known
        assert not unknown, f"{name}: {unknown}"


def test_function_arns_in_the_environment_name_the_right_functions(template, resources):
    """A timer's target, and the role its schedule runs as: the one that may invoke that target."""
    targets = {"PRESSROOM_STALENESS_FUNCTION_ARN": "StalenessFunction",
               "PRESSROOM_APPROVAL_TIMER_FUNCTION_ARN": "ApprovalTimerFunction"}
    for f in of_type(resources, "AWS::Serverless::Function").values():
        env = env_of(template, f)
        for var, target in targets.items():
            if var in env:
                assert function_named(resources, env[var]) == target
                assert SCHEDULER_ROLES[env["PRESSROOM_SCHEDULER_ROLE_ARN"]["Fn::GetAtt"][0]] == target


def _role_reaches(resources, role: str, actions: set[str], resource: str) -> bool:
    return any(owner == role and actions & set(as_list(s["Action"])) and mentions(s["Resource"], resource)
               for owner, s in statements(resources) if s["Effect"] == "Allow")


#: an environment variable → (actions, resource): a function has the variable iff its role may use it
REACHES = {
    "PRESSROOM_CLEAN_BUCKET": ({"s3:GetObject", "s3:PutObject"}, "CleanBucket"),
    "PRESSROOM_RAW_BUCKET": ({"s3:GetObject", "s3:PutObject"}, "RawBucket"),  # read originals; sign uploads
    "PRESSROOM_APPROVAL_QUEUE_URL": ({"sqs:SendMessage"}, "ApprovalQueue"),
    "PRESSROOM_PUBLISH_QUEUE_URL": ({"sqs:SendMessage"}, "PublishQueue"),
    "PRESSROOM_AMEND_QUEUE_URL": ({"sqs:SendMessage"}, "AmendQueue"),
    "PRESSROOM_APPROVERS_PARAMETER": ({"ssm:GetParameter"}, "ApproversParameter"),
    "PRESSROOM_PRESS_OFFICE_PARAMETER": ({"ssm:GetParameter"}, "PressOfficeParameter"),
    "PRESSROOM_SCHEDULER_GROUP": ({"scheduler:CreateSchedule", "scheduler:DeleteSchedule"}, "PressroomScheduleGroup"),
}


@pytest.mark.parametrize("variable", sorted(REACHES))
def test_a_function_is_told_about_exactly_what_its_role_may_use(template, resources, variable):
    actions, resource = REACHES[variable]
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        told = variable in env_of(template, f)
        assert told == _role_reaches(resources, role_of(f), actions, resource), f"{name}: {variable}"
        if told:
            assert mentions(env_of(template, f)[variable], resource), name


def test_functions_that_mail_know_the_sender(template, resources):
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        sends = any(a.startswith("ses:") for owner, s in statements(resources) if owner == role_of(f)
                    for a in as_list(s["Action"]))
        assert sends == ("PRESSROOM_SENDER" in env_of(template, f)), name


def test_names_match_the_settings_defaults_for_a_stack_called_pressroom(resources):
    defaults = Settings()
    assert with_stack_name(resources["FlickrSecret"]["Properties"]["Name"]) == defaults.flickr_secret
    assert with_stack_name(resources["ApprovalSigningKey"]["Properties"]["Name"]) == defaults.signing_key_secret
    assert with_stack_name(resources["PublishedLinksKey"]["Properties"]["Name"]) == defaults.published_links_secret
    assert with_stack_name(resources["ApproversParameter"]["Properties"]["Name"]) == defaults.approvers_parameter
    assert with_stack_name(resources["PressOfficeParameter"]["Properties"]["Name"]) == defaults.press_office_parameter
    assert with_stack_name(resources["PressroomScheduleGroup"]["Properties"]["Name"]) == defaults.scheduler_group


def _group_parameters(resources) -> dict[str, str]:
    """Each approver group's parameter in the template: group → logical id."""
    prefix = "/pressroom/groups/"
    return {with_stack_name(r["Properties"]["Name"]).removeprefix(prefix): name
            for name, r in of_type(resources, "AWS::SSM::Parameter").items()
            if with_stack_name(r["Properties"]["Name"]).startswith(prefix)}


def test_every_group_the_rules_route_to_is_a_parameter_and_only_those(resources):
    from pressroom.guidance.rules import load_rulebook

    routed = {route.group for route in load_rulebook().routes}
    assert routed and set(_group_parameters(resources)) == routed
    assert with_stack_name({"Fn::Sub": "/${AWS::StackName}/groups/"}) == Settings().groups_parameter_prefix


def test_the_functions_that_read_groups_are_told_where_and_may_read_each_one(template, resources):
    groups = _group_parameters(resources)
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        told = "PRESSROOM_GROUPS_PARAMETER_PREFIX" in env_of(template, f)
        for logical in groups.values():
            assert told == _role_reaches(resources, role_of(f), {"ssm:GetParameter"}, logical), name
        if told:  # whoever asks or authorises the groups' members reads the approvers too (the amend
            # API reads only the approvers: a correction is reviewed by one of them)
            assert _role_reaches(resources, role_of(f), {"ssm:GetParameter"}, "ApproversParameter"), name
            assert with_stack_name(env_of(template, f)["PRESSROOM_GROUPS_PARAMETER_PREFIX"]) == "/pressroom/groups/"


def test_secret_environment_names_the_secrets_the_roles_may_read(template, resources):
    secrets = {"PRESSROOM_FLICKR_SECRET": "FlickrSecret", "PRESSROOM_SIGNING_KEY_SECRET": "ApprovalSigningKey",
               "PRESSROOM_PUBLISHED_LINKS_SECRET": "PublishedLinksKey", "PRESSROOM_CROSSPOST_SECRET": "CrosspostSecret"}
    for name, f in of_type(resources, "AWS::Serverless::Function").items():
        env = env_of(template, f)
        readable = {r["Ref"] for owner, s in statements(resources)
                    if owner == role_of(f) and "secretsmanager:GetSecretValue" in as_list(s["Action"])
                    for r in as_list(s["Resource"])}
        named = {secret for var, secret in secrets.items() if var in env}
        assert readable == named, name
        for var, secret in secrets.items():
            if var in env:
                assert env[var] == resources[secret]["Properties"]["Name"]


def test_secrets_are_generated_or_empty_placeholders(resources):
    for key in ("ApprovalSigningKey", "PublishedLinksKey"):
        generated = resources[key]["Properties"]["GenerateSecretString"]
        assert generated["PasswordLength"] >= 64 and generated["ExcludePunctuation"] is True
    placeholder = json.loads(resources["FlickrSecret"]["Properties"]["SecretString"])
    assert placeholder == {"api_key": "", "api_secret": "", "oauth_token": "", "oauth_token_secret": ""}
    off = json.loads(resources["CrosspostSecret"]["Properties"]["SecretString"])  # cross-posting is off
    from pressroom.adapters.crosspost import configured

    assert configured(off) == [] and {"mastodon", "bluesky"} == set(off)


def routes(resources) -> dict[str, dict[str, Any]]:
    """``"GET /review/{photo_id}"`` → its integration, from the approval API's OpenAPI body."""
    paths = resources["ApprovalHttpApi"]["Properties"]["DefinitionBody"]["paths"]
    return {f"{method.upper()} {path}": operation["x-amazon-apigateway-integration"]
            for path, operations in paths.items() for method, operation in operations.items()}


def test_the_approval_api_does_not_depend_on_its_function(resources):
    """The function needs the API's URL; SAM HttpApi events would make the API need the function."""
    assert not mentions(resources["ApprovalHttpApi"], "ApprovalApiFunction")
    assert "Events" not in resources["ApprovalApiFunction"]["Properties"]


def test_every_function_that_builds_review_links_uses_the_same_base_url(template, resources):
    urls = {name: env_of(template, f).get("PRESSROOM_APPROVAL_BASE_URL")
            for name, f in of_type(resources, "AWS::Serverless::Function").items()}
    users = {name for name, url in urls.items() if url is not None}
    assert users == {"RequestApprovalFunction", "ApprovalApiFunction", "ApprovalTimerFunction", "AmendApiFunction",
                     "PhotoEventsFunction",  # these two: take-down and correction links
                     "DeskFunction"}  # the queue's review links, the sign-in's callback
    assert len({json.dumps(urls[name], sort_keys=True) for name in users}) == 1
    assert mentions(urls["ApprovalApiFunction"], "ApprovalHttpApi")


def test_approval_api_routes_throttling_and_access_logs(resources):
    found = routes(resources)
    served_by = {"/review/{photo_id}": "ApprovalApiFunction", "/takedown/{photo_id}": "AmendApiFunction",
                 "/correction/{photo_id}": "AmendApiFunction", "/desk": "DeskFunction",
                 "/desk/{proxy+}": "DeskFunction", "/auth/{proxy+}": "DeskFunction"}
    assert set(found) == {f"{method} {path}" for path in served_by for method in ("GET", "POST")} - {"POST /desk"}
    for route, integration in found.items():
        function_name = resources[served_by[route.split(" ")[1]]]["Properties"]["FunctionName"]["Fn::Sub"]
        assert integration["type"] == "aws_proxy" and integration["payloadFormatVersion"] == "2.0"
        assert integration["uri"]["Fn::Sub"].endswith(f":function:{function_name}/invocations")
    from pressroom_local.stack import api_function

    for path, function in served_by.items():  # the local stack routes as the API does
        assert FUNCTIONS[function] == api_function(path.replace("{photo_id}", "abc").replace("{proxy+}", "x/y"))
    amend = sorted(p["Properties"]["SourceArn"]["Fn::Sub"].rsplit(":", 1)[1]
                   for p in of_type(resources, "AWS::Lambda::Permission").values()
                   if p["Properties"]["FunctionName"] == {"Ref": "AmendApiFunction"})
    assert amend == ["${ApprovalHttpApi}/*/*/correction/*", "${ApprovalHttpApi}/*/*/takedown/*"]
    (permission,) = [p["Properties"] for p in of_type(resources, "AWS::Lambda::Permission").values()
                     if p["Properties"]["FunctionName"] == {"Ref": "ApprovalApiFunction"}]
    assert permission["Principal"] == "apigateway.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith(":${ApprovalHttpApi}/*/*/review/*")
    api = resources["ApprovalHttpApi"]["Properties"]
    assert api["DefaultRouteSettings"]["ThrottlingBurstLimit"] > 0
    assert api["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
    assert api["AccessLogSettings"]["DestinationArn"] == {"Fn::GetAtt": ["ApprovalHttpApiAccessLogGroup", "Arn"]}
    assert "queryString" not in api["AccessLogSettings"]["Format"], "the query string carries the token"


def test_every_desk_route_but_its_home_and_the_sign_in_is_behind_the_desk_authorizer(resources):
    """/desk/* needs a session the authorizer verified; /desk (which sends a visitor who is not signed
    in to sign in) and /auth/* (signing in) cannot, and the emailed links' routes stay as they were."""
    body = resources["ApprovalHttpApi"]["Properties"]["DefinitionBody"]
    guarded = {f"{method.upper()} {path}" for path, operations in body["paths"].items()
               for method, operation in operations.items() if operation.get("security")}
    assert guarded == {"GET /desk/{proxy+}", "POST /desk/{proxy+}"}
    assert all(op["security"] == [{"DeskSession": []}] for path, ops in body["paths"].items() for op in ops.values()
               if op.get("security"))
    scheme = body["components"]["securitySchemes"]["DeskSession"]["x-amazon-apigateway-authorizer"]
    assert scheme["type"] == "request" and scheme["identitySource"] == "$request.header.Cookie"
    assert scheme["enableSimpleResponses"] is True and scheme["authorizerPayloadFormatVersion"] == "2.0"
    assert scheme["authorizerUri"]["Fn::Sub"].endswith(":function:${AWS::StackName}-desk-authorizer/invocations")
    from pressroom_local.stack import AUTHORIZED_PREFIX, DESK_HOME

    assert AUTHORIZED_PREFIX == "/desk/" and DESK_HOME == "/desk"  # the local API guards the same routes
    permissions_of = {p["Properties"]["SourceArn"]["Fn::Sub"].rsplit("}", 1)[1]: p["Properties"]["FunctionName"]
                      for p in of_type(resources, "AWS::Lambda::Permission").values()}
    assert permissions_of["/authorizers/*"] == {"Ref": "DeskAuthorizerFunction"}
    assert {k for k, v in permissions_of.items() if v == {"Ref": "DeskFunction"}} == {
        "/*/*/desk", "/*/*/desk/*", "/*/*/auth/*"}


def test_the_desk_signs_in_through_the_user_pools_hosted_login_with_its_groups(template, resources):
    pool = resources["DeskUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True and pool["UsernameAttributes"] == ["email"]
    client = resources["DeskUserPoolClient"]["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"] and client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True and "openid" in client["AllowedOAuthScopes"]
    assert [[url["Fn::If"][1]["Fn::Sub"], url["Fn::If"][2]["Fn::Sub"]] for url in client["CallbackURLs"]] == [[
        "https://${ApprovalsDomain}/auth/callback",
        "https://${ApprovalHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/auth/callback"]]
    assert client["SupportedIdentityProviders"] == {
        "Fn::If": ["DeskFederates", [{"Ref": "DeskIdentityProvider"}], ["COGNITO"]]}
    assert resources["DeskIdentityProvider"]["Condition"] == "DeskFederates"
    assert template["Parameters"]["DeskFederation"]["AllowedValues"] == ["none", "saml", "oidc"]
    assert template["Parameters"]["DeskFederationClientSecret"]["NoEcho"] is True
    from pressroom.web.desk import GROUPS

    groups = {r["Properties"]["GroupName"] for r in of_type(resources, "AWS::Cognito::UserPoolGroup").values()}
    assert groups == set(GROUPS)
    for function in ("DeskFunction", "DeskAuthorizerFunction"):
        env = env_of(template, resources[function])
        assert env["PRESSROOM_DESK_ISSUER"] == {"Fn::Sub": "https://${DeskUserPool.ProviderURL}"}
        assert env["PRESSROOM_DESK_CLIENT_ID"] == {"Ref": "DeskUserPoolClient"}
    cors = resources["RawBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [rule["AllowedMethods"] for rule in cors] == [["POST"]]  # the desk's presigned uploads, nothing else
    assert mentions(cors[0]["AllowedOrigins"], "ApprovalHttpApi")


def test_the_licence_choices_are_the_ones_pressroom_knows(template):
    from pressroom.domain.flickr_options import LICENCES
    from pressroom.guidance.declared import CHOICES

    allowed = template["Parameters"]["FlickrLicence"]["AllowedValues"]
    assert set(allowed) == set(LICENCES) == set(CHOICES["licence"])
    assert template["Parameters"]["FlickrLicence"]["Default"] == Settings().flickr_licence


def test_outputs_name_what_an_operator_needs(template):
    assert {"RawBucketName", "CleanBucketName", "PhotoTableName", "ApprovalApiUrl", "ReviewBaseUrl",
            "ScrubQueueUrl", "PolicyQueueUrl", "ApprovalQueueUrl", "PublishQueueUrl"} <= set(template["Outputs"])


# --------------------------------------------------------------------------------------------
# Sample events
# --------------------------------------------------------------------------------------------
SQS_EVENTS = {"scrub": "pressroom-raw", "policy": "pressroom-clean", "request_approval": None, "publish": None,
              "dead_letters": "pressroom-raw", "amend": "amend"}


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{name}.json").read_text())


def test_every_event_file_parses():
    names = sorted(p.stem for p in EVENTS.glob("*.json"))
    assert names, "no sample events"
    for name in names:
        assert isinstance(load(name), dict), name


@pytest.mark.parametrize("name", sorted(SQS_EVENTS))
def test_sqs_events_are_batches_with_bodies(name):
    records = load(name)["Records"]
    assert records
    for record in records:
        assert record["eventSource"] == "aws:sqs"
        assert record["eventSourceARN"].startswith("arn:aws:sqs:eu-west-2:123456789012:")
        body = json.loads(record["body"])
        if SQS_EVENTS[name] is None:
            assert body == {"photo_id": "3f1c2a9b7d4e5f60718293a4"}
        if SQS_EVENTS[name] == "amend":  # the message photo_events queues for a take-down
            assert body == {"kind": "takedown", "photo_id": "3f1c2a9b7d4e5f60718293a4", "round": 1}
            assert record["eventSourceARN"].endswith(":pressroom-amend")


@pytest.mark.parametrize(("name", "bucket", "queue"), [
    ("scrub", "RawBucket", "ScrubQueue"), ("policy", "CleanBucket", "PolicyQueue"),
    ("dead_letters", "RawBucket", "ScrubQueue")])
def test_s3_notification_events_match_the_bucket_filters(resources, name, bucket, queue):
    (notification,) = resources[bucket]["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    prefix = notification["Filter"]["S3Key"]["Rules"][0]["Value"]
    for record in load(name)["Records"]:
        (s3_record,) = json.loads(record["body"])["Records"]
        assert s3_record["eventName"].startswith("ObjectCreated:")
        assert s3_record["s3"]["bucket"]["name"] == SQS_EVENTS[name]
        assert s3_record["s3"]["object"]["key"].startswith(prefix)
        assert s3_record["s3"]["object"]["versionId"]
    if name in ("scrub", "dead_letters"):
        assert s3_record["s3"]["object"]["key"] == "incoming/neighbourhood-day/park-cleanup.jpg"
    else:
        assert s3_record["s3"]["object"]["key"] == "clean/3f1c2a9b7d4e5f60718293a4.jpg"


@pytest.mark.parametrize("name", ["approval_api_get", "approval_api_post", "approval_api_post_base64", "amend_api_get"])
def test_http_events_are_payload_v2_on_a_template_route(resources, name):
    event = load(name)
    assert event["version"] == "2.0"
    assert event["routeKey"] in routes(resources) and event["requestContext"]["routeKey"] == event["routeKey"]
    assert event["pathParameters"] == {"photo_id": "3f1c2a9b7d4e5f60718293a4"}
    section = "takedown" if name.startswith("amend") else "review"
    assert event["rawPath"] == event["requestContext"]["http"]["path"] == f"/{section}/3f1c2a9b7d4e5f60718293a4"
    if event["requestContext"]["http"]["method"] == "GET":
        assert event["queryStringParameters"]["t"] and event["rawQueryString"] == f't={event["queryStringParameters"]["t"]}'
    else:
        assert event["headers"]["content-type"] == "application/x-www-form-urlencoded"
        assert event["isBase64Encoded"] is name.endswith("base64")


def test_the_stream_event_is_a_photo_change_the_filter_admits(resources):
    from pressroom.stages.photo_events import changes

    (event,) = resources["PhotoEventsFunction"]["Properties"]["Events"].values()
    (pattern,) = event["Properties"]["FilterCriteria"]["Filters"]
    wanted = json.loads(pattern["Pattern"])["dynamodb"]["Keys"]["SK"]["S"]
    records = load("photo_events")["Records"]
    for record in records:
        assert record["eventSource"] == "aws:dynamodb" and record["dynamodb"]["Keys"]["SK"]["S"] in wanted
        assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    ((_, change),) = changes(records)
    assert (change.old.state, change.new.state) == (State.PUBLISHED, State.TAKING_DOWN)


def test_timer_events_are_the_payloads_scheduler_delivers():
    assert load("approval_timer") == {"kind": "reminder", "photo_id": "3f1c2a9b7d4e5f60718293a4"}
    assert load("approval_timer_expiry") == {"kind": "expiry", "photo_id": "3f1c2a9b7d4e5f60718293a4"}
    assert load("approval_timer_publish_check") == {"kind": "publish-check", "photo_id": "3f1c2a9b7d4e5f60718293a4"}
    staleness = load("staleness")
    assert staleness["kind"] == "stale-account" and staleness["due"].endswith("Z")


def test_comments_event_has_the_keys_the_schedule_sends(resources):
    schedule = resources["CommentsFunction"]["Properties"]["Events"]["Every15Minutes"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(15 minutes)"
    assert schedule["GroupName"] == {"Ref": "PressroomScheduleGroup"}
    sent = json.loads(schedule["Input"])
    event = load("comments")
    assert set(event) == set(sent) and event["kind"] == sent["kind"] == "poll-comments"


# --------------------------------------------------------------------------------------------
# cfn-lint
# --------------------------------------------------------------------------------------------
def _cfn_lint() -> str | None:
    beside = Path(sys.executable).with_name("cfn-lint")
    return str(beside) if beside.exists() else shutil.which("cfn-lint")


def test_cfn_lint_reports_nothing():
    linter = _cfn_lint()
    if linter is None:
        pytest.skip("cfn-lint is not installed")
    done = subprocess.run([linter, "template.yaml"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == ""


def test_the_transformed_template_lints_clean(tmp_path, monkeypatch):
    """cfn-lint reads SAM without transforming it, so it cannot see SAM-made cycles; this can."""
    translator = pytest.importorskip("samtranslator.translator.transform")
    from samtranslator.yaml_helper import yaml_parse

    linter = _cfn_lint()
    if linter is None:
        pytest.skip("cfn-lint is not installed")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-2")
    document = yaml_parse(TEMPLATE.read_text())
    for r in document["Resources"].values():  # what `sam package` does to local paths
        for key in ("CodeUri", "ContentUri"):
            if key in r.get("Properties", {}):
                r["Properties"][key] = "s3://artifacts/" + r["Properties"][key].strip("/")

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    out = translator.transform(document, {"SenderAddress": "pressroom@press-office.example",
                                          "AlarmEmail": "alarms@press-office.example"}, NoManagedPolicies())
    target = tmp_path / "transformed.json"
    target.write_text(json.dumps(out))
    done = subprocess.run([linter, str(target)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


# --------------------------------------------------------------------------------------------
# Least privilege: each role grants what its code calls (tests/permissions.py NEEDS, which the
# integration tests check every recorded call against) and what Lambda itself uses, nothing more
# --------------------------------------------------------------------------------------------
def _lambda_needs(template, resources, function: str) -> set[tuple[str, str]]:
    """What Lambda uses the role for: its log group, X-Ray, its event-source queues, its destination."""
    f = resources[function]["Properties"]
    group = "/aws/lambda/" + permissions.resolve(f["FunctionName"])
    found = {(a, f"arn:aws:logs:{permissions.REGION}:{permissions.ACCOUNT}:log-group:{group}:*")
             for a in ("logs:CreateLogStream", "logs:PutLogEvents")}
    found |= {(a, "*") for a in ("xray:PutTraceSegments", "xray:PutTelemetryRecords")}
    for event in f.get("Events", {}).values():
        if event["Type"] == "SQS":
            queue = permissions.resolve(event["Properties"]["Queue"])
            found |= {(a, queue) for a in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")}
        if event["Type"] == "DynamoDB":  # the stream, and where its failed records are reported
            stream = permissions.resolve(event["Properties"]["Stream"])
            found |= {(a, stream) for a in ("dynamodb:DescribeStream", "dynamodb:GetRecords",
                                             "dynamodb:GetShardIterator", "dynamodb:ListStreams")}
            on_failure = event["Properties"].get("DestinationConfig", {}).get("OnFailure")
            if on_failure:
                found.add(("sqs:SendMessage", permissions.resolve(on_failure["Destination"])))
    on_failure = f.get("EventInvokeConfig", {}).get("DestinationConfig", {}).get("OnFailure")
    if on_failure:
        found.add(("sqs:SendMessage", permissions.resolve(on_failure["Destination"])))
    return found


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_each_role_grants_exactly_what_its_function_calls(template, resources, function):
    granted = set()
    for s in permissions.role_statements(permissions.role_of(function)):
        assert s["Effect"] == "Allow", function
        granted |= {(a, r) for a in as_list(s["Action"]) for r in as_list(s["Resource"])}
    expected = permissions.needed(function) | _lambda_needs(template, resources, function)
    assert sorted(granted - expected) == [], "granted but never called"
    assert sorted(expected - granted) == [], "called but not granted"


# What the deployed roles refuse, evaluated like IAM (tests/permissions.py)
def _may(function: str, service: str, operation: str, params: dict[str, Any]) -> list[str]:
    return list(permissions.problems(function, [(service, operation, params)]))


@pytest.mark.parametrize("operation", ["GetObject", "HeadObject"])
@pytest.mark.parametrize("version", [None, "v1"])
def test_only_the_scrubber_may_read_an_original_or_any_version_of_it(resources, operation, version):
    params = {"Bucket": "pressroom-raw", "Key": "incoming/album/photo.jpg", **({"VersionId": version} if version else {})}
    assert _may("scrub", "s3", operation, params) == []
    for folder in sorted(set(permissions.FUNCTIONS) - {"scrub"}):
        assert _may(folder, "s3", operation, params), folder
    (request,) = permissions.requests_of("ScrubFunction", "s3", operation, params)
    for role in of_type(resources, "AWS::IAM::Role"):  # even a role that allowed itself to read
        if role != "ScrubRole":
            assert permissions.decision(role, request).startswith("denied by the bucket policy"), role


def test_the_account_item_and_photo_items_are_kept_apart(resources):
    account = {"TableName": "pressroom", "Key": {"PK": {"S": "ACCOUNT"}, "SK": {"S": "STATE"}}}
    photo = {"TableName": "pressroom", "Key": {"PK": {"S": "PHOTO#abc"}, "SK": {"S": "META"}}}
    assert _may("staleness", "dynamodb", "UpdateItem", account) == []
    assert _may("staleness", "dynamodb", "UpdateItem", photo)
    assert _may("dead_letters", "dynamodb", "UpdateItem", photo) == []
    assert _may("dead_letters", "dynamodb", "UpdateItem", account)


def test_a_function_cannot_schedule_another_functions_timer():
    """The comments run reads the internet: it must not be able to expire a photo's approval."""
    expiry = {"Name": "approval-expiry-abc", "GroupName": "pressroom", "Target": {
        "Arn": "arn:aws:lambda:eu-west-2:123456789012:function:pressroom-approval-timer",
        "RoleArn": "", "Input": '{"kind": "expiry", "photo_id": "abc"}'}}
    stale = {**expiry, "Name": "stale-account", "Target": {**expiry["Target"]}}
    assert _may("request_approval", "scheduler", "CreateSchedule", expiry) == []
    for folder in ("comments", "publish", "staleness"):
        refused = _may(folder, "scheduler", "CreateSchedule", expiry)
        assert any("scheduler:CreateSchedule" in p for p in refused), folder
        # even under its own timer's name, the role it passes cannot invoke the approval timer
        assert any("lambda:InvokeFunction" in p for p in _may(folder, "scheduler", "CreateSchedule", stale)), folder
    for folder in ("approval_api", "approval_timer", "publish", "comments"):
        assert _may(folder, "scheduler", "DeleteSchedule", {"Name": "stale-account", "GroupName": "pressroom"}), folder


def test_the_comments_run_cannot_change_a_photo():
    """It reads what strangers post on the internet: of a photo it may only append audit events,
    so nothing it does can make a photo APPROVED (or anything else)."""
    from pressroom.adapters.store import PhotoStore

    class Recording:
        def __init__(self):
            self.puts = []

        def put_item(self, **params):
            self.puts.append(params)

    db = Recording()
    PhotoStore(db, "pressroom").record("abc", actor="comments", event="comment-recorded", detail={"id": "1"})
    (audit,) = db.puts
    assert _may("comments", "dynamodb", "PutItem", audit) == []
    forged = {"TableName": "pressroom", "Item": {"PK": {"S": "PHOTO#abc"}, "SK": {"S": "META"},
                                                  "state": {"S": "APPROVED"}}}
    assert _may("comments", "dynamodb", "PutItem", forged)
    meta = {"TableName": "pressroom", "Key": {"PK": {"S": "PHOTO#abc"}, "SK": {"S": "META"}}}
    assert _may("comments", "dynamodb", "UpdateItem", meta)
    seen = {"TableName": "pressroom", "Key": {"PK": {"S": "COMMENT#1"}, "SK": {"S": "SEEN"}}}
    assert _may("comments", "dynamodb", "UpdateItem", seen) == []
    account = {"TableName": "pressroom", "Key": {"PK": {"S": "ACCOUNT"}, "SK": {"S": "STATE"}}}
    assert _may("comments", "dynamodb", "UpdateItem", account) == []


def test_the_comments_run_may_keep_its_replies_and_digest_and_read_a_days_digest_but_no_photo():
    for pk, sk in (("REPLY#533#42@N01", "REPLIED"), ("DIGEST#2026-11-20", "COMMENT#1"), ("DIGEST#2026-11-20", "SENT")):
        assert _may("comments", "dynamodb", "UpdateItem", _item_params(pk, sk)) == [], pk
    digest = {"TableName": "pressroom", "KeyConditionExpression": "PK = :pk AND begins_with(SK, :c)",
              "ExpressionAttributeValues": {":pk": {"S": "DIGEST#2026-11-20"}, ":c": {"S": "COMMENT#"}}}
    assert _may("comments", "dynamodb", "Query", digest) == []
    photos = {**digest, "ExpressionAttributeValues": {":pk": {"S": "PHOTO#abc"}, ":c": {"S": "EVENT#"}}}
    assert _may("comments", "dynamodb", "Query", photos)
    for other in sorted(set(permissions.FUNCTIONS) - {"comments"}):
        assert _may(other, "dynamodb", "UpdateItem", _item_params("REPLY#533#42@N01", "REPLIED")), other


class _Recording:
    """A DynamoDB client that records what :class:`PhotoStore` sends it, and answers nothing."""

    def __init__(self):
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name):
        def call(**params):
            self.calls.append(("".join(w.title() for w in name.split("_")), params))
            return {}
        return call


def _store_calls(write) -> list[tuple[str, dict[str, Any]]]:
    """The DynamoDB operations (name, parameters) ``write(store)`` makes."""
    db = _Recording()
    write(PhotoStore(db, "pressroom"))
    return db.calls


def _item_params(pk: str, sk: str = "META") -> dict[str, Any]:
    return {"TableName": "pressroom", "Key": {"PK": {"S": pk}, "SK": {"S": sk}}}


_OTHER_ITEMS = {"ALBUM#Neighbourhood": "PHOTOSET", "ACCOUNT": "STATE", "COMMENT#1": "SEEN"}


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_table_grant_names_the_partition_keys_its_code_uses(function):
    """No role may read or write any item of the table: each item grant has a LeadingKeys condition."""
    table = permissions.arn_of("PhotoTable")
    for s in permissions.role_statements(permissions.role_of(function)):
        if table in as_list(s["Resource"]):
            leading = [k for tests in s.get("Condition", {}).values() for k in tests]
            assert "dynamodb:LeadingKeys" in leading, (function, s.get("Sid"))


def test_attribute_conditions_only_narrow_puts(resources):
    """tests/permissions.py gives a put the attribute names of its item; IAM's attributes of an
    update or a read depend on its expressions, which the harness does not model, and a missing key
    would pass a ForAllValues condition unchecked: such a grant could not be proven offline."""
    for owner, s in statements(resources):
        if any("dynamodb:Attributes" in tests for tests in s.get("Condition", {}).values()):
            assert as_list(s["Action"]) == ["dynamodb:PutItem"], (owner, s.get("Sid"))


@pytest.mark.parametrize("folder", ["scrub", "policy", "request_approval", "approval_api", "approval_timer", "amend",
                                    "amend_api"])
def test_photo_functions_touch_photo_items_only(folder):
    """The scrub, policy and approval functions cannot write (or read) the account, an album's
    photoset or a comment: an approval link cannot move the staleness clock or an album."""
    assert _may(folder, "dynamodb", "UpdateItem", _item_params("PHOTO#abc")) == []
    assert _may(folder, "dynamodb", "GetItem", _item_params("PHOTO#abc")) == []
    for pk, sk in _OTHER_ITEMS.items():
        for operation in ("GetItem", "UpdateItem"):
            assert _may(folder, "dynamodb", operation, _item_params(pk, sk)), (folder, operation, pk)
        assert _may(folder, "dynamodb", "PutItem", {"TableName": "pressroom", "Item": {
            "PK": {"S": pk}, "SK": {"S": sk}}}), (folder, pk)


@pytest.mark.parametrize("folder", ["policy", "request_approval", "approval_api", "approval_timer", "publish", "amend",
                                    "amend_api", "photo_events"])
def test_functions_that_never_create_a_photo_may_only_append_its_audit_events(folder):
    """A put by these is an audit event: none can write a photo's record whole (a forged APPROVED
    record with another image's key); they change it only by a conditional update."""
    [(_, audit)] = _store_calls(lambda s: s.record("abc", actor="t", event="approval-reminded", detail={"a": 1}))
    assert _may(folder, "dynamodb", "PutItem", audit) == []
    transition = {"TableName": "pressroom", "Item": {**audit["Item"], "from": {"S": "NEEDS_APPROVAL"},
                                                    "to": {"S": "APPROVED"}}}
    assert _may(folder, "dynamodb", "PutItem", transition) == []
    forged = {"TableName": "pressroom", "Item": {"PK": {"S": "PHOTO#abc"}, "SK": {"S": "META"},
                                                  "state": {"S": State.APPROVED.value},
                                                  "clean_key": {"S": "clean/other.jpg"}}}
    assert _may(folder, "dynamodb", "PutItem", forged), folder
    assert _may("scrub", "dynamodb", "PutItem", forged) == []  # the scrubber creates the record


def test_the_publish_function_writes_photos_their_albums_and_the_account_but_no_comment():
    calls = _store_calls(lambda s: (s.claim_album("Neighbourhood", "c1", "2026-01-01T00:00:00Z"),
                                    s.record_album("Neighbourhood", "c1", "72157"),
                                    s.update_account({"last_published_at": "x"}, if_newer="x"), s.account()))
    assert [name for name, _ in calls] == ["PutItem", "UpdateItem", "UpdateItem", "GetItem"]
    for name, params in calls:
        assert _may("publish", "dynamodb", name, params) == [], name
    assert _may("publish", "dynamodb", "UpdateItem", _item_params("COMMENT#1", "SEEN"))
    assert _may("publish", "dynamodb", "PutItem", {"TableName": "pressroom", "Item": {
        "PK": {"S": "ACCOUNT"}, "SK": {"S": "STATE"}}})
    # an album's item is written with the album's attributes; the account only by update
    assert _may("approval_api", "dynamodb", calls[0][0], calls[0][1])
    assert _may("scrub", "dynamodb", calls[2][0], calls[2][1])


# In-account image analysis: its own function, a container image built from a lock
def test_the_analysis_function_is_an_arm64_image_built_from_the_lock(resources):
    (name,) = of_type(resources, "AWS::Lambda::Function")
    function = resources[name]
    props, metadata = function["Properties"], function["Metadata"]
    assert name == "AnalysisFunction"
    assert props["PackageType"] == "Image" and props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["MemorySize"] >= 1536 and props["Timeout"] <= 30  # benchmarks/vision.py: peak memory
    dockerfile = ROOT / metadata["Dockerfile"]
    assert metadata["DockerContext"] == "." and dockerfile.is_file()
    text = dockerfile.read_text()
    assert "public.ecr.aws/lambda/python:3.14" in text
    assert "--require-hashes" in text and "analysis/requirements.lock" in text
    assert "COPY layers/pressroom/pressroom " in text  # the project's code; its dependencies come from the lock
    lock = (ROOT / "analysis" / "requirements.lock").read_text()
    for package in ("rapidocr==", "onnxruntime==", "dlib-bin==", "opencv-python-headless==", "numpy=="):
        assert package in lock, package
    assert "--hash=sha256:" in lock


def test_the_analysis_role_may_only_log_and_trace(resources):
    granted = {a for owner, s in statements(resources) if owner == "AnalysisRole" for a in as_list(s["Action"])}
    assert granted == {"logs:CreateLogStream", "logs:PutLogEvents", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def test_only_the_policy_function_may_ask_for_an_analysis(resources, template):
    invokers = {owner for owner, s in statements(resources)
                if "lambda:InvokeFunction" in as_list(s["Action"]) and mentions(s["Resource"], "AnalysisFunction")}
    assert invokers == {"PolicyRole"}
    env = env_of(template, resources["PolicyFunction"])
    assert env["PRESSROOM_ANALYSIS_FUNCTION"] == {"Ref": "AnalysisFunction"}
    assert env["PRESSROOM_DETECTOR"] == {"Fn::If": ["UsesRekognition", "rekognition", "analysis-function"]}
    assert template["Parameters"]["ImageAnalysis"]["Default"] == "in-account"
