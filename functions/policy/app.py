"""Policy: each scrubbed photo is checked against the guidance, then blocked or sent for approval."""
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
from pressroom.stages.policy import photo_id_of_clean_key

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    for obj in created_objects(record.body):
        photo = bootstrap.policy().check(photo_id_of_clean_key(obj.key),
                                         attempt=int(record.attributes.approximate_receive_count))
        if photo is not None:
            logger.info("photo checked", photo_id=photo.id, state=photo.state.value,
                        findings=len(photo.findings))
            metrics.add_metric(name=f"Photos{photo.state.value.title()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
