"""What the scenarios share: running buildorch as a user does, unique names, small build contexts, leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
REGISTRY = "127.0.0.1:5000"
TRACEBACK = "Traceback (most recent call last)"
# Exit codes buildorch documents (docs/exit-codes): anything else is a defect.
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5, 6, 7, 130}


class ScenarioError(Exception):
    """The scenario could not run (a set-up step failed): recorded as failed, with this message."""


def as_on_a_terminal() -> None:
    """``preexec_fn`` for a process a scenario may Ctrl-C: SIGINT as a terminal gives it.

    Run from a non-interactive background job (``cmd &`` in a script, ``nohup``), every child
    inherits SIGINT ignored, and Python then never raises KeyboardInterrupt: a SIGINT trial
    would measure the shell, not buildorch.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def unique(prefix: str = "bo-rel") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def buildorch_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "buildorch", *args]


def run_buildorch(
    *args: str, timeout: float = 900, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        buildorch_argv(*args), capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd,
        check=False,
    )  # fmt: skip


def docker(*args: str, check: bool = True, timeout: float = 300) -> str:
    r = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and r.returncode != 0:
        raise ScenarioError(f"docker {' '.join(args[:3])} failed: {r.stderr.strip()[-300:]}")
    return r.stdout


@dataclass
class Outcome:
    """How one buildorch invocation ended, judged by the rules every command keeps."""

    code: int
    stderr: str

    @property
    def traceback(self) -> bool:
        return TRACEBACK in self.stderr

    @property
    def documented(self) -> bool:
        return self.code in DOCUMENTED_EXITS

    @property
    def one_line_error(self) -> bool:
        """A failure says so in one ``error:`` line (plus an optional hint line), nothing else."""
        if self.code == 0:
            return True
        lines = [ln for ln in self.stderr.splitlines() if ln.strip()]
        errors = [ln for ln in lines if ln.startswith("error:")]
        return len(errors) == 1 and not self.traceback


def git(repo: Path, *args: str) -> str:
    """``git -C REPO ARGS`` with a fixed author and date (a release reads its version and commit from git)."""
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"}
    r = subprocess.run(["git", "-C", str(repo), "-c", "user.name=bo-rel", "-c", "user.email=bo-rel@example.com", *args],
                       capture_output=True, text=True, env=env, check=False)  # fmt: skip
    if r.returncode != 0:
        raise ScenarioError(f"git {args[0]} failed: {r.stderr.strip()[-200:]}")
    return r.stdout.strip()


def small_context(root: Path, steps: int = 6, payload_kib: int = 64) -> Path:
    """A context whose Dockerfile needs no base image (FROM scratch + COPY): builds in seconds, `steps` cacheable steps."""
    root.mkdir(parents=True, exist_ok=True)
    lines = ["FROM scratch"]
    for i in range(steps):
        (root / f"f{i}.bin").write_bytes(os.urandom(payload_kib * 1024))
        lines.append(f"COPY f{i}.bin /data/f{i}.bin")
    (root / "Dockerfile").write_text("\n".join(lines) + "\n")
    return root
