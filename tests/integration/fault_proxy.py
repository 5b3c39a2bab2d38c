"""A registry that fails one kind of request on purpose, the way real registries fail.

A loopback HTTP proxy in front of the stack's open registry (127.0.0.1:5000). Each
request is forwarded, unless ``fault(method, path, user_agent)`` names a failure for
it: an HTTP status (401, 403, 404, 500...), ``drop`` (the connection closes with no
answer) or ``hang`` (no answer for ``hang_seconds``, then the connection closes: a
client with a shorter timeout times out). The shared registry is never touched.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = ("127.0.0.1", 5000)
Fault = Callable[[str, str, str], "str | int | None"]


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def handle_one_request(self) -> None:
        # Docker tries HTTPS first and falls back to plain HTTP when the answer to its TLS hello starts with "HTTP/"
        if self.rfile.peek(1)[:1] == b"\x16":  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            self.close_connection = True
            return
        super().handle_one_request()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path.split("?")[0]
        fault = self.server.fault(self.command, path, self.headers.get("User-Agent", ""))
        if fault is not None:
            self.server.faults.append(f"{fault} {self.command} {path}")
            if fault in ("drop", "hang"):
                if fault == "hang":
                    time.sleep(self.server.hang_seconds)
                self.close_connection = True
                return
            msg = b'{"errors":[{"code":"TEST","message":"fault injected by the test proxy"}]}'
            self.send_response(int(fault))
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        conn = http.client.HTTPConnection(*UPSTREAM, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding") and (k.lower() != "content-length" or self.command == "HEAD"):
                self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, fault: Fault, hang_seconds: float = 5.0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.fault = fault
        self.hang_seconds = hang_seconds
        self.faults: list[str] = []


@contextmanager
def fault_proxy(port: int, fault: Fault, hang_seconds: float = 5.0) -> Iterator[FaultProxy]:
    """Run the proxy on ``127.0.0.1:port`` for the ``with`` block."""
    server = FaultProxy(port, fault, hang_seconds)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
