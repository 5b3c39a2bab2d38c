"""Cache import/export: which cache a build uses, and keeping local caches healthy.

BuildKit's local cache exporter never deletes old blobs (docker/buildx#310,
moby/buildkit#1896) and writes in place, so an interrupted export can break the
cache. buildorch exports into a fresh staging directory and swaps it in only
after the build succeeded: the cache then holds exactly what the last build
needs, and a failed build leaves the previous cache as it was.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core import references
from buildorch.engine import buildx

EXPORT_INFO = "buildorch-cache.json"  # in a live cache: the export's mode and time
STALE_MARK = "buildorch-stale"  # in a live cache: a later build of its target did not export


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


def local_cache_ok(d: Path) -> bool:
    """A local cache BuildKit can import: an ``index.json`` that parses, with manifests."""
    try:
        index = json.loads((d / "index.json").read_text())
    except (OSError, ValueError):
        return False
    return isinstance(index, dict) and bool(index.get("manifests"))


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
    try:
        d.parent.mkdir(parents=True, exist_ok=True)
        probe = d.parent / f".probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return f"cache directory {d.parent} is not writable ({exc.strerror or exc})"
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
        if d.exists() and not local_cache_ok(d):
            aside = d.with_name(f"{d.name}.corrupt-{int(time.time())}")
            plan.warnings.append(f"local cache {d} is damaged (no valid index.json): set aside as {aside}; building cold")
            d.rename(aside)
        if local_cache_ok(d):
            plan.cache_from.append(f"type=local,src={d}")
        plan.staging_dir = d.with_name(f"{d.name}.new-{os.getpid()}")
        plan.mode = mode
        plan.cache_to.append(f"type=local,dest={plan.staging_dir},mode={mode}")
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


_DIGEST = re.compile(rb"sha256:[0-9a-f]{64}")


def stage(plan: CachePlan) -> None:
    """Before the build: seed the staging directory with hard links to the live cache's blobs.

    BuildKit skips blobs that already exist at the destination, so a rebuild
    exports only what changed (a cached app build: 1.4 s instead of 4.4 s).
    Blobs are content-addressed and never rewritten, so linking them is safe;
    ``index.json`` is rewritten by BuildKit and is therefore not linked.
    """
    if plan.staging_dir is None or plan.local_dir is None:
        return
    _drop_orphans(plan.local_dir)
    shutil.rmtree(plan.staging_dir, ignore_errors=True)
    blobs = plan.local_dir / "blobs"
    if not local_cache_ok(plan.local_dir) or not blobs.is_dir():
        return
    try:
        shutil.copytree(blobs, plan.staging_dir / "blobs", copy_function=os.link)
    except OSError:  # another filesystem, no hard links: export everything instead
        shutil.rmtree(plan.staging_dir, ignore_errors=True)


def _drop_orphans(live: Path) -> None:
    """Remove staging dirs that a killed buildorch left behind (its PID is gone)."""
    for d in live.parent.glob(f"{live.name}.new-*"):
        pid = d.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(d, ignore_errors=True)


def referenced_blobs(d: Path) -> set[str]:
    """Every blob digest reachable from ``d/index.json`` (JSON blobs are followed)."""
    seen: set[str] = set()
    todo = [m.decode() for m in _DIGEST.findall((d / "index.json").read_bytes())]
    while todo:
        digest = todo.pop()
        if digest in seen:
            continue
        seen.add(digest)
        blob = d / "blobs" / "sha256" / digest.split(":", 1)[1]
        try:
            if blob.stat().st_size > 16 * 1024 * 1024:
                continue  # a layer, not a manifest or cache config
            head = blob.read_bytes()
        except OSError:
            continue
        if head[:1] in (b"{", b"["):
            todo.extend(m.decode() for m in _DIGEST.findall(head))
    return seen


def gc_blobs(d: Path) -> int:
    """Delete blobs nothing references (left from an earlier build); return the bytes freed."""
    keep = {x.split(":", 1)[1] for x in referenced_blobs(d)}
    freed = 0
    for blob in (d / "blobs" / "sha256").glob("*"):
        if blob.name not in keep:
            freed += blob.stat().st_size
            blob.unlink()
    shutil.rmtree(d / "ingest", ignore_errors=True)
    return freed


def commit(plan: CachePlan) -> None:
    """After a successful build: drop stale blobs and swap the new cache in place of the old one."""
    if plan.staging_dir is None or plan.local_dir is None:
        return
    if not local_cache_ok(plan.staging_dir):
        shutil.rmtree(plan.staging_dir, ignore_errors=True)
        return
    gc_blobs(plan.staging_dir)
    # Written before the swap, so the live cache and what it says about itself change together.
    (plan.staging_dir / EXPORT_INFO).write_text(json.dumps({"mode": plan.mode, "exported_at": round(time.time(), 3)}))
    old = plan.local_dir.with_name(f"{plan.local_dir.name}.old-{os.getpid()}")
    if plan.local_dir.exists():
        plan.local_dir.rename(old)
    plan.staging_dir.rename(plan.local_dir)
    shutil.rmtree(old, ignore_errors=True)


def mark_stale(plan: CachePlan) -> None:
    """The build succeeded without exporting its cache: the live cache (if any) is behind it."""
    if plan.local_dir is not None and local_cache_ok(plan.local_dir):
        with contextlib.suppress(OSError):
            (plan.local_dir / STALE_MARK).write_text("")


def _running(pid: int) -> bool:
    """Whether process ``pid`` exists (``kill 0``: no ``/proc`` needed)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def cache_state(d: Path) -> str:
    """What ``d`` is, for ``cache ls``; a build imports only a ``current`` or ``stale`` cache.

    * ``current``: a complete cache, exported by the last build of its target that exported one;
    * ``exporting``: complete, and a running build is exporting its successor next to it
      (into ``NAME.new-PID``, swapped in only once complete);
    * ``stale``: complete, but the last build of its target could not export (it is behind);
    * ``damaged``: no valid ``index.json`` (set aside by the next build);
    * ``staging``: a running build's export in progress, never imported;
    * ``left over``: a staging, old or damaged copy a killed or failed build left (``cache prune`` removes it).
    """
    m = re.search(r"\.(new|old)-(\d+)$|\.corrupt-\d+$", d.name)
    if m:
        return "staging" if m.group(1) == "new" and _running(int(m.group(2))) else "left over"
    if not local_cache_ok(d):
        return "damaged"
    for staging in d.parent.glob(f"{glob.escape(d.name)}.new-*"):
        pid = staging.name.rsplit("-", 1)[-1]
        if pid.isdigit() and _running(int(pid)):
            return "exporting"
    return "stale" if (d / STALE_MARK).exists() else "current"


def export_info(d: Path) -> dict[str, object]:
    """What buildorch noted when it swapped ``d`` in (mode, time); empty for an older cache."""
    try:
        info = json.loads((d / EXPORT_INFO).read_text())
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def discard(plan: CachePlan) -> None:
    """After a failed or interrupted build: drop the partial export, keep the old cache."""
    if plan.staging_dir is not None:
        shutil.rmtree(plan.staging_dir, ignore_errors=True)


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
