"""Desk: the press office's web desk (upload, my photos, approvals), and signing in to it.

A desk route is registered with :func:`desk`: the visitor must be signed in (a page sends them to
sign in, a data route answers 401), be in a group :data:`pressroom.web.desk.NAV` gives the path
(else 403, and an audit event), and a POST must carry the sign-in's CSRF token and come from this
site. Adding a page is a NAV entry and a few lines here.
"""
import json
from collections.abc import Callable
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl, unquote

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit

from pressroom import bootstrap
from pressroom.domain import clock
from pressroom.domain.reports import Month
from pressroom.stages.approval_api import refusal
from pressroom.stages.desk_signin import Redirect, Session
from pressroom.stages.desk_uploads import UploadRefused
from pressroom.web.desk import NAV, DeskPage, allowed, desk_html
from pressroom.web.pages import Page, security_headers
from pressroom.web.reports import CSV_PATH, month_asked, reports_csv_page, reports_page

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayHttpResolver()
SIGN_IN = "/auth/sign-in"
_SCRIPT = files("pressroom.web").joinpath("static/desk.js").read_text()
Reply = DeskPage | Page | Redirect | tuple[int, dict[str, Any]]


def _cookie_header() -> str:
    event = app.current_event
    return "; ".join(event.cookies or []) or event.headers.get("cookie", "")


