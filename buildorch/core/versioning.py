"""VERSION and BUILD_TIME, derived reproducibly from git and SOURCE_DATE_EPOCH.

Two builds of one commit agree: the build time is the commit time unless
``SOURCE_DATE_EPOCH`` or an explicit value says otherwise, and the same
instant is passed as ``SOURCE_DATE_EPOCH`` so BuildKit stamps the image
deterministically.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, Protocol

DEFAULT_VERSION = "0.0.0-dev"


@dataclass(frozen=True)
class VersionInfo:
    """What a build is stamped with, and where each value came from."""

    version: str
    build_time: str  # RFC 3339, UTC, seconds precision: 2026-01-02T03:04:05Z
    source_date_epoch: int
    version_source: Literal["explicit", "git", "default"]
    time_source: Literal["explicit", "SOURCE_DATE_EPOCH", "git", "now"]
    revision: str | None = None


class GitFacts(Protocol):
    """What the versioning rules may ask git, each asked only when needed (see :class:`buildorch.engine.git.Repo`)."""

    def describe(self) -> str | None: ...
    def commit_time(self) -> int | None: ...
    def revision(self) -> str | None: ...


def format_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> int:
    """An RFC 3339 time or a Unix epoch, as an epoch; ``ValueError`` otherwise."""
    v = value.strip()
    bad = ValueError(f"build time {value!r} is neither RFC 3339 (2026-01-02T03:04:05Z) nor a Unix epoch")
    if v.isascii() and v.isdigit():  # str.isdigit() is also true of '²' and '\u0661'
        epoch = int(v)
    else:
        try:
            dt = datetime.fromisoformat(v.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise bad from None
        if dt.tzinfo is None:
            raise ValueError(f"build time {value!r} has no time zone: add Z for UTC")
        epoch = int(dt.timestamp())
    if not 0 <= epoch <= _LAST_EPOCH:
        raise ValueError(f"build time {value!r} is out of range: use a time from 1970 to 9999")
    return epoch


_LAST_EPOCH = 253402300799  # 9999-12-31T23:59:59Z, the last time RFC 3339 (and format_time) can write


def check_explicit(version: str | None, build_time: str | None) -> None:
    """``ValueError`` for an empty ``--version`` or a ``--build-time`` that is no time (BuildSpec, BakeSpec)."""
    if version is not None and not version.strip():
        raise ValueError("--version is empty")
    if version is not None and not version.isprintable():
        # It becomes the VERSION build arg and, cleaned, a tag: a newline or an escape would be baked in.
        raise ValueError(f"--version {version!r} holds a control character")
    if build_time is not None and not build_time.strip():
        raise ValueError("--build-time is empty: give an RFC 3339 time, or leave it out")
    if build_time:
        parse_time(build_time)


def resolve(
    git: GitFacts,
    version: str | None = None,
    build_time: str | None = None,
    env: dict[str, str] | None = None,
) -> VersionInfo:
    """Derive VERSION and BUILD_TIME (pure: ``git`` answers the questions about the context's repository).

    VERSION: ``version``, else ``git describe --tags --always --dirty``, else ``0.0.0-dev``.
    BUILD_TIME: ``build_time``, else ``SOURCE_DATE_EPOCH``, else the HEAD commit time, else now.
    """
    environ = os.environ if env is None else env
    vsrc: Literal["explicit", "git", "default"]
    if version:
        ver, vsrc = version, "explicit"
    else:
        g = git.describe()
        ver, vsrc = (g, "git") if g else (DEFAULT_VERSION, "default")

    tsrc: Literal["explicit", "SOURCE_DATE_EPOCH", "git", "now"]
    sde = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if build_time:
        epoch, tsrc = parse_time(build_time), "explicit"
    elif sde:
        if not sde.isdigit():
            raise ValueError(f"SOURCE_DATE_EPOCH={sde!r} is not a Unix epoch (whole seconds)")
        epoch, tsrc = int(sde), "SOURCE_DATE_EPOCH"
    else:
        ct = git.commit_time()
        epoch, tsrc = (ct, "git") if ct is not None else (int(datetime.now(tz=UTC).timestamp()), "now")
    return VersionInfo(
        version=ver,
        build_time=format_time(epoch),
        source_date_epoch=epoch,
        version_source=vsrc,
        time_source=tsrc,
        revision=git.revision(),
    )


def tag_safe(version: str) -> str:
    """A version as a Docker tag: ``[A-Za-z0-9_.-]``, at most 128 characters."""
    t = re.sub(r"[^A-Za-z0-9_.-]", "-", version).lstrip(".-") or "latest"
    return t[:128]
