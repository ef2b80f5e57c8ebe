"""Dead letters: a photo whose scrub or policy function was stopped on every attempt is quarantined or blocked."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressroom import bootstrap
from pressroom.domain.messages import created_objects
from pressroom.stages.dead_letters import stage_of

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    for obj in created_objects(record.body):
        stage = stage_of(obj.key)
        # counted before handling, so the dead-letter alarms fire even when handling fails
        metrics.add_metric(name=f"{stage.title()}DeadLetters", unit=MetricUnit.Count, value=1)
        outcome = bootstrap.dead_letters().handle(obj)
        logger.warning("dead letter handled", stage=stage, photo_id=outcome.photo_id, action=outcome.action,
                       state=outcome.state.value if outcome.state else None, key=obj.key,
                       queue=record.event_source_arn)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
