"""Amend API: the pages behind the signed links about published photos. GET shows, never changes;
POST (from the page's own form) takes a photo down or decides on a correction."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from pressroom import bootstrap
from pressroom.web.templating import HtmlPage, render

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()


def _reply(page: HtmlPage) -> Response:
    return Response(status_code=page.status, body=page.html, headers=page.headers)


def _body() -> str | None:
    try:
        return app.current_event.decoded_body or ""
    except ValueError:  # base64 that does not decode, or bytes that are not UTF-8
        return None


def _token() -> str:
    return app.current_event.get_query_string_value("t", "") or ""


@app.get("/takedown/<photo_id>")
@tracer.capture_method(capture_response=False)  # pages carry the signed token
def takedown_page(photo_id: str) -> Response:
    page = bootstrap.takedown_pages().page(photo_id, _token())
    logger.info("take-down page", photo_id=photo_id, status=page.status)
    return _reply(page)


@app.post("/takedown/<photo_id>")
@tracer.capture_method(capture_response=False)
def takedown_confirm(photo_id: str) -> Response:
    page = bootstrap.takedown_pages().confirm(photo_id, _body(), app.current_event.headers)
    logger.info("take-down", photo_id=photo_id, status=page.status)
    metrics.add_metric(name="TakedownsAsked" if page.status == 200 else "TakedownsRefused", unit=MetricUnit.Count,
                       value=1)
    return _reply(page)


@app.get("/correction/<photo_id>")
@tracer.capture_method(capture_response=False)
def correction_page(photo_id: str) -> Response:
    page = bootstrap.correction_pages().page(photo_id, _token())
    logger.info("correction page", photo_id=photo_id, status=page.status)
    return _reply(page)


@app.post("/correction/<photo_id>")
@tracer.capture_method(capture_response=False)
def correction_decide(photo_id: str) -> Response:
    page = bootstrap.correction_pages().decide(photo_id, _body(), app.current_event.headers)
    logger.info("correction decision", photo_id=photo_id, status=page.status)
    metrics.add_metric(name="CorrectionsDecided" if page.status == 200 else "CorrectionsRefused",
                       unit=MetricUnit.Count, value=1)
    return _reply(page)


@app.not_found
def not_found(_: Exception) -> Response:
    return _reply(HtmlPage(404, render("notice.html", title="Not found", section="published photos", error="",
                                       message="There is nothing here. Use the link in your email.", kind="error",
                                       photo=None, history=[])))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)  # pages carry the signed token
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
