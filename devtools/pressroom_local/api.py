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
#: the methods the review pages answer (HEAD as GET without the body); any other standard one is 405
ALLOWED = ("GET", "HEAD", "POST")
_NOT_ALLOWED = ("PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT")


def http_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    """The event API Gateway sends a Lambda for one request (payload format 2.0)."""
    url = urlsplit(target)
    text = any(headers.get("content-type", "").startswith(t) for t in _TEXT_TYPES)
    now = time.time()
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": headers,
        "queryStringParameters": dict(parse_qsl(url.query)) or None,
        **({"cookies": cookies} if cookies else {}),  # API Gateway moves them out of the headers
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
    """Serves one Lambda handler over HTTP, each request on its own thread (as Lambda runs a new
    instance for a request arriving while the others are busy).

    GET and POST go to the function as they are, HEAD as a GET whose body is not sent, and any
    other standard method is answered 405 with ``Allow`` (API Gateway has no route for it, so it
    never reaches the function)."""

    def __init__(self, handler: Callable[[dict, Any], dict], host: str = "127.0.0.1", port: int = 0,
                 function: str = "approval_api"):
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
                method = "GET" if self.command == "HEAD" else self.command
                event = http_event(method, self.path, headers, body, self.client_address[0])
                try:
                    reply = handler(event, LambdaContext(function))
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

            def _not_allowed(self) -> None:
                self.close_connection = True  # its body, if any, is not read
                data = f"{self.command} is not allowed here: use {', '.join(ALLOWED)}\n".encode()
                self.send_response(405)
                self.send_header("Allow", ", ".join(ALLOWED))
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_HEAD = _serve
            do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _not_allowed

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="approval-api", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
