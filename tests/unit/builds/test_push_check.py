"""``build --push``: the registries are asked first; one that does not answer stops the build before it runs (exit 4)."""

from __future__ import annotations

import io
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from buildorch.builds import runner
from buildorch.core.errors import PushFailed
from buildorch.core.retry import Backoff


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_registry_that_does_not_answer_is_exit_4_after_retries() -> None:
    out = io.StringIO()
    port = closed_port()
    with pytest.raises(PushFailed) as info:
        runner._check_push_registries([f"127.0.0.1:{port}/app:1.0"], out, Backoff(attempts=3, base=0.01))
    assert info.value.exit_code == 4
    assert info.value.message.startswith(f"registry 127.0.0.1:{port} does not answer")
    assert info.value.message.endswith("nothing was built")
    assert out.getvalue().count("retry") == 2 or out.getvalue().count("\n") == 2  # one line per retry


def test_a_registry_that_answers_lets_the_build_run() -> None:
    class V2(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(401 if self.path == "/v2/" else 404)  # an authenticating registry is a registry
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), V2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        runner._check_push_registries([f"127.0.0.1:{server.server_port}/app:1.0", "docker.io/library/app:1"], io.StringIO())
    finally:
        server.shutdown()


def test_docker_hub_names_are_not_probed() -> None:
    runner._check_push_registries(["app:1.0", "team/app:1.0"], io.StringIO(), Backoff(attempts=1))
