"""The supply-chain tools: syft, cosign and govulncheck, run as processes.

``scripts/stack up --all`` builds them from their Go modules into the stack's
``go/bin`` (``$BUILDORCH_STACK_DIR``, default ``/var/lib/buildorch-stack``); a copy on
``PATH`` wins, so a machine with its own cosign uses it. Secrets (the key's
password) go to the tool through its environment, never its argv, and are cut out
of anything it prints before that text reaches an error message.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from buildorch.core.errors import BuildorchError, EngineError

__all__ = ["ToolResult", "find", "run"]

_STACK_DIR = "/var/lib/buildorch-stack"


def stack_bin_dir() -> Path:
    return Path(os.environ.get("BUILDORCH_STACK_DIR", _STACK_DIR)) / "go" / "bin"


def find(name: str) -> str:
    """The path of tool ``name``: on PATH, else in the stack's go/bin; EngineError when neither has it."""
    found = shutil.which(name)
    if found:
        return found
    candidate = stack_bin_dir() / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    raise EngineError(f"{name} is not installed", "run scripts/stack up --all (it builds syft, cosign and govulncheck)")


@dataclass(frozen=True)
class ToolResult:
    returncode: int
    stdout: str
    stderr: str


def redact(text: str, secrets: Sequence[str]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


def run(
    name: str,
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    secrets: Sequence[str] = (),
    stdin: str | None = None,
    timeout: float = 900,
    check: bool = True,
    what: str | None = None,
) -> ToolResult:
    """Run tool ``name`` with ``args``; a non-zero exit raises BuildorchError with its last stderr line (``check``).

    ``secrets`` are cut out of stdout and stderr (a tool that echoes its password
    in an error must not put it in our message or a report).
    """
    argv = [find(name), *args]
    try:
        proc = subprocess.run(
            argv,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise BuildorchError(f"{what or name} did not finish in {timeout:.0f}s") from exc
    result = ToolResult(proc.returncode, redact(proc.stdout, secrets), redact(proc.stderr, secrets))
    if check and proc.returncode != 0:
        raise BuildorchError(
            f"{what or name} failed (exit {proc.returncode}): {last_line(result.stderr or result.stdout)}",
            details=result.stderr.strip().splitlines()[-10:],
        )
    return result


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
