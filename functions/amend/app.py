"""Amend: changes to photos already on Flickr (take-downs, approved corrections), one message at a
time from the amend queue; what Flickr fails is retried, then left in the amend dead-letter queue."""
import json

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom import bootstrap
from pressroom.stages.takedown import TakedownRetry
from pressroom.stages.update import CorrectionRetry

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


def parse(body: str) -> tuple[str, str]:
    """(kind, photo id) of ``{"kind": "takedown"|"correction", "photo_id": "<id>", ...}``."""
    message = json.loads(body)
    kind, photo_id = message.get("kind"), message.get("photo_id")
    if kind not in ("takedown", "correction") or not isinstance(photo_id, str) or not photo_id.isalnum():
        raise ValueError("an amend message names its kind and a photo_id")
    return kind, photo_id


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    kind, photo_id = parse(record.body)
    attempt = int(record.attributes.approximate_receive_count)
    try:
        if kind == "takedown":
            outcome = bootstrap.takedown().take_down(photo_id, attempt=attempt)
        else:
            outcome = bootstrap.corrections().apply(photo_id, json.loads(record.body).get("correction", ""), attempt=attempt)
    except (TakedownRetry, CorrectionRetry) as exc:
        logger.warning("postponed", kind=kind, photo_id=photo_id, reason=str(exc))
        metrics.add_metric(name="AmendPostponed", unit=MetricUnit.Count, value=1)
        raise
    logger.info(kind, photo_id=photo_id, outcome=outcome.status, detail=outcome.detail)
    metrics.add_metric(name=f"{kind.title()}{outcome.status.title().replace('-', '')}", unit=MetricUnit.Count,
                       value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
