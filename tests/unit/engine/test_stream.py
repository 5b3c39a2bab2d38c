"""``buildx.stream``: the process starts at the call, lines come from both pipes, failures and early stops."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx, docker_cli


@pytest.fixture
def sh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``sh -c SCRIPT`` where docker would run: stream() adds its args after the prefix."""
    monkeypatch.setattr(docker_cli, "docker_cmd", lambda: ["sh"])


def test_lines_from_both_pipes_in_order_per_pipe(sh: None) -> None:
    running = buildx.stream(["-c", "echo a; echo b >&2; echo c; echo d >&2"], what="t")
    lines = list(running)
    assert [ln for src, ln in lines if src == "stdout"] == [b"a\n", b"c\n"]
    assert [ln for src, ln in lines if src == "stderr"] == [b"b\n", b"d\n"]


def test_failure_names_the_last_stderr_line(sh: None) -> None:
    with pytest.raises(BuildorchError) as info:
        list(buildx.stream(["-c", "echo first >&2; echo 'ERROR: it broke' >&2; exit 3"], what="docker buildx build"))
    assert info.value.message == "docker buildx build failed: ERROR: it broke"
    assert info.value.details == ["first", "ERROR: it broke"]


def test_starts_at_the_call_not_at_the_first_line(sh: None, tmp_path: Path) -> None:
    mark = tmp_path / "started"
    running = buildx.stream(["-c", f"touch {mark}; echo done"], what="t")
    deadline = time.monotonic() + 10
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mark.exists(), "the command did not run before the caller read from it"
    assert list(running) == [("stdout", b"done\n")]


def test_close_before_reading_kills_it(sh: None) -> None:
    running = buildx.stream(["-c", "sleep 30"], what="t")
    t0 = time.monotonic()
    running.close()
    assert running.proc.returncode is not None
    assert time.monotonic() - t0 < 5


def test_stopping_midway_kills_it(sh: None) -> None:
    running = buildx.stream(["-c", "echo one; sleep 30"], what="t")
    for _src, _line in running:
        break  # the loop's generator is dropped here; CPython closes it at once and its finally kills the process
    assert running.proc.wait(timeout=5) is not None


def test_missing_cli_is_an_engine_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_cli, "docker_cmd", lambda: ["/nonexistent/docker"])
    with pytest.raises(BuildorchError, match="the docker CLI was not found"):
        buildx.stream(["buildx", "build", "."], what="t")


def test_the_command_dies_with_a_sigkilled_buildorch(tmp_path: Path) -> None:
    """A SIGKILLed buildorch must not leave its ``buildx build`` running (it exported on into a dead build's staging)."""
    import os
    import signal
    import subprocess
    import sys

    pid_file = tmp_path / "child"
    parent = subprocess.Popen([sys.executable, "-c", f"""
import time
from buildorch.engine import buildx, docker_cli
docker_cli.docker_cmd = lambda: ["sh"]
running = buildx.stream(["-c", "echo $$ > {pid_file}; exec sleep 60"], what="t")
time.sleep(60)
"""])  # fmt: skip
    deadline = time.monotonic() + 20
    while not (pid_file.exists() and pid_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.02)
    child = int(pid_file.read_text())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    alive = True
    while alive and time.monotonic() < deadline:
        try:
            os.kill(child, 0)
            # a zombie until init reaps it counts as dead: its state is Z
            alive = "State:\tZ" not in Path(f"/proc/{child}/status").read_text()
        except (ProcessLookupError, FileNotFoundError):
            alive = False
        time.sleep(0.02)
    assert not alive, "the child outlived the SIGKILLed parent"
