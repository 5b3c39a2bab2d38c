"""Shared test set-up: integration tests need the real stack (scripts/stack up).

In CI (``CI`` set) a missing stack FAILS the integration tests; locally they
skip with the reason, so a unit-only run works on a laptop without Docker.
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

import pytest

from tests.recorded import DATA


@functools.cache
def stack_problem() -> str | None:
    """None when the engine, buildx and arm64 emulation answer; else why not."""
    try:
        info = subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"docker CLI not usable ({exc}); run scripts/stack up"
    if info.returncode != 0 or not info.stdout.strip():
        return "no Docker engine answers; run scripts/stack up (as root)"
    bx = subprocess.run(["docker", "buildx", "inspect"], capture_output=True, text=True, timeout=30)
    if bx.returncode != 0:
        return "docker buildx is missing; run scripts/stack up"
    if "linux/arm64" not in bx.stdout:
        return "the builder lists no linux/arm64 (QEMU); run scripts/stack up"
    return None


@pytest.fixture(autouse=True)
def _history_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Build records of tests go to a temporary folder, not the checkout's .buildorch/history."""
    monkeypatch.setenv("BUILDORCH_HISTORY_DIR", str(tmp_path_factory.mktemp("history")))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that prune the builder's cache run last, so they do not turn every later test cold."""
    items.sort(key=lambda item: item.get_closest_marker("prunes_builder") is not None)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("integration") is None:
        return
    problem = stack_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"integration test needs the stack: {problem}", pytrace=False)
        pytest.skip(f"no stack: {problem}")


@pytest.fixture(scope="session", autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Local build caches of the tests go to a temp dir, never the developer's .buildorch/."""
    if "BUILDORCH_CACHE_DIR" not in os.environ:
        os.environ["BUILDORCH_CACHE_DIR"] = str(tmp_path_factory.mktemp("buildorch-cache"))


@pytest.fixture
def data_dir() -> Path:
    return DATA


def pytest_report_header() -> str:
    """Which buildx the integration tests talk to (make test: the current one; make test-compat: Debian's 0.13.1)."""
    try:
        out = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True, timeout=10, check=False).stdout
    except (OSError, subprocess.TimeoutExpired):
        out = ""
    return f"buildx: {out.strip() or 'not found'} (DOCKER_CONFIG={os.environ.get('DOCKER_CONFIG', '~/.docker')})"
