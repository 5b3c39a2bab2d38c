"""Cache import/export: which cache a build uses, and keeping local caches healthy.

BuildKit's local cache exporter never deletes old blobs (docker/buildx#310,
moby/buildkit#1896) and writes in place, so an interrupted export can break the
cache. buildorch exports into a fresh staging directory and swaps it in only
after the build succeeded: the cache then holds exactly what the last build
needs, and a failed build leaves the previous cache as it was. This module
decides the flags (and only reads the disk: a dry run plans too); the store
itself, its atomic swap, locks and recovery, is :mod:`buildorch.builds.cache_store`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from buildorch.builds.cache_store import (
    EXPORT_INFO,
    STALE_MARK,
    commit,
    current,
    discard,
    exporting,
    gc_blobs,
    generations,
    is_generation_of,
    local_cache_ok,
    mark_stale,
    referenced_blobs,
    stage,
)
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core import csvspec, references
from buildorch.engine import buildx

__all__ = [
    "EXPORT_INFO", "STALE_MARK", "commit", "current", "discard", "gc_blobs", "local_cache_ok", "mark_stale",
    "referenced_blobs", "stage",
]


def cache_root() -> Path:
    return Path(os.environ.get("BUILDORCH_CACHE_DIR", ".buildorch/cache"))


@dataclass
class CachePlan:
    """The ``--cache-from``/``--cache-to`` values of one build and the local swap to do after it."""

    cache_from: list[str] = field(default_factory=list)
    cache_to: list[str] = field(default_factory=list)
    local_dir: Path | None = None  # the live local cache
    staging_dir: Path | None = None  # where this build exports; swapped in on success
    registry_ref: str | None = None
    mode: str | None = None  # the export's mode=, min or max
    warnings: list[str] = field(default_factory=list)


def local_cache_dir(spec: BuildSpec, policy: CachePolicy) -> Path:
    if policy.dir is not None:
        return policy.dir
    ctx = spec.context.resolve().name or "root"
    target = spec.target or "default"
    return cache_root() / re.sub(r"[^A-Za-z0-9_.-]", "-", f"{ctx}-{target}")


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """Whether this runs in CI: ``CI`` set to anything but empty, ``0``, ``false`` or ``no`` (most CI services set it)."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no")


def export_mode(mode: str, kind: str, environ: Mapping[str, str] | None = None) -> str:
    """The ``mode=`` of a cache export: ``auto`` is ``max`` in CI and for a registry cache, else ``min``.

    In the edit-rebuild loop, ``mode=max`` re-exports the builder stage's fresh layers on
    every build: BuildKit spent 1.0-1.2 s in "preparing build cache for export" after a
    one-line change of app/main.go, against 0.2 s with ``mode=min`` (docs/caches.md has
    the figures). CI builds and pushes (registry caches) are where a fresh builder
    imports the cache, so they keep every intermediate layer.
    """
    if mode != "auto":
        return mode
    return "max" if kind == "registry" or in_ci(environ) else "min"


class CacheUnavailable(ValueError):
    """A cache the build asked for cannot be used (with ``--cache-required`` this is an error)."""


def _writable(d: Path) -> str | None:
    """Why the cache directory cannot be written, or None; only reads (a dry run plans the cache too)."""
    probe = d.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        return f"cache directory {d.parent} is not writable ({probe} is not a directory)"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"cache directory {d.parent} is not writable ({probe}: permission denied)"
    return None


def plan_cache(spec: BuildSpec) -> CachePlan:
    """Decide the cache flags for ``spec`` (``auto``: local per target, registry when pushing).

    A cache that cannot be used (unwritable directory, unreachable registry) is
    dropped with a warning so the build still runs, unless the policy says
    ``required``, in which case ``CacheUnavailable`` is raised.
    """
    try:
        return _plan_cache(spec)
    except CacheUnavailable as exc:
        if spec.cache.required:
            raise
        return CachePlan(
            cache_from=list(spec.cache.extra_from),
            cache_to=list(spec.cache.extra_to),
            warnings=[f"{exc}; building without that cache"],
        )


def _plan_cache(spec: BuildSpec) -> CachePlan:
    policy = spec.cache
    plan = CachePlan(cache_from=list(policy.extra_from))
    kind = policy.kind
    if kind == "auto":
        kind = "registry" if spec.push else "local"
    mode = export_mode(policy.mode, kind)
    if kind == "local":
        d = local_cache_dir(spec, policy)
        problem = _writable(d)
        if problem:
            raise CacheUnavailable(problem)
        plan.local_dir = d
        live = current(d)
        if live is not None and not local_cache_ok(live):
            # Set aside by cache_store.stage when the build runs (a plan writes nothing).
            plan.warnings.append(f"local cache {d} is damaged (no valid index.json): it is set aside; building cold")
        elif live is not None or any(local_cache_ok(g) for g in generations(d)):
            plan.cache_from.append(local_from(d))
        plan.staging_dir = d.with_name(f"{d.name}.new-{os.getpid()}")
        plan.mode = mode
        plan.cache_to.append(local_to(plan.staging_dir, mode))
    elif kind == "registry":
        ref = policy.ref
        if not ref:
            if not spec.tags:
                raise ValueError("a registry cache needs a reference: --cache registry:REGISTRY/NAME:buildcache")
            name, _ = references.split(spec.tags[0])
            ref = f"{name}:buildcache"
        host = references.registry_of(ref)
        if host and not spec.push:  # when pushing, an unreachable registry fails the push anyway
            # Imported here: the HTTP client (urllib, http.client) is for registry caches only,
            # not for the local cache of an everyday build.
            from buildorch.engine import registry

            ok, why = registry.reachable(host, timeout=2.0)
            if not ok:
                raise CacheUnavailable(f"registry cache {ref} is unreachable ({why})")
        plan.registry_ref = ref
        plan.cache_from.append(f"type=registry,ref={ref}")
        plan.cache_to.append(f"type=registry,ref={ref},mode={mode},image-manifest=true,oci-mediatypes=true")
    elif kind == "inline":
        plan.cache_to.append("type=inline")
        plan.cache_from.extend(f"type=registry,ref={t}" for t in spec.tags[:1])
    plan.cache_to.extend(policy.extra_to)  # the user's own --cache-to, exported beside buildorch's
    return plan


