"""Staleness: the one-time ``stale-account`` schedule fired; remind the press office if still stale."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom import bootstrap
from pressroom.stages.staleness import KIND

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if event.get("kind") != KIND or not isinstance(event.get("due"), str):
        raise ValueError(f"expected {{\"kind\": \"{KIND}\", \"due\": \"<ISO time>\"}}")
    outcome = bootstrap.staleness().fire(event["due"])
    logger.info("stale-account timer fired", due=event["due"], outcome=outcome)
    metrics.add_metric(name="StaleAccount" + outcome.title().replace("-", ""), unit=MetricUnit.Count, value=1)
    return {"due": event["due"], "outcome": outcome}
