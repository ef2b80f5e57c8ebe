"""Local invocations as Lambda runs them: an execution environment each, and logs that name them."""
from __future__ import annotations

import io
import json
import logging
import threading

import pytest

from pressroom.stages.approval_timer import ApprovalTimer
from pressroom_local.functions import LambdaContext, handler, instances, module


@pytest.fixture
def log_lines(monkeypatch):
    """The JSON lines the functions' Powertools loggers (service ``pressroom``, as deployed and in the
    local stack, so the stages' own loggers write through it too) write while the test runs."""
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "pressroom")
    instances.cache_clear()  # copies loaded from now on log as the stack's do
    module("approval_timer")
    powertools = logging.getLogger("pressroom")
    # Powertools sets the level once per process, when the first Logger is made: a local stack
    # started earlier in the run made it at the stack's WARNING
    monkeypatch.setattr(powertools, "level", logging.INFO)
    stream = io.StringIO()
    capture = logging.StreamHandler(stream)
    capture.setFormatter(powertools.handlers[0].formatter)
    powertools.addHandler(capture)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    powertools.removeHandler(capture)
    instances.cache_clear()


def api_get(path="/review/abc?t=nope"):
    return {"version": "2.0", "routeKey": "$default", "rawPath": path.split("?")[0],
            "rawQueryString": path.partition("?")[2], "headers": {"host": "127.0.0.1"},
            "queryStringParameters": {"t": "nope"},
            "requestContext": {"http": {"method": "GET", "path": path.split("?")[0], "sourceIp": "127.0.0.1",
                                        "protocol": "HTTP/1.1", "userAgent": "test"},
                               "requestId": "api-request-1", "routeKey": "$default", "stage": "$default",
                               "accountId": "123456789012", "apiId": "local", "domainName": "127.0.0.1",
                               "time": "05/Dec/2026:10:00:00 +0000", "timeEpoch": 0},
            "isBase64Encoded": False}


def test_a_line_names_the_function_that_wrote_it_while_another_runs(aws, log_lines, monkeypatch):
    """The timer writes its line after the API has been invoked meanwhile, on another thread."""
    started, api_done = threading.Event(), threading.Event()

    def slow_expire(self, photo_id, **kwargs):
        started.set()
        assert api_done.wait(60)
        logging.getLogger("pressroom.stages.approval_timer").warning("expiry looked at %s", photo_id)
        return False

    monkeypatch.setattr(ApprovalTimer, "expire", slow_expire)
    timer = threading.Thread(target=lambda: handler("approval_timer")(
        {"kind": "expiry", "photo_id": "p1"}, LambdaContext("approval_timer")))
    timer.start()
    assert started.wait(60)
    assert handler("approval_api")(api_get(), LambdaContext("approval_api"))["statusCode"] == 400
    api_done.set()
    timer.join(60)

    lines = log_lines()
    by_message = {line["message"]: line for line in lines}
    assert by_message["review page"]["function_name"] == "pressroom-approval-api"
    assert by_message["review page"]["correlation_id"] == "api-request-1"
    for message in ("expiry looked at p1", "approval expiry: nothing to do"):
        assert by_message[message]["function_name"] == "pressroom-approval-timer", by_message[message]
        assert "correlation_id" not in by_message[message]


def test_concurrent_invocations_each_get_an_execution_environment_of_their_own(aws, monkeypatch):
    both = threading.Barrier(2, timeout=30)
    used = []

    def expire(self, photo_id, **kwargs):
        both.wait()
        return False

    monkeypatch.setattr(ApprovalTimer, "expire", expire)
    before = instances("approval_timer").loaded
    run = handler("approval_timer")
    threads = [threading.Thread(target=lambda: used.append(run({"kind": "expiry", "photo_id": "p"},
                                                                 LambdaContext("approval_timer"))))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(used) == 2 and instances("approval_timer").loaded >= before + 1
    assert instances("approval_timer").loaded <= max(before, 2)  # idle copies are used again, not reloaded
