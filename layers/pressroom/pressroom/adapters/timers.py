"""One-time EventBridge Scheduler schedules: arm, re-arm and disarm timers."""
from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")


def at_expression(when: datetime) -> str:
    """``at(yyyy-mm-ddThh:mm:ss)`` in UTC, the form Scheduler's one-time schedules take."""
    return f"at({when.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')})"


def parse_at(expression: str) -> datetime | None:
    """The time of an ``at(...)`` expression, or None for rate/cron schedules."""
    match = _AT.match(expression or "")
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC) if match else None


class Timers:
    """Named one-time schedules in one group, each invoking a Lambda with a JSON payload."""

    def __init__(self, scheduler: Any, group: str, role_arn: str):
        self._scheduler = scheduler
        self._group = group
        self._role = role_arn

    def arm(self, name: str, when: datetime, target_arn: str, payload: dict[str, Any]) -> None:
        """Create the schedule ``name``, or move it to ``when`` if it exists."""
        spec = {
            "Name": name,
            "GroupName": self._group,
            "ScheduleExpression": at_expression(when),
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": {"Arn": target_arn, "RoleArn": self._role, "Input": json.dumps(payload)},
            "ActionAfterCompletion": "DELETE",
        }
        try:
            self._scheduler.create_schedule(**spec)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConflictException":
                raise
            self._scheduler.update_schedule(**spec)

    def disarm(self, name: str) -> None:
        """Delete the schedule ``name``; already gone is fine."""
        try:
            self._scheduler.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise

    def due(self, name: str) -> datetime | None:
        """When the schedule ``name`` fires, or None if there is no such one-time schedule."""
        try:
            found = self._scheduler.get_schedule(Name=name, GroupName=self._group)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                return None
            raise
        return parse_at(found.get("ScheduleExpression", ""))
