"""Start and stop the whole pipeline on this machine: moto, the resources, handlers, HTTP API."""
from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from pressroom import bootstrap
from pressroom.domain import clock
from pressroom_local import functions, motofixes, resources
from pressroom_local.api import ApiServer
from pressroom_local.emulator import (
    Emulator,
    Outbox,
    QueueSource,
    ScheduleSource,
    StreamSource,
)
from pressroom_local.signin import PREFIX as SIGNIN_PREFIX
from pressroom_local.signin import DevSignIn

REGION = "eu-west-2"
#: queue → the function its event source mapping invokes, its batch size and its MaximumConcurrency
#: (as in template.yaml, scrub and request approval at the default SES send rate)
CONSUMERS = {"scrub": ("scrub", 1, 2), "policy": ("policy", 1, 5), "approval": ("request_approval", 5, 3),
             "publish": ("publish", 1, 2), "amend": ("amend", 1, 2)}
#: the photo table's stream → the function its event source mapping invokes, and its batch size
STREAM_CONSUMER = ("photo_events", 10)
#: path prefix → the function the HTTP API routes it to (as template.yaml's OpenAPI body does)
API_ROUTES = {"/takedown/": "amend_api", "/correction/": "amend_api", "/review/": "approval_api",
              "/desk/": "desk", "/auth/": "desk"}
#: the desk's home, served without the authorizer (it sends a visitor who is not signed in to sign in)
DESK_HOME = "/desk"
#: routes behind the desk authorizer (template.yaml: DeskAuthorizer on /desk/{proxy+})
AUTHORIZED_PREFIX = "/desk/"


def api_function(path: str) -> str:
    """The function serving ``path`` (the approval API answers anything unknown with its 404)."""
    if path == DESK_HOME:
        return "desk"
    return next((name for prefix, name in API_ROUTES.items() if path.startswith(prefix)), "approval_api")


def authorizer_event(event: dict[str, Any]) -> dict[str, Any]:
    """The request authorizer's event (payload 2.0) for an API request."""
    return {**event, "type": "REQUEST", "routeArn": f"arn:aws:execute-api:{REGION}:{resources.ACCOUNT}:local/$default/"
            f"{event['requestContext']['http']['method']}{event['rawPath']}",
            "identitySource": ["; ".join(event.get("cookies") or [])]}


def gateway(handlers: dict[str, Handler], authorizer: Handler, signin: Handler) -> Handler:
    """The HTTP API of template.yaml: the development sign-in (local only) under /local/cognito, the
    desk routes behind the authorizer (no cookie: 401 without calling it; refused: 403, as API
    Gateway answers), the rest to their functions."""
    def route(event: dict[str, Any], context: Any) -> Any:
        path = event["rawPath"]
        if path.startswith(SIGNIN_PREFIX + "/"):
            return signin(event, context)
        if path.startswith(AUTHORIZED_PREFIX):
            if not event.get("cookies"):
                return {"statusCode": 401, "headers": {"Content-Type": "application/json"},
                        "body": '{"message":"Unauthorized"}'}
            if not authorizer(authorizer_event(event), context).get("isAuthorized"):
                return {"statusCode": 403, "headers": {"Content-Type": "application/json"},
                        "body": '{"message":"Forbidden"}'}
        return handlers[api_function(path)](event, context)
    return route


#: dead-letter queue → the function consuming it, its batch size and MaximumConcurrency (the rest nothing consumes)
DLQ_CONSUMERS = {"scrub": ("dead_letters", 10, 2), "policy": ("dead_letters", 10, 2), "publish": ("publish", 1, 2)}
Handler = Callable[[dict, Any], Any]


class StackError(RuntimeError):
    """The local stack cannot start here; the message says why and what to do."""


class EndpointSession:
    """A boto3 session whose clients all talk to one endpoint (moto's server)."""

    def __init__(self, endpoint: str, region: str = REGION):
        self.endpoint = endpoint
        self.region_name = region
        self._session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                      region_name=region)

    def client(self, name: str) -> Any:
        return self._session.client(name, endpoint_url=self.endpoint)


@dataclass(frozen=True)
class StackInfo:
    """What another process needs to talk to a running local stack (``.pressroom/stack.json``)."""

    endpoint: str
    api: str
    raw_bucket: str
    outbox: str
    album: str
    env: dict[str, str]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def load(cls, path: Path) -> StackInfo:
        return cls(**json.loads(path.read_text()))


def _answers(url: str) -> bool:
    """Whether something listens at ``url``'s host and port."""
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except (OSError, ValueError):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _local_flickr(home: Path) -> dict[str, str] | None:
    """The Flickr credentials ``pressroom flickr auth`` kept here (``<home>/flickr.json``), if any:
    with them the local stack publishes to that Flickr account instead of the local album."""
    try:
        value = json.loads((home / "flickr.json").read_text())
    except (OSError, ValueError):
        return None
    keys = ("api_key", "api_secret", "oauth_token", "oauth_token_secret")
    return {k: str(value[k]) for k in keys} if isinstance(value, dict) and all(value.get(k) for k in keys) else None


