"""A registry that fails on purpose: a loopback HTTP proxy in front of the stack's registry.

Reads (GET, HEAD) are forwarded to the real registry on localhost:5000, so an
image pushed there is visible through the proxy under the same name. Writes
fail the way a registry going down does, depending on ``mode``:

* ``refuse-writes``: every POST/PUT/PATCH/DELETE answers 503 (pushes fail);
* ``refuse-tags``: pushes by digest pass, but ``PUT /manifests/<tag>`` answers
  503, except for the build cache tag (the registry dies between the push and the tagging).

The shared registry is never stopped; the proxy runs in a thread of the test.
"""

from __future__ import annotations

import http.client
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = ("127.0.0.1", 5000)
_TAG_PUT = re.compile(r"^/v2/.+/manifests/(?!sha256:)[^/]+$")


class _Handler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def handle_one_request(self) -> None:
        # Docker tries HTTPS first and falls back to plain HTTP only when the answer
        # to its TLS hello starts with "HTTP/" (containerd's isTLSError), as Go servers do.
        if self.rfile.peek(1)[:1] == b"\x16":  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            self.close_connection = True
            return
        super().handle_one_request()

    def _refuse(self) -> bool:
        mode = self.server.mode
        if self.command in ("GET", "HEAD"):
            return False
        if mode == "refuse-writes":
            return True
        path = self.path.split("?")[0]
        # the build cache is a tag too; it is pushed during the build, before the moment this mode simulates
        return mode == "refuse-tags" and self.command == "PUT" and bool(_TAG_PUT.match(path)) and not path.endswith("/buildcache")

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.requests.append(f"{self.command} {self.path.split('?')[0]}")
        if self._refuse():
            self.server.refused += 1
            msg = b'{"errors":[{"code":"UNAVAILABLE","message":"registry going down (test proxy)"}]}'
            self.send_response(503)
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
            # a HEAD answer's Content-Length is the size of the manifest or blob: keep it
            if k.lower() not in ("connection", "transfer-encoding") and (k.lower() != "content-length" or self.command == "HEAD"):
                self.send_header(k, v)
        if self.command != "HEAD":
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, mode: str) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.mode = mode
        self.refused = 0
        self.requests: list[str] = []


@contextmanager
def failing_registry(port: int, mode: str) -> Iterator[_ProxyServer]:
    """Run the proxy on ``127.0.0.1:port`` for the ``with`` block."""
    server = _ProxyServer(port, mode)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
