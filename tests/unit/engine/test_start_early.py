"""A read-only docker command started early: the first run() of the same command takes its answer."""

from __future__ import annotations

import sys
import time

import pytest

from buildorch.engine import docker_cli

# Stands in for the docker CLI: prints when it ran (and the variable E of its environment).
CLOCK = [sys.executable, "-c", "import os, sys, time; print(time.time(), os.environ.get('E', ''))"]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_cli, "docker_cmd", lambda: list(CLOCK))
    monkeypatch.setattr(docker_cli, "buildx_plugin", lambda: None)  # every command through the stand-in
    monkeypatch.setattr(docker_cli, "_early", {})


def ran_at(out: str) -> float:
    return float(out.split()[0])


def test_the_same_command_takes_the_early_answer() -> None:
    docker_cli.start_early(["buildx", "version"])
    time.sleep(0.5)
    asked = time.time()
    assert ran_at(docker_cli.run(["buildx", "version"])) < asked  # ran before it was asked for
    assert ran_at(docker_cli.run(["buildx", "version"])) > asked  # taken once: the next call runs again


def test_another_command_or_environment_runs_afresh() -> None:
    docker_cli.start_early(["buildx", "bake", "--print"], env={"E": "guess"})
    time.sleep(0.5)
    asked = time.time()
    out = docker_cli.run(["buildx", "bake", "--print"], env={"E": "validated"})
    assert ran_at(out) > asked and out.split()[1] == "validated"
    assert docker_cli.run(["buildx", "bake", "--print"], env={"E": "guess"}).split()[1] == "guess"  # still there


def test_what_nobody_read_is_killed_at_exit() -> None:
    slow = [sys.executable, "-c", "import time; time.sleep(60)"]
    docker_cli.docker_cmd = lambda: slow  # type: ignore[assignment]  # (the fixture puts it back)
    docker_cli.start_early(["anything"])
    (proc,) = docker_cli._early.values()
    docker_cli.drop_early()
    assert proc.poll() is not None and docker_cli._early == {}


def test_a_command_that_cannot_start_is_left_to_the_real_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_cli, "docker_cmd", lambda: ["/nonexistent/docker"])
    docker_cli.start_early(["buildx", "version"])  # no error here
    assert docker_cli._early == {}