class LocalStack:
    """The pipeline of template.yaml on 127.0.0.1, with the same handlers running in-process."""

    def __init__(self, home: Path = Path(".pressroom"), api_port: int = 0, moto_port: int = 0,
                 announce: Callable[[str], None] | None = None,
                 wrap: Callable[[str, Handler], Handler] | None = None):
        """``wrap(function name, handler)`` may stand in for a handler (a fault-injecting soak does)."""
        self.home = home.resolve()
        self._wrap = wrap or (lambda name, handler: handler)
        self.queue_urls: dict[str, str] = {}
        self.dlq_urls: dict[str, str] = {}
        self._announce = announce  # told of each email sent, with its review links
        self._api_port = api_port
        self._moto_port = moto_port
        self._moto: Any = None
        self.api: ApiServer | None = None
        self.signin: DevSignIn | None = None
        self.emulator: Emulator | None = None
        self.info: StackInfo | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def outbox(self) -> Path:
        return self.home / "outbox"

    @property
    def album(self) -> Path:
        return self.home / "flickr"

    def start(self) -> StackInfo:
        from moto.server import ThreadedMotoServer

        self._refuse_if_running()
        try:
            handlers = {name: self._wrap(name, functions.handler(name)) for name in set(API_ROUTES.values())}
            authorizer = self._wrap("desk_authorizer", functions.handler("desk_authorizer"))
            self.api = ApiServer(gateway(handlers, authorizer, self._sign_in), port=self._api_port)
        except OSError as exc:
            raise StackError(f"port {self._api_port} for the review pages is in use ({exc.strerror}): "
                             "stop what uses it, or choose another with --port") from exc
        signin = self.signin = DevSignIn(self.api.url)  # its issuer is the API's address
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        for stale in (self.outbox, self.album):  # moto keeps nothing between runs; neither do these
            shutil.rmtree(stale, ignore_errors=True)
        self.home.mkdir(parents=True, exist_ok=True)
        port = self._moto_port or _free_port()
        motofixes.apply()
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self._moto.start()
        endpoint = f"http://127.0.0.1:{port}"
        # moto's backends live in this process: start from nothing, as a new deployment would
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
        session = EndpointSession(endpoint)
        base_env = {
            "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
            "POWERTOOLS_SERVICE_NAME": "pressroom", "POWERTOOLS_METRICS_NAMESPACE": "Pressroom",
            "POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "PRESSROOM_AWS_ENDPOINT_URL": endpoint,
            "PRESSROOM_APPROVAL_BASE_URL": self.api.url,
            "PRESSROOM_LOCAL_ALBUM_DIR": str(self.album),
            "PRESSROOM_DETECTOR": "local",  # in-account image analysis, in this process
            **signin.env(),  # the desk signs in through the development sign-in (local only)
        }
        self._set_env(base_env)
        created = resources.create_all(session, flickr=_local_flickr(self.home), desk_origins=(self.api.url,))
        self._set_env(created.env)
        bootstrap.reset()
        names = resources.Names()
        sqs = session.client("sqs")
        self.queue_urls, self.dlq_urls = dict(created.queue_urls), dict(created.dlq_urls)
        sources: list[Any] = [
            QueueSource(function, sqs, created.queue_urls[queue], self._wrap(function, functions.handler(function)),
                        REGION, batch, concurrency)
            for queue, (function, batch, concurrency) in CONSUMERS.items()
        ]
        sources += [
            QueueSource(function, sqs, created.dlq_urls[queue], self._wrap(function, functions.handler(function)),
                        REGION, batch, concurrency)
            for queue, (function, batch, concurrency) in DLQ_CONSUMERS.items()
        ]
        function, batch = STREAM_CONSUMER
        sources.append(StreamSource(function, session.client("dynamodbstreams"), created.stream_arn,
                                    self._wrap(function, functions.handler(function)), REGION, batch_size=batch,
                                    on_failure=(sqs, created.dlq_urls["photo_events"])))
        sources.append(ScheduleSource(session.client("scheduler"), names.scheduler_group, {
            resources.function_arn(REGION, name): self._wrap(name, functions.handler(name))
            for name in ("staleness", "approval_timer", "comments")
        }, sqs=sqs, listing=partial(motofixes.schedules_listed, resources.ACCOUNT, REGION, names.scheduler_group)))
        sources.append(Outbox(self.outbox, resources.ACCOUNT, REGION, self._announce))
        self.emulator = Emulator(sources)
        self.api.start()
        self.emulator.start()
        self.info = StackInfo(endpoint=endpoint, api=self.api.url, raw_bucket=names.raw_bucket,
                              outbox=str(self.outbox), album=str(self.album), env={**base_env, **created.env})
        self.info.save(self.home / "stack.json")
        return self.info

    def _sign_in(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        """The development sign-in's endpoints (local only)."""
        assert self.signin is not None, "the stack is not started"
        return self.signin.handle(event, context)

    def _refuse_if_running(self) -> None:
        """Another stack using this home would lose its mail and album to this one's start."""
        try:
            other = StackInfo.load(self.home / "stack.json")
        except (OSError, ValueError, TypeError):
            return  # none, or unreadable: nothing running can be relied on to use it
        if _answers(other.endpoint):
            raise StackError(f"a local stack is already running from {self.home} (review pages {other.api}): "
                             "use that one, or stop it (Ctrl-C where it runs) first")

    def stop(self) -> None:
        if self.emulator:
            self.emulator.stop()
        if self.api:
            self.api.stop()
        if self._moto:
            self._moto.stop()
        (self.home / "stack.json").unlink(missing_ok=True)
        clock.reset()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        bootstrap.reset()

    def session(self) -> EndpointSession:
        assert self.info is not None, "the stack is not started"
        return EndpointSession(self.info.endpoint)

    def _set_env(self, values: dict[str, str]) -> None:
        for name, value in values.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            os.environ[name] = value

    def __enter__(self) -> LocalStack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

