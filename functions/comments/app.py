"""Comments: every 15 minutes, new Flickr comments are answered, removed or queued for the press office
(and the stale-account reminder is armed if nothing has armed it yet)."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom import bootstrap
from pressroom.domain import clock

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    armed = bootstrap.reminder_timer().ensure_armed(clock.now())
    if armed is not None:
        logger.info("stale-account reminder armed before the first publish", due=armed.isoformat())
    counts = bootstrap.comments().run()
    logger.info("comments polled", scheduled_time=event.get("scheduled_time"), **counts)
    for outcome, count in counts.items():
        if count:
            metrics.add_metric(name="Comments" + outcome.title().replace("-", ""), unit=MetricUnit.Count,
                               value=count)
    return counts
