"""Scrub: each upload in the raw bucket becomes a metadata-free copy in the clean bucket."""
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

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    for upload in created_objects(record.body):
        photo = bootstrap.scrub().receive(upload, attempt=int(record.attributes.approximate_receive_count))
        if photo is None:
            logger.warning("upload has no record", key=upload.key)
            continue
        logger.info("upload scrubbed", photo_id=photo.id, state=photo.state.value, key=upload.key)
        metrics.add_metric(name=f"Photos{photo.state.value.title()}", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
