"""smoke's pure helpers: port parsing, start errors, the report's verdict."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest

from buildorch.inspect.smoke import (
    PathCheck,
    PlatformSmoke,
    SmokeReport,
    check_path,
    health_status,
    parse_host_port,
    start_failure,
)


def test_parse_host_port_prefers_loopback() -> None:
    assert parse_host_port("127.0.0.1:49153\n") == 49153
    assert parse_host_port("0.0.0.0:32768\n[::]:32768\n127.0.0.1:40000\n") == 40000
    assert parse_host_port("[::]:32770\n") == 32770
    assert parse_host_port("") is None


def test_start_failure_keeps_the_useful_part() -> None:
    # recorded: docker run -d of a FROM scratch image whose ENTRYPOINT does not exist
    err = (
        "docker: Error response from daemon: failed to create task for container: failed to create shim task: "
        "OCI runtime create failed: runc create failed: unable to start container process: exec: \"/nothing\": "
        "stat /nothing: no such file or directory: unknown\n\nRun 'docker run --help' for more information\n"
    )
    assert start_failure(err) == 'exec: "/nothing": stat /nothing: no such file or directory'
    assert start_failure("docker: Error response from daemon: port is already allocated.\n") == "port is already allocated."
    assert start_failure("") is None


def test_health_status() -> None:
    assert health_status({"Running": True, "Health": {"Status": "healthy"}}) == "healthy"
    assert health_status({"Running": True}) is None


def test_report_failure_is_the_first_failing_platform() -> None:
    ok = PlatformSmoke(platform="linux/amd64", ok=True, checks=[PathCheck(path="/health", status=200, ok=True)])
    bad = PlatformSmoke(platform="linux/arm64", error="port 8080 did not answer HTTP within 5s")
    report = SmokeReport(image="x", port=8080, paths=["/health"], timeout_seconds=5, platforms=[ok, bad])
    assert report.failure() is bad
    assert SmokeReport(image="x", port=1, paths=[], timeout_seconds=1, platforms=[ok]).failure() is None


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 503)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    srv = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_check_path_expects_2xx(server: str) -> None:
    good = check_path(server, "/health")
    assert good.ok and good.status == 200 and good.latency_ms is not None
    bad = check_path(server, "/broken")
    assert not bad.ok and bad.status == 503 and bad.error == "HTTP 503, want 2xx"


def test_check_path_on_a_closed_port() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = check_path(f"http://127.0.0.1:{port}", "/health")
    assert not c.ok and c.status is None and c.error
