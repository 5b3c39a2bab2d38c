"""``check-reproducible``: build one context twice from nothing and compare the images.

Each build runs on its own throwaway docker-container builder (created, used, removed),
so neither the build cache nor a cache mount (``RUN --mount=type=cache``) is shared,
and they run one after the other, as a rebuild would. Both push to a repository of the
local registry by digest, with ``rewrite-timestamp=true`` and no provenance (its build
times differ by design: moby/buildkit#3421); the per-platform manifest digests are
compared, and for a platform that differs the first differing layer, file and
attribute are named (``diff.py``).
"""

from __future__ import annotations

import contextlib
import json
import secrets
import sys
from collections.abc import Callable
from typing import IO, Any

from pydantic import BaseModel

from buildorch.builds.runner import build
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core.errors import BuildorchError, InputError, VerificationFailed
from buildorch.engine import buildx, registry
from buildorch.engine.git import resolve_version
from buildorch.repro.diff import Difference, first_difference

DEFAULT_REGISTRY = "127.0.0.1:5000"
_ACCEPT = ", ".join((*registry.MANIFEST_TYPES, *registry.INDEX_TYPES))


class ReproResult(BaseModel):
    """What check-reproducible found; ``reproducible`` is True when every platform's digest matched."""

    reproducible: bool
    platforms: list[str] = []
    first: dict[str, str] = {}  # platform -> digest of the first build
    second: dict[str, str] = {}
    differences: list[str] = []  # one line per platform that differs


def _builder(name: str) -> None:
    # Host network: the registry listens on 127.0.0.1 and BuildKit pushes to it from inside the container.
    buildx.run(["buildx", "create", "--name", name, "--driver", "docker-container",
                "--driver-opt", "network=host", "--bootstrap"],
               what=f"docker buildx create {name} (a throwaway docker-container builder)")


def _remove(name: str) -> None:
    with contextlib.suppress(BuildorchError):  # nothing else to do; the builder's name says whose it is
        buildx.run(["buildx", "rm", name], what=f"docker buildx rm {name}")


def build_once(spec: BuildSpec, ref: str, log: IO[str]) -> dict[str, str]:
    """One build of ``spec`` from nothing on a new builder, pushed to ``ref``; its per-platform digests."""
    name = f"buildorch-repro-{secrets.token_hex(4)}"
    _builder(name)
    try:
        one = spec.model_copy(update={
            "builder": name, "no_cache": True, "push": True, "load": False, "output": None, "tags": [ref],
            "provenance": False, "cache": CachePolicy(kind="none"), "progress": "quiet",
        })
        result = build(one, log=log)
    finally:
        _remove(name)
    if not result.platform_digests and result.digest:
        return {(spec.platforms or ["default"])[0]: result.digest}
    return dict(result.platform_digests)


def _manifest(client: registry.Client, digest: str) -> dict[str, Any]:
    _, _, body = client.request("GET", f"{client.base}/manifests/{digest}", headers={"Accept": _ACCEPT})
    doc: dict[str, Any] = json.loads(body)
    return doc


def _blob_reader(client: registry.Client) -> Callable[[str, str], bytes]:
    def blob(_side: str, digest: str) -> bytes:
        _, _, body = client.request("GET", f"{client.base}/blobs/{digest}")
        return body

    return blob


def explain(repo: str, platform: str, left: str, right: str) -> Difference | None:
    client = registry.Client(repo)
    return first_difference(platform, _manifest(client, left), _manifest(client, right), _blob_reader(client))


def check(spec: BuildSpec, *, registry_addr: str = DEFAULT_REGISTRY, log: IO[str] | None = None) -> ReproResult:
    """Build ``spec`` twice from nothing and compare; raises VerificationFailed (exit 5) when the images differ."""
    out = log or sys.stderr
    # One VERSION and BUILD_TIME (hence SOURCE_DATE_EPOCH) for both builds: outside a git
    # repository the default is "now", which would differ between them by design.
    try:
        vinfo = resolve_version(spec.context, spec.version, spec.build_time)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    spec = spec.model_copy(update={"version": vinfo.version, "build_time": vinfo.build_time})
    buildx.engine_info()  # an engine that does not answer is one line now, before a throwaway builder is made
    repo = f"{registry_addr}/buildorch-repro-{secrets.token_hex(4)}"
    out.write(f"check-reproducible: first build (throwaway builder, no cache) -> {repo}:first\n")
    first = build_once(spec, f"{repo}:first", out)
    out.write(f"check-reproducible: second build (another throwaway builder) -> {repo}:second\n")
    second = build_once(spec, f"{repo}:second", out)
    result = ReproResult(reproducible=first == second, platforms=sorted(first.keys() | second.keys()),
                         first=first, second=second)
    for p in result.platforms:
        a, b = first.get(p), second.get(p)
        if a == b:
            continue
        if a is None or b is None:
            result.differences.append(f"{p}: built only {'the second' if a is None else 'the first'} time")
            continue
        try:
            diff = explain(repo, p, a, b)
        except (registry.RegistryError, ValueError) as exc:
            result.differences.append(f"{p}: {a[:19]} vs {b[:19]} (could not compare the layers: {exc})")
            continue
        result.differences.append(diff.describe() if diff else f"{p}: {a[:19]} vs {b[:19]}")
    return result


def raise_if_differs(result: ReproResult) -> None:
    if not result.reproducible:
        raise VerificationFailed(
            "not reproducible: " + "; ".join(result.differences),
            "make the named file stable (SOURCE_DATE_EPOCH, no dates or random data written at build time)",
        )
