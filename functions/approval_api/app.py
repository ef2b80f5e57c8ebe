"""Approval API: the review page (GET, read-only) and the decision (POST) behind each signed link."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from pressroom import bootstrap
from pressroom.stages.approval_api import refusal
from pressroom.web.forms import FormRefused, read_decision
from pressroom.web.pages import Page

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _reply(page: Page) -> Response:
    return Response(status_code=page.status, body=page.html, headers=page.headers)


@app.get("/review/<photo_id>")
@tracer.capture_method(capture_response=False)  # pages carry the signed token
def review(photo_id: str) -> Response:
    page = bootstrap.approval_api().review(photo_id, app.current_event.get_query_string_value("t", "") or "")
    logger.info("review page", photo_id=photo_id, status=page.status)
    return _reply(page)


@app.post("/review/<photo_id>")
@tracer.capture_method(capture_response=False)  # pages carry the signed token
def decide(photo_id: str) -> Response:
    event, approvals = app.current_event, bootstrap.approval_api()
    try:
        body = event.decoded_body or ""
    except ValueError:  # base64 that does not decode, or bytes that are not UTF-8
        body = None
    try:
        page = approvals.decide(photo_id, read_decision(body, event.headers, approvals.origin))
    except FormRefused as err:
        page = refusal(err.status, err.title, err.message)
    logger.info("decision", photo_id=photo_id, status=page.status)
    metrics.add_metric(name="DecisionsRecorded" if page.status == 200 else "DecisionsRefused",
                       unit=MetricUnit.Count, value=1)
    return _reply(page)


@app.not_found
def not_found(_: Exception) -> Response:
    return _reply(refusal(404, "Not found", "There is nothing here. Use the link in your approval email."))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)  # the review page carries the signed token
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
