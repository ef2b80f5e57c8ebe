"""Photo events: the photo table's stream. A photo published is announced to its uploader and the
press office (with take-down links); a take-down or an approved correction is queued for Flickr;
an upload batch whose every photo has settled is announced once."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from pressroom import bootstrap
from pressroom.stages.photo_events import changes

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@tracer.capture_method
def record_handler(record: DynamoDBRecord, lambda_context: LambdaContext) -> None:
    for _, change in changes([record.raw_event]):
        done = bootstrap.photo_events().handle(change)
        photo = change.new or change.old
        if done:
            logger.info("photo event", photo_id=photo.id if photo else "", done=done)
            metrics.add_metric(name="PhotoEventsActedOn", unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
