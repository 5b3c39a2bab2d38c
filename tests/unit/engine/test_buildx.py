"""The docker commands buildorch runs through python-on-whales' typed calls (no Docker needed: the runner is replaced)."""

from __future__ import annotations

from typing import Any

import pytest
from python_on_whales.components.container import cli_wrapper as container_cli
from python_on_whales.components.image import cli_wrapper as image_cli
from python_on_whales.exceptions import DockerException

from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx, containers


@pytest.fixture
def ran(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    seen: list[list[str]] = []

    def run(cmd: Any, **_: Any) -> None:
        seen.append([str(a) for a in cmd][1:])  # without the docker binary's path

    monkeypatch.setattr(container_cli, "run", run)
    monkeypatch.setattr(image_cli, "run", run)
    return seen


def test_removals_run_the_commands_they_always_ran(ran: list[list[str]]) -> None:
    containers.remove("c0ffee")
    containers.remove_image("buildorch-debug/app-builder:1a2b3c4d")
    assert ran == [["container", "rm", "--force", "--volumes", "c0ffee"], ["image", "rm", "buildorch-debug/app-builder:1a2b3c4d"]]


def test_removal_failures_are_cleanup_noise_not_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(cmd: Any, **_: Any) -> None:
        raise DockerException([str(a) for a in cmd], 1, b"", b"Error response from daemon: No such container: c0ffee")

    monkeypatch.setattr(container_cli, "run", fail)
    containers.remove("c0ffee")  # never raises: it runs in finally blocks
    with pytest.raises(BuildorchError, match="No such container"):
        buildx.remove_container("c0ffee")


def test_parse_buildx_version() -> None:
    assert buildx.parse_buildx_version("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3") == (0, 13, 1)
    assert buildx.parse_buildx_version("github.com/docker/buildx v0.38.2 v0.38.2") == (0, 38, 2)
    assert buildx.parse_buildx_version("something else") == (0, 0, 0)


def test_call_request_by_version(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 38, 2))
    assert buildx.call_request("check", "format=json") == (["--call", "check,format=json"], {})
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 13, 1))
    assert buildx.call_request("outline") == (["--print", "outline"], {"BUILDX_EXPERIMENTAL": "1"})
    assert buildx.call_request("check") is None




def test_json_lines_keep_a_next_line_character_inside_a_string(monkeypatch: pytest.MonkeyPatch) -> None:
    # Go's JSON leaves U+0085 unescaped; str.splitlines() cut this builder's line in two (#19, hostile-inputs:
    # a builder left with DOCKER_HOST="a\x85b" made `buildorch builder ls` a traceback for everyone).
    line = '{"Name":"b","Nodes":[{"Err":"unable to parse docker host `a\u0085b`"}]}'
    monkeypatch.setattr(buildx, "run", lambda args, what=None: line + "\n" + '{"Name":"c"}\n')
    assert [d["Name"] for d in buildx.run_json_lines(["buildx", "ls"])] == ["b", "c"]
    monkeypatch.setattr(buildx, "run", lambda args, what=None: '{"Name": "b"\n')
    with pytest.raises(BuildorchError, match="not JSON"):
        buildx.run_json_lines(["buildx", "ls"], what="docker buildx ls")
