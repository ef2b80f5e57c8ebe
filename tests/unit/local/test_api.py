"""The local approval API: the methods it answers, HEAD without a body, requests side by side."""
from __future__ import annotations

import http.client
import threading

import pytest

from pressroom_local.api import ApiServer


@pytest.fixture
def server():
    seen: list[dict] = []
    both = threading.Barrier(2, timeout=30)

    def handler(event, context):
        seen.append(event)
        if event["rawPath"] == "/together":
            both.wait()  # returns only when a second request is in the function at the same time
        return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "DENY"},
                "body": "<p>the page</p>"}

    api = ApiServer(handler)
    api.start()
    yield api, seen
    api.stop()


def request(api, method, path="/review/abc?t=x", body=None, headers=None):
    host, port = api.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.request(method, path, body=body, headers=headers or {})
    reply = conn.getresponse()
    data = reply.read()
    conn.close()
    return reply, data


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_are_not_allowed_and_never_reach_the_function(server, method):
    api, seen = server
    reply, data = request(api, method, body=b"x=1" if method in ("PUT", "PATCH") else None)
    assert reply.status == 405 and reply.getheader("Allow") == "GET, HEAD, POST"
    assert method.encode() in data and seen == []


def test_head_is_answered_as_get_without_the_body(server):
    api, seen = server
    get, body = request(api, "GET")
    head, nothing = request(api, "HEAD")
    assert head.status == get.status == 200 and nothing == b"" and body == b"<p>the page</p>"
    assert head.getheader("Content-Length") == str(len(body)) and head.getheader("X-Frame-Options") == "DENY"
    assert [e["requestContext"]["http"]["method"] for e in seen] == ["GET", "GET"]


def test_get_and_post_reach_the_function(server):
    api, seen = server
    reply, _ = request(api, "POST", body=b"a=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 200 and seen[0]["requestContext"]["http"]["method"] == "POST" and seen[0]["body"] == "a=1"


def test_requests_are_served_side_by_side(server):
    api, _ = server
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(request(api, "GET", "/together")[0].status))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert replies == [200, 200]
