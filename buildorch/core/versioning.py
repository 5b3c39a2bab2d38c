"""VERSION and BUILD_TIME, derived reproducibly from git and SOURCE_DATE_EPOCH.

Two builds of one commit agree: the build time is the commit time unless
``SOURCE_DATE_EPOCH`` or an explicit value says otherwise, and the same
instant is passed as ``SOURCE_DATE_EPOCH`` so BuildKit stamps the image
deterministically.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_VERSION = "0.0.0-dev"


@dataclass(frozen=True)
class VersionInfo:
    """What a build is stamped with, and where each value came from."""

    version: str
    build_time: str  # RFC 3339, UTC, seconds precision: 2026-01-02T03:04:05Z
    source_date_epoch: int
    version_source: str  # "explicit" | "git" | "default"
    time_source: str  # "explicit" | "SOURCE_DATE_EPOCH" | "git" | "now"
    revision: str | None = None


def _git(cwd: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(cwd), *args], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None


def git_version(cwd: Path) -> str | None:
    """``git describe --tags --always --dirty``, with a leading ``v`` dropped from ``v1.2.3``."""
    desc = _git(cwd, "describe", "--tags", "--always", "--dirty")
    if desc and re.match(r"^v\d", desc):
        desc = desc[1:]
    return desc


def git_commit_time(cwd: Path) -> int | None:
    out = _git(cwd, "log", "-1", "--format=%ct")
    return int(out) if out and out.isdigit() else None


def git_revision(cwd: Path) -> str | None:
    return _git(cwd, "rev-parse", "HEAD")


def format_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> int:
    """An RFC 3339 time or a Unix epoch, as an epoch; ``ValueError`` otherwise."""
    v = value.strip()
    if v.isdigit():
        return int(v)
    try:
        dt = datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"build time {value!r} is neither RFC 3339 (2026-01-02T03:04:05Z) nor a Unix epoch"
        ) from None
    if dt.tzinfo is None:
        raise ValueError(f"build time {value!r} has no time zone: add Z for UTC")
    return int(dt.timestamp())


def resolve(
    context: Path,
    version: str | None = None,
    build_time: str | None = None,
    env: dict[str, str] | None = None,
) -> VersionInfo:
    """Derive VERSION and BUILD_TIME for a build of ``context``.

    VERSION: ``version``, else ``git describe --tags --always --dirty``, else ``0.0.0-dev``.
    BUILD_TIME: ``build_time``, else ``SOURCE_DATE_EPOCH``, else the HEAD commit time, else now.
    """
    environ = os.environ if env is None else env
    if version:
        ver, vsrc = version, "explicit"
    else:
        g = git_version(context)
        ver, vsrc = (g, "git") if g else (DEFAULT_VERSION, "default")

    sde = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if build_time:
        epoch, tsrc = parse_time(build_time), "explicit"
    elif sde:
        if not sde.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH={sde!r} is not a Unix epoch (whole seconds)")
        epoch, tsrc = int(sde), "SOURCE_DATE_EPOCH"
    else:
        ct = git_commit_time(context)
        epoch, tsrc = (ct, "git") if ct is not None else (int(datetime.now(tz=UTC).timestamp()), "now")
    return VersionInfo(
        version=ver,
        build_time=format_time(epoch),
        source_date_epoch=epoch,
        version_source=vsrc,
        time_source=tsrc,
        revision=git_revision(context),
    )


def tag_safe(version: str) -> str:
    """A version as a Docker tag: ``[A-Za-z0-9_.-]``, at most 128 characters."""
    t = re.sub(r"[^A-Za-z0-9_.-]", "-", version).lstrip(".-") or "latest"
    return t[:128]