def local_from(d: Path) -> str:
    """The ``cache-from`` of a local cache directory, as buildx reads it (a path with a comma is quoted)."""
    return csvspec.spec(("type", "local"), ("src", d))


def local_to(d: Path, mode: str | None) -> str:
    """The ``cache-to`` exporting into ``d`` (a build's staging directory; ``mode`` is set with it)."""
    return csvspec.spec(("type", "local"), ("dest", d), ("mode", mode))


def pinned_import(plan: CachePlan) -> tuple[str, str] | None:
    """``(import of the live link, the same import naming its generation now)``, once :func:`stage` ran; None if no link.

    What BuildKit reads is the generation: another build may swap the link while BuildKit
    still reads this one's blobs (the old generation stays while a reader holds its lock).
    """
    if plan.local_dir is None:
        return None
    gen = current(plan.local_dir)
    return None if gen is None or gen == plan.local_dir else (local_from(plan.local_dir), local_from(gen))


def shown_cache_to(plan: CachePlan) -> list[str]:
    """``cache_to`` as a result reports it: the live cache's path, not this build's staging directory."""
    if plan.staging_dir is None or plan.local_dir is None:
        return list(plan.cache_to)
    staging, live = local_to(plan.staging_dir, plan.mode), local_to(plan.local_dir, plan.mode)
    return [live if x == staging else x for x in plan.cache_to]


def cache_state(d: Path) -> str:
    """What ``d`` is, for ``cache ls``; a build imports only a ``current`` or ``stale`` cache.

    * ``current``: a complete cache, exported by the last build of its target that exported one;
    * ``exporting``: complete, and a running build is exporting its successor next to it
      (into ``NAME.new-PID``, swapped in only once complete; it holds the export lock);
    * ``stale``: complete, but the last build of its target could not export (it is behind);
    * ``damaged``: no valid ``index.json`` (set aside by the next build);
    * ``staging``: a running build's export in progress, never imported;
    * ``left over``: a staging directory, generation or damaged copy that a killed or failed
      build left, or an old generation a build was still reading (``cache prune`` removes it).
    """
    m = re.search(r"\.new-\d+$|\.old-\d+$|\.corrupt-\d+$", d.name)
    owner = is_generation_of(d)
    if owner is not None:
        live = d.with_name(owner)
        here = current(live)
        return "current" if here is not None and here.resolve() == d.resolve() else "left over"
    if m:
        live = d.with_name(d.name[: m.start()])
        return "staging" if m.group().startswith(".new-") and exporting(live) else "left over"
    here = current(d)
    if here is None or not local_cache_ok(here):
        return "damaged"
    if exporting(d):
        return "exporting"
    return "stale" if (here / STALE_MARK).exists() else "current"


def export_info(d: Path) -> dict[str, object]:
    """What buildorch noted when it swapped ``d`` in (mode, time); empty for an older cache."""
    try:
        info = json.loads((d / EXPORT_INFO).read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def cache_layers(plan: CachePlan) -> set[str] | None:
    """The layer digests the exported cache holds, or None when it cannot be read."""
    docs: list[dict[str, object]] = []
    if plan.local_dir is not None and local_cache_ok(plan.local_dir):
        d = plan.local_dir
        index = json.loads((d / "index.json").read_text())
        for m in index.get("manifests", []):
            try:
                docs.append(json.loads((d / "blobs" / "sha256" / m["digest"].split(":", 1)[1]).read_text()))
            except (OSError, ValueError, KeyError):
                return None
    elif plan.registry_ref:
        try:
            docs.append(buildx.imagetools_raw(plan.registry_ref))
        except Exception:
            return None
    else:
        return None
    layers: set[str] = set()
    for doc in docs:
        for key in ("layers", "manifests"):
            for m in doc.get(key) or []:  # type: ignore[attr-defined]
                if "layer" in str(m.get("mediaType", "")):
                    layers.add(str(m["digest"]))
    return layers


def missing_platforms(plan: CachePlan, platform_layers: dict[str, set[str]]) -> list[str]:
    """Platforms whose image layers are not all in the exported cache (moby/buildkit#2822)."""
    held = cache_layers(plan)
    if held is None:
        return []
    return [p for p, layers in sorted(platform_layers.items()) if not layers <= held]
