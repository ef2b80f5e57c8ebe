"""Create the resources of template.yaml in an AWS endpoint (moto locally, or in tests).

``tests/unit/test_local_resources.py`` checks that these stay in step with template.yaml.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from pressroom.adapters.store import BY_EVENT_INDEX, BY_STATE_INDEX

ACCOUNT = "123456789012"
#: queue logical name → the Settings field holding its URL (None: consumed only by the emulator)
QUEUES: dict[str, str | None] = {
    "scrub": None,
    "policy": "policy_queue_url",
    "approval": "approval_queue_url",
    "publish": "publish_queue_url",
    "amend": "amend_queue_url",
}
MAX_RECEIVES = 5
#: dead-letter queues a function consumes (dead_letters; publish its own); they redrive to ``<prefix>-unhandled-dlq``
CONSUMED_DLQS = ("scrub", "policy", "publish")
DEAD_LETTER_RECEIVES = 10  # receive counts carry over from the work queue: 5 attempts of its own
COMMENTS_SCHEDULE = ("comments-poll", "rate(15 minutes)")
#: as in template.yaml: Scheduler fills in its context attributes when it fires
COMMENTS_INPUT = {"kind": "poll-comments", "scheduled_time": "<aws.scheduler.scheduled-time>",
                  "schedule_arn": "<aws.scheduler.schedule-arn>", "execution_id": "<aws.scheduler.execution-id>",
                  "attempt": "<aws.scheduler.attempt-number>"}


def _arn(sqs: Any, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def function_arn(region: str, name: str, prefix: str = "pressroom") -> str:
    """The ARN of function ``name`` (``approval_timer`` → ``…:function:pressroom-approval-timer``)."""
    return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{prefix}-{name.replace('_', '-')}"


@dataclass(frozen=True)
class Names:
    raw_bucket: str = "pressroom-raw"
    clean_bucket: str = "pressroom-clean"
    table: str = "pressroom"
    sender: str = "pressroom@press-office.example"
    approvers: tuple[str, ...] = ("approver.one@press-office.example", "approver.two@press-office.example")
    press_office: tuple[str, ...] = ("press.office@press-office.example",)
    control_room: tuple[str, ...] = ("control.room@press-office.example",)
    #: each approver group of rules.toml's [[route]]s and its members (template.yaml's parameters)
    groups: tuple[tuple[str, tuple[str, ...]], ...] = (
        ("safeguarding-leads", ("safeguarding.lead@press-office.example",)),)
    scheduler_group: str = "pressroom"
    prefix: str = "pressroom"


@dataclass(frozen=True)
class Created:
    queue_urls: dict[str, str]
    dlq_urls: dict[str, str]
    env: dict[str, str]
    #: the photo table's stream (the photo-events function's event source)
    stream_arn: str = ""


def create_all(session: Any, names: Names = Names(), *, flickr: dict[str, str] | None = None,
               desk_origins: tuple[str, ...] = ()) -> Created:
    """Create every resource; return queue URLs and the PRESSROOM_* environment that points at them.
    ``desk_origins``: where the desk's pages are served, which may POST uploads to the raw bucket."""
    s3, sqs, ddb = session.client("s3"), session.client("sqs"), session.client("dynamodb")
    region = session.region_name
    queue_urls, dlq_urls = {}, {}
    dlq_urls["unhandled"] = sqs.create_queue(QueueName=f"{names.prefix}-unhandled-dlq")["QueueUrl"]
    unhandled_arn = _arn(sqs, dlq_urls["unhandled"])
    for name in QUEUES:
        attributes = {"VisibilityTimeout": "30", "RedrivePolicy": json.dumps({
            "deadLetterTargetArn": unhandled_arn, "maxReceiveCount": DEAD_LETTER_RECEIVES})}
        dlq = sqs.create_queue(QueueName=f"{names.prefix}-{name}-dlq",
                               Attributes=attributes if name in CONSUMED_DLQS else {})["QueueUrl"]
        dlq_arn = _arn(sqs, dlq)
        queue_urls[name] = sqs.create_queue(
            QueueName=f"{names.prefix}-{name}",
            Attributes={
                "VisibilityTimeout": "30",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES}),
            },
        )["QueueUrl"]
        dlq_urls[name] = dlq
    # the photo-events function's on-failure destination: stream records it failed on every attempt
    dlq_urls["photo_events"] = sqs.create_queue(QueueName=f"{names.prefix}-photo-events-dlq")["QueueUrl"]

    for bucket in (names.raw_bucket, names.clean_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={k: True for k in (
                "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
        )
    if desk_origins:  # as template.yaml's RawBucket CorsConfiguration
        s3.put_bucket_cors(Bucket=names.raw_bucket, CORSConfiguration={"CORSRules": [{
            "AllowedMethods": ["POST"], "AllowedOrigins": list(desk_origins), "AllowedHeaders": ["*"],
            "MaxAgeSeconds": 600}]})
    for bucket, queue, prefix in (
        (names.raw_bucket, "scrub", "incoming/"),
        (names.clean_bucket, "policy", "clean/"),
    ):
        s3.put_bucket_notification_configuration(
            Bucket=bucket,
            NotificationConfiguration={"QueueConfigurations": [{
                "QueueArn": f"arn:aws:sqs:{region}:{ACCOUNT}:{names.prefix}-{queue}",
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
            }]},
        )

    ddb.create_table(
        TableName=names.table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "state", "updated_at", "event", "at")],
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": BY_STATE_INDEX,
            "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"},
                          {"AttributeName": "updated_at", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }, {
            "IndexName": BY_EVENT_INDEX,
            "KeySchema": [{"AttributeName": "event", "KeyType": "HASH"}, {"AttributeName": "at", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["detail"]},
        }],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    stream_arn = ddb.describe_table(TableName=names.table)["Table"]["LatestStreamArn"]
    ddb.update_time_to_live(TableName=names.table,
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})

    session.client("ses").verify_email_identity(EmailAddress=names.sender)
    sm = session.client("secretsmanager")
    sm.create_secret(Name=f"{names.prefix}/approval-signing-key", SecretString=secrets.token_urlsafe(48))
    sm.create_secret(Name=f"{names.prefix}/published-links-key", SecretString=secrets.token_urlsafe(48))
    sm.create_secret(Name=f"{names.prefix}/flickr", SecretString=json.dumps(flickr or {
        "api_key": "", "api_secret": "", "oauth_token": "", "oauth_token_secret": ""}))
    sm.create_secret(Name=f"{names.prefix}/crosspost", SecretString=json.dumps(
        {"mastodon": {"instance": "", "token": ""}, "bluesky": {"handle": "", "app_password": ""}}))
    ssm = session.client("ssm")
    ssm.put_parameter(Name=f"/{names.prefix}/approvers", Type="StringList", Value=",".join(names.approvers))
    ssm.put_parameter(Name=f"/{names.prefix}/press-office", Type="StringList", Value=",".join(names.press_office))
    ssm.put_parameter(Name=f"/{names.prefix}/control-room", Type="StringList", Value=",".join(names.control_room))
    for group, members in names.groups:
        ssm.put_parameter(Name=f"/{names.prefix}/groups/{group}", Type="StringList", Value=",".join(members))
    scheduler = session.client("scheduler")
    scheduler.create_schedule_group(Name=names.scheduler_group)
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{names.prefix}-scheduler"
    scheduler.create_schedule(
        Name=COMMENTS_SCHEDULE[0], GroupName=names.scheduler_group, ScheduleExpression=COMMENTS_SCHEDULE[1],
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": function_arn(region, "comments", names.prefix), "RoleArn": role_arn,
                "Input": json.dumps(COMMENTS_INPUT)},
    )

    env = {
        "PRESSROOM_RAW_BUCKET": names.raw_bucket,
        "PRESSROOM_CLEAN_BUCKET": names.clean_bucket,
        "PRESSROOM_TABLE_NAME": names.table,
        "PRESSROOM_SENDER": names.sender,
        "PRESSROOM_APPROVERS_PARAMETER": f"/{names.prefix}/approvers",
        "PRESSROOM_PRESS_OFFICE_PARAMETER": f"/{names.prefix}/press-office",
        "PRESSROOM_CONTROL_ROOM_PARAMETER": f"/{names.prefix}/control-room",
        "PRESSROOM_GROUPS_PARAMETER_PREFIX": f"/{names.prefix}/groups/",
        "PRESSROOM_SIGNING_KEY_SECRET": f"{names.prefix}/approval-signing-key",
        "PRESSROOM_FLICKR_SECRET": f"{names.prefix}/flickr",
        "PRESSROOM_PUBLISHED_LINKS_SECRET": f"{names.prefix}/published-links-key",
        "PRESSROOM_CROSSPOST_SECRET": f"{names.prefix}/crosspost",
        "PRESSROOM_SCHEDULER_GROUP": names.scheduler_group,
        "PRESSROOM_SCHEDULER_ROLE_ARN": role_arn,
        "PRESSROOM_STALENESS_FUNCTION_ARN": function_arn(region, "staleness", names.prefix),
        "PRESSROOM_APPROVAL_TIMER_FUNCTION_ARN": function_arn(region, "approval_timer", names.prefix),
        "PRESSROOM_REGION": region,
        "PRESSROOM_PUBLISH_DEAD_LETTER_QUEUE_ARN": _arn(sqs, dlq_urls["publish"]),
        "PRESSROOM_PUBLISH_QUEUE_ARN": _arn(sqs, queue_urls["publish"]),
        "PRESSROOM_PUBLISH_AT_ROLE_ARN": f"arn:aws:iam::{ACCOUNT}:role/{names.prefix}-publish-at-scheduler",
    }
    for name, setting in QUEUES.items():
        if setting:
            env[f"PRESSROOM_{setting.upper()}"] = queue_urls[name]
    return Created(queue_urls=queue_urls, dlq_urls=dlq_urls, env=env, stream_arn=stream_arn)
