"""A registry that fails on purpose, the way real registries fail: one proxy for the tests and ``reliability/``.

A loopback HTTP proxy in front of the stack's open registry (127.0.0.1:5000): an image
pushed there is visible through the proxy under the same name, and the shared registry
is never stopped or changed by a fault. Each request is forwarded unless a :class:`Rule`
matches it (method, path regex, User-Agent regex; the first matching rule wins). A rule
answers with one kind of fault:

* ``status``: an HTTP status (401, 403, 404, 500, 503...) with a registry error body;
* ``full-disk``: what distribution/registry answers when its storage cannot write: its
  handlers turn a storage driver error into ``errcode.ErrorCodeUnknown.WithDetail(err)``,
  i.e. HTTP 500 ``{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":"...
  no space left on device"}]}`` (registry/handlers/blobupload.go, manifests.go);
* ``reset``: the connection is reset (RST: SO_LINGER 0, then close) without an answer;
* ``drop``: the connection closes with no answer;
* ``hang``: no answer for ``delay`` seconds, then the connection closes (a client with a
  shorter timeout times out);
* ``delay``: a slow registry: the request is forwarded after ``delay`` seconds.

``times=N`` makes a rule fail only the first N requests it matches (a burst: N failures,
then the real answer); ``None`` fails every one. Every request is counted
(:meth:`FaultProxy.count`), so a test can assert how many attempts a client made.
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

UPSTREAM = ("127.0.0.1", 5000)
KINDS = ("status", "full-disk", "reset", "drop", "hang", "delay")
# distribution: a storage driver error is ErrorCodeUnknown (HTTP 500) with the driver's error as detail
FULL_DISK_BODY = (
    b'{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":"filesystem: write '
    b'/var/lib/registry/docker/registry/v2/repositories/_uploads/data: no space left on device"}]}'
)
# Tag writes (PUT /manifests/<tag>, not a digest, not the build cache): what moves a release's tags.
TAG_PUT = r"^/v2/.+/manifests/(?!sha256:)(?!buildcache$)[^/]+$"


@dataclass
class Rule:
    """Fail the requests that match ``method`` (None: any), ``path`` and ``agent`` (regexes, None: any)."""

    kind: str = "status"
    method: str | None = None  # a regex: "PUT", "POST|PUT|PATCH"
    path: str | None = None
    agent: str | None = None
    status: int = 503
    times: int | None = None  # fail the first N matching requests only
    delay: float = 5.0  # hang: seconds before closing; delay: seconds before forwarding
    hits: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: one of {', '.join(KINDS)}")

    def matches(self, method: str, path: str, agent: str) -> bool:
        return (
            (self.method is None or re.fullmatch(self.method, method) is not None)
            and (self.path is None or re.search(self.path, path) is not None)
            and (self.agent is None or re.search(self.agent, agent) is not None)
        )


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    agent: str
    fault: str | None  # the kind of fault answered, None when forwarded


class _Handler(BaseHTTPRequestHandler):
    server: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def handle_one_request(self) -> None:
        # Docker tries HTTPS first and falls back to plain HTTP only when the answer to its
        # TLS hello starts with "HTTP/" (containerd's isTLSError), as Go servers do.
        if self.rfile.peek(1)[:1] == b"\x16":  # type: ignore[attr-defined]
            self.wfile.write(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
            self.close_connection = True
            return
        super().handle_one_request()

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        path = self.path.split("?")[0]
        agent = self.headers.get("User-Agent", "")
        rule = self.server.match(self.command, path, agent)
        self.server.record(Seen(self.command, path, agent, rule.kind if rule else None))
        if rule is not None and rule.kind != "delay":
            self.close_connection = rule.kind in ("reset", "drop", "hang")
            if rule.kind == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif rule.kind == "hang":
                time.sleep(rule.delay)
            elif rule.kind == "full-disk":
                self._answer(500, FULL_DISK_BODY)
            elif rule.kind == "status":
                self._answer(rule.status, b'{"errors":[{"code":"TEST","message":"fault injected by the test proxy"}]}')
            return
        if rule is not None:
            time.sleep(rule.delay)
        self._forward(body)

    def _forward(self, body: bytes | None) -> None:
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


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, rules: list[Rule]) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.rules = rules
        self.seen: list[Seen] = []
        self._lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def match(self, method: str, path: str, agent: str) -> Rule | None:
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path, agent) and (rule.times is None or rule.hits < rule.times):
                    rule.hits += 1
                    return rule
        return None

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    @property
    def faults(self) -> list[Seen]:
        """The requests answered with a fault."""
        return [s for s in self.seen if s.fault is not None]

    def count(self, method: str | None = None, path: str | None = None, agent: str | None = None) -> int:
        """How many requests (faulted or forwarded) matched: the attempts a client made."""
        probe = Rule("status", method, path, agent)
        return sum(probe.matches(s.method, s.path, s.agent) for s in self.seen)


@contextmanager
def fault_proxy(port: int, rules: list[Rule]) -> Iterator[FaultProxy]:
    """Run the proxy on ``127.0.0.1:port`` for the ``with`` block (port 0: any free port, see ``.address``)."""
    server = FaultProxy(port, rules)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