def _posted() -> dict[str, Any] | None:
    """The POST's fields: a JSON object, or a form; None when it is neither."""
    event = app.current_event
    try:
        body = event.decoded_body or ""
    except ValueError:
        return None
    if event.headers.get("content-type", "").startswith("application/json"):
        try:
            value = json.loads(body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None
    return dict(parse_qsl(body, keep_blank_values=True))


def _reply(reply: Reply) -> Response:
    if isinstance(reply, Redirect):
        headers = {**security_headers(), "Location": reply.location}
        return Response(status_code=303, body="", headers=headers, cookies=list(reply.cookies))
    if isinstance(reply, tuple):
        status, data = reply
        headers = {**security_headers(), "Content-Type": "application/json"}
        return Response(status_code=status, body=json.dumps(data), headers=headers)
    if isinstance(reply, DeskPage):
        return Response(status_code=reply.status, body=reply.body, headers=reply.headers)
    return Response(status_code=reply.status, body=reply.html, headers=reply.headers)


def _title(path: str) -> str:
    return next((item.label for item in NAV if item.path == path), "Desk")


def desk(method: str, path: str, *, data: bool = False) -> Callable[[Callable[..., Reply]], Callable[..., Reply]]:
    """Register ``view(session, **path parameters)`` (POST: ``view(session, posted, ...)``) as a
    desk route; ``data``: it answers JSON, not a page."""
    def register(view: Callable[..., Reply]) -> Callable[..., Reply]:
        def run(**params: str) -> Response:
            signin = bootstrap.desk_signin()
            session = signin.session(_cookie_header())
            here = app.current_event.path
            if session is None:
                return _reply((401, {"error": "Sign in to the desk first."}) if data or method != "GET"
                              else Redirect(SIGN_IN))
            if not allowed(session.visitor, here):
                bootstrap.store().record_desk(actor=session.visitor.email, event="desk-refused",
                                              detail={"path": here, "groups": sorted(session.visitor.groups)})
                metrics.add_metric(name="DeskRefused", unit=MetricUnit.Count, value=1)
                return _reply((403, {"error": "Your groups do not open this."}) if data else DeskPage(403, desk_html(
                    "notice.html", title="Not for your groups", visitor=session.visitor, csrf=session.csrf,
                    error="None of your groups opens this page. Ask the press office if you need it.", link=None)))
            if method == "POST":
                posted = _posted()
                if posted is None or not signin.csrf_ok(session, str(posted.get("csrf", "")), app.current_event.headers):
                    why = "The form was missing its security code, or came from another site: reload the page."
                    return _reply((403, {"error": why}) if data else DeskPage(403, desk_html(
                        "notice.html", title="Request refused", visitor=session.visitor, csrf=session.csrf,
                        error=why, link=None)))
                return _reply(view(session, posted, **params))
            return _reply(view(session, **params))

        run.__name__ = view.__name__
        app.route(path, method)(tracer.capture_method(capture_response=False)(run))
        return view
    return register


# -- signing in and out (not behind the API's authorizer: nobody is signed in yet) -------------------
@app.get(SIGN_IN)
def sign_in() -> Response:
    return _reply(bootstrap.desk_signin().start())


@app.get("/auth/callback")
def callback() -> Response:
    event = app.current_event
    done = bootstrap.desk_signin().finish(event.get_query_string_value("code", "") or "",
                                          event.get_query_string_value("state", "") or "", _cookie_header())
    if isinstance(done, Redirect):
        metrics.add_metric(name="DeskSignIns", unit=MetricUnit.Count, value=1)
        return _reply(done)
    return _reply(DeskPage(400, desk_html("notice.html", title="Not signed in", visitor=None, error=done,
                                          link={"path": SIGN_IN, "label": "Sign in"})))


@app.post("/auth/sign-out")
def sign_out() -> Response:
    signin = bootstrap.desk_signin()
    session = signin.session(_cookie_header())
    posted = _posted()
    if session is None:
        return _reply(Redirect(SIGN_IN))
    if posted is None or not signin.csrf_ok(session, str(posted.get("csrf", "")), app.current_event.headers):
        return _reply(refusal(403, "Request refused", "The form was missing its security code: reload the page."))
    return _reply(signin.sign_out(session))


# -- the desk ------------------------------------------------------------------------------------
@desk("GET", "/desk")
def home(session: Session) -> Reply:
    return DeskPage(200, desk_html("home.html", title="Desk", visitor=session.visitor, csrf=session.csrf))


@desk("GET", "/desk/desk.js")
def script(session: Session) -> Reply:
    return DeskPage(200, _SCRIPT, content_type="text/javascript; charset=utf-8")


@desk("GET", "/desk/upload")
def upload_form(session: Session) -> Reply:
    return bootstrap.desk_uploads().form(title=_title("/desk/upload"), visitor=session.visitor, csrf=session.csrf,
                                         here="/desk/upload")


@desk("POST", "/desk/upload/prepare", data=True)
def prepare(session: Session, posted: dict[str, Any]) -> Reply:
    try:
        uploads = bootstrap.desk_uploads().prepare(session.visitor.email, posted)
    except UploadRefused as err:
        return 400, {"error": str(err)}
    metrics.add_metric(name="DeskUploadsIssued", unit=MetricUnit.Count, value=len(uploads))
    return 200, {"uploads": [vars(u) for u in uploads]}


@desk("GET", "/desk/photos")
def my_photos(session: Session) -> Reply:
    photos = bootstrap.desk_uploads().states(session.visitor.email)
    return DeskPage(200, desk_html("photos.html", title=_title("/desk/photos"), visitor=session.visitor,
                                   csrf=session.csrf, here="/desk/photos", photos=photos))


@desk("GET", "/desk/photos/states", data=True)
def states(session: Session) -> Reply:
    return 200, {"photos": bootstrap.desk_uploads().states(session.visitor.email)}


@desk("GET", "/desk/approvals")
def approvals(session: Session) -> Reply:
    return bootstrap.desk_approvals().queue(session.visitor, title=_title("/desk/approvals"), csrf=session.csrf,
                                            here="/desk/approvals")


@desk("GET", "/desk/approvals/<photo_id>")
def review(session: Session, photo_id: str) -> Reply:
    return bootstrap.desk_approvals().review(session.visitor, photo_id)


def _query(name: str) -> str:
    return app.current_event.get_query_string_value(name, "") or ""


@desk("GET", "/desk/comments")
def comments(session: Session) -> Reply:
    return bootstrap.inbox_pages().page(session.visitor, state=_query("state") or "new", csrf=session.csrf)


@desk("POST", "/desk/comments/<comment_id>/<action>")
def comment_action(session: Session, posted: dict[str, Any], comment_id: str, action: str) -> Reply:
    # the form's action quotes the comment id (a local album's has a colon); the path arrives as sent
    page = bootstrap.inbox_pages().act(session.visitor, unquote(comment_id), action, posted, csrf=session.csrf)
    metrics.add_metric(name="InboxActions" if page.status == 200 else "InboxActionsRefused", unit=MetricUnit.Count,
                       value=1)
    return page


@desk("GET", "/desk/escalated")
def escalated(session: Session) -> Reply:
    return bootstrap.inbox_pages().escalated(session.visitor, csrf=session.csrf)


def _month(session: Session) -> Month | DeskPage:
    """The month ``?month=`` asks for, or the page saying why there is none."""
    try:
        return month_asked(_query("month") or None, clock.now())
    except ValueError as err:
        return DeskPage(400, desk_html("notice.html", title="No such month", visitor=session.visitor,
                                       csrf=session.csrf, here="/desk/reports", error=str(err),
                                       link={"path": "/desk/reports", "label": "This month's report"}))


@desk("GET", "/desk/reports")
def reports(session: Session) -> Reply:
    month = _month(session)
    if isinstance(month, DeskPage):
        return month
    return reports_page(bootstrap.monthly_reports().report(month), visitor=session.visitor, csrf=session.csrf,
                        now=clock.now())


@desk("GET", CSV_PATH)
def reports_csv(session: Session) -> Reply:
    month = _month(session)
    if isinstance(month, DeskPage):
        return month
    bootstrap.store().record_desk(actor=session.visitor.email, event="desk-report-exported",
                                  detail={"month": str(month)})
    return reports_csv_page(bootstrap.monthly_reports().report(month))


@app.not_found
def not_found(_: Exception) -> Response:
    return _reply(refusal(404, "Not found", "There is nothing here. Open the desk at /desk."))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@tracer.capture_lambda_handler(capture_response=False)  # pages carry CSRF tokens and signed links
@metrics.log_metrics
def lambda_handler(event: dict, context: object) -> dict:
    return app.resolve(event, context)
