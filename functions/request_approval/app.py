"""Request approval: email each approver a signed, personal link to the photo's review page."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from pressroom import bootstrap
from pressroom.domain.messages import PhotoMessage

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@tracer.capture_method
def record_handler(record: SQSRecord) -> None:
    photo_id = PhotoMessage.parse(record.body).photo_id
    emailed = bootstrap.request_approval().request(photo_id)
    logger.info("approval requested" if emailed else "nothing to request", photo_id=photo_id,
                approvers_emailed=len(emailed))
    metrics.add_metric(name="ApprovalEmailsSent", unit=MetricUnit.Count, value=len(emailed))


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor,
                                    context=context)
