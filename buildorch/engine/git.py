"""git, run from one place: a build context's version, commit time and revision, and a release's git state.

git failing, missing or slow is never an error here: the caller gets ``None`` (or
"not a repository") and falls back, as the versioning rules say.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from buildorch.core import versioning


def run(cwd: Path, *args: str, timeout: float = 20.0) -> subprocess.CompletedProcess[str] | None:
    """``git -C CWD ARGS...``; None when git cannot run or takes longer than ``timeout`` seconds."""
    try:
        return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None


def output(cwd: Path, *args: str, timeout: float = 10.0) -> str | None:
    """What ``git ARGS...`` printed, stripped; None when it failed or printed nothing."""
    out = run(cwd, *args, timeout=timeout)
    return out.stdout.strip() if out is not None and out.returncode == 0 and out.stdout.strip() else None


@dataclass(frozen=True)
class Repo:
    """The repository holding ``path``: the questions :func:`buildorch.core.versioning.resolve` asks."""

    path: Path

    def describe(self) -> str | None:
        """``git describe --tags --always --dirty``, with a leading ``v`` dropped from ``v1.2.3``."""
        desc = output(self.path, "describe", "--tags", "--always", "--dirty")
        if desc and re.match(r"^v\d", desc):
            desc = desc[1:]
        return desc

    def commit_time(self) -> int | None:
        out = output(self.path, "log", "-1", "--format=%ct")
        return int(out) if out and out.isdigit() else None

    def revision(self) -> str | None:
        return output(self.path, "rev-parse", "HEAD")


def resolve_version(
    context: Path, version: str | None = None, build_time: str | None = None, env: dict[str, str] | None = None
) -> versioning.VersionInfo:
    """VERSION and BUILD_TIME for a build of ``context`` (the rules are :func:`buildorch.core.versioning.resolve`)."""
    return versioning.resolve(Repo(context), version, build_time, env)


@dataclass(frozen=True)
class GitState:
    repo: bool
    revision: str | None
    dirty_files: list[str]
    remote: str | None


def state(context: Path) -> GitState:
    """Revision, uncommitted files (``git status --porcelain``) and origin URL of the repo holding ``context``."""
    status = run(context, "status", "--porcelain")
    if status is None or status.returncode != 0:
        return GitState(repo=False, revision=None, dirty_files=[], remote=None)
    remote = output(context, "config", "--get", "remote.origin.url", timeout=20.0)
    return GitState(
        repo=True,
        revision=output(context, "rev-parse", "HEAD", timeout=20.0),
        dirty_files=[ln[3:] for ln in status.stdout.splitlines() if ln.strip()],
        remote=public_url(remote) if remote else None,
    )


def public_url(url: str) -> str:
    """A remote URL fit for a label: credentials dropped, ``git@host:org/repo.git`` as https.

    >>> public_url("https://user:secret@github.com/org/app.git")
    'https://github.com/org/app'
    >>> public_url("git@github.com:org/app.git")
    'https://github.com/org/app'
    """
    m = re.match(r"^[\w.-]+@([\w.-]+):(.+)$", url)
    if m:
        url = f"https://{m.group(1)}/{m.group(2)}"
    url = re.sub(r"^(\w+://)[^/@]*@", r"\1", url)
    return url.removesuffix(".git")
