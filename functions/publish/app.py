"""Publish: each approved photo goes to Flickr (or the local album) exactly once; a photo whose
message reached the publish dead-letter queue is recorded published or failed, never left APPROVED."""
from datetime import timedelta

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
from pressroom.domain.messages import PhotoMessage
from pressroom.stages.publish import PublishBusy, PublishRetry

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    photo_id = PhotoMessage.parse(record.body).photo_id
    lease = timedelta(milliseconds=lambda_context.get_remaining_time_in_millis())
    publishing = bootstrap.publish()
    try:
        if record.event_source_arn == publishing.settings.publish_dead_letter_queue_arn:
            # counted before handling, so the dead-letter alarm fires even when handling fails
            metrics.add_metric(name="PublishDeadLetters", unit=MetricUnit.Count, value=1)
            outcome = publishing.abandon(photo_id, lease=lease)
        else:
            outcome = publishing.publish(photo_id, lease=lease,
                                         attempt=int(record.attributes.approximate_receive_count))
    except (PublishBusy, PublishRetry) as exc:
        logger.warning("publishing postponed", photo_id=photo_id, reason=str(exc))
        metrics.add_metric(name="PublishPostponed", unit=MetricUnit.Count, value=1)
        raise
    logger.info("publish", photo_id=photo_id, outcome=outcome.status, detail=outcome.detail)
    metrics.add_metric(name="Publish" + outcome.status.title().replace("-", ""), unit=MetricUnit.Count, value=1)
    if outcome.upload_to_publish is not None:  # the dashboard's time from upload to publish
        metrics.add_metric(name="UploadToPublish", unit=MetricUnit.Seconds, value=outcome.upload_to_publish)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
