"""Approval timer: EventBridge Scheduler's one-time reminder, expiry and publish check of a photo."""
from typing import Literal

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import BaseModel, event_parser

from pressroom import bootstrap

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class Timer(BaseModel):
    """The schedule's payload: ``{"kind": "reminder"|"expiry"|"publish-check", "photo_id": "..."}``."""

    kind: Literal["reminder", "expiry", "publish-check"]
    photo_id: str


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_parser(model=Timer)
def lambda_handler(event: Timer, context: object) -> dict:
    timer = bootstrap.approval_timer()
    if event.kind == "reminder":
        reminded = timer.remind(event.photo_id)
        acted = bool(reminded)
        metrics.add_metric(name="ApprovalRemindersSent", unit=MetricUnit.Count, value=len(reminded))
    elif event.kind == "expiry":
        acted = timer.expire(event.photo_id)
        metrics.add_metric(name="ApprovalsExpired", unit=MetricUnit.Count, value=int(acted))
    else:
        acted = timer.publish_check(event.photo_id)
        metrics.add_metric(name="ApprovalsRequeued", unit=MetricUnit.Count, value=int(acted))
    logger.info(f"approval {event.kind}" if acted else f"approval {event.kind}: nothing to do",
                photo_id=event.photo_id)
    return {"kind": event.kind, "photo_id": event.photo_id, "acted": acted}
