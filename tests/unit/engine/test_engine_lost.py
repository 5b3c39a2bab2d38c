"""An engine that goes away in the middle of a command is one clear line, not gRPC's words as a "build failed".

The stderr lines are what buildx v0.38.2 printed here when reliability's engine-restart
scenario stopped (SIGTERM) or killed (SIGKILL) a private dockerd during a build.
"""

from __future__ import annotations

import pytest

from buildorch.core.errors import EngineError
from buildorch.engine import docker_cli

LOST = [
    "ERROR: failed to build: failed to receive status: rpc error: code = Unavailable desc = error reading from server: EOF",
    "ERROR: failed to build: listing workers: failed to list workers: Unavailable: error reading from server: "
    "read unix @->/tmp/bo-rel-engine-yap8j5ep/docker.sock: read: connection reset by peer",
]
NOT_LOST = [
    # A registry's answers, through BuildKit: a push failure (translate_failure's), not the engine.
    "ERROR: failed to build: failed to solve: failed to push 127.0.0.1:5000/app:1: unexpected status from PUT request to "
    "http://127.0.0.1:5000/v2/app/blobs/uploads/x: 503 Service Unavailable",
    "ERROR: failed to build: failed to solve: failed to push 127.0.0.1:5000/app:1: failed to do request: Put "
    '"http://127.0.0.1:5000/v2/app/manifests/1": read tcp 127.0.0.1:40000->127.0.0.1:5000: read: connection reset by peer',
]


@pytest.mark.parametrize("line", LOST)
def test_lost_connection_is_an_engine_error_in_one_line(line: str) -> None:
    err = docker_cli.translate(docker_cli._Exit(1, f"#12 exporting to image\n{line}\n".encode()), "docker buildx build")
    assert isinstance(err, EngineError) and err.exit_code == 1
    assert err.message == (
        "docker buildx build lost its connection to BuildKit: the Docker engine (or the builder's node) stopped or restarted"
    )
    assert "buildorch doctor" in (err.hint or "")
    assert err.details == [line]  # the cause stays visible, and explain_failure can still name a remote node


@pytest.mark.parametrize("line", NOT_LOST)
def test_a_registry_failure_is_not_taken_for_the_engine(line: str) -> None:
    err = docker_cli.translate(docker_cli._Exit(1, f"{line}\n".encode()), "docker buildx build")
    assert not isinstance(err, EngineError)
    assert err.message == f"docker buildx build failed: {line}"
