"""The approval HTTP API on 127.0.0.1: requests become API Gateway HTTP API (v2) events."""
from __future__ import annotations

import base64
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pressroom_local.functions import LambdaContext

_TEXT_TYPES = ("application/x-www-form-urlencoded", "text/", "application/json")
MAX_BODY = 1024 * 1024


def http_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    """The event API Gateway sends a Lambda for one request (payload format 2.0)."""
    url = urlsplit(target)
    text = any(headers.get("content-type", "").startswith(t) for t in _TEXT_TYPES)
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": headers,
        "queryStringParameters": dict(parse_qsl(url.query)) or None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "http": {"method": method, "path": url.path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                     "userAgent": headers.get("user-agent", "")},
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": (body.decode("utf-8", "replace") if text else base64.b64encode(body).decode()) if body else None,
        "isBase64Encoded": bool(body) and not text,
    }


class ApiServer:
    """Serves one Lambda handler over HTTP, one request at a time (as one Lambda instance would)."""

    def __init__(self, handler: Callable[[dict, Any], dict], host: str = "127.0.0.1", port: int = 0):
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                declared = self.headers.get("Content-Length") or "0"
                if not declared.isdigit():  # API Gateway refuses these too; a negative one would read to EOF
                    self.send_error(400, "Bad Content-Length")
                    return
                length = int(declared)
                if length > MAX_BODY:
                    self.send_error(413)
                    return
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                event = http_event(self.command, self.path, headers, body, self.client_address[0])
                try:
                    with lock:
                        reply = handler(event, LambdaContext("approval_api"))
                except Exception:  # noqa: BLE001 - API Gateway answers a failed function with 500
                    traceback.print_exc()
                    self.send_error(500, "Internal Server Error")
                    return
                payload = reply.get("body") or ""
                data = base64.b64decode(payload) if reply.get("isBase64Encoded") else payload.encode()
                self.send_response(int(reply.get("statusCode", 200)))
                for name, value in (reply.get("headers") or {}).items():
                    self.send_header(name, str(value))
                for name, values in (reply.get("multiValueHeaders") or {}).items():
                    for value in values:
                        self.send_header(name, str(value))
                for cookie in reply.get("cookies") or []:
                    self.send_header("Set-Cookie", cookie)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="approval-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
