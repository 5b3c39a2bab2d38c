"""What the caches hold and how to shrink them: ``buildorch cache ls|du|prune``.

Two kinds of cache: the project's exported caches (local directories under
``.buildorch/cache/``, and registry caches it used) and the builder's own cache
(BuildKit's records, ``docker buildx du``, parsed in :mod:`buildorch.engine.buildx_text`).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from buildorch.builds.cache import cache_root, cache_state, export_info, local_cache_ok
from buildorch.builds.cache_store import current, is_generation_of, remove
from buildorch.engine import buildx
from buildorch.engine.buildx_text import BuilderUsage, parse_du_verbose, parse_prune


class LocalCache(BaseModel):
    """One exported local cache directory."""

    name: str
    path: str
    size_bytes: int
    age_seconds: int
    valid: bool
    layers: int
    state: str = "current"  # current, exporting, stale, damaged, staging, left over: see cache.cache_state
    mode: str | None = None  # the export's mode (min or max), when buildorch noted it


class RegistryCache(BaseModel):
    ref: str
    last_used: float


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def list_local(root: Path | None = None) -> list[LocalCache]:
    """The local caches under ``root`` (default ``.buildorch/cache``), staging and stale dirs included."""
    base = root or cache_root()
    out: list[LocalCache] = []
    if not base.is_dir():
        return out
    now = time.time()
    for d in sorted(p for p in base.iterdir() if p.is_dir() and not _shown_by_its_link(p)):
        layers = 0
        if local_cache_ok(d):
            index = json.loads((d / "index.json").read_text())
            inner = d / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":", 1)[1]
            try:
                layers = sum(1 for m in json.loads(inner.read_text()).get("manifests", []) if "layer" in m.get("mediaType", ""))
            except (OSError, ValueError):
                layers = 0
        stamp = (d / "index.json") if (d / "index.json").exists() else d
        out.append(
            LocalCache(
                name=d.name,
                path=str(d),
                size_bytes=dir_size(d),
                age_seconds=int(now - stamp.stat().st_mtime),
                valid=local_cache_ok(d),
                layers=layers,
                state=cache_state(d),
                mode=mode if isinstance(mode := export_info(d).get("mode"), str) else None,
            )
        )
    return out


def _shown_by_its_link(d: Path) -> bool:
    """A generation the live link points at: listed once, under the link's name."""
    owner = is_generation_of(d)
    if owner is None:
        return False
    here = current(d.with_name(owner))
    return here is not None and here.resolve() == d.resolve()


def _registry_file(root: Path | None = None) -> Path:
    return (root or cache_root()) / "registry-caches.json"


def remember_registry_cache(ref: str, root: Path | None = None) -> None:
    """Note a registry cache a build used, so ``cache ls`` can list it."""
    f = _registry_file(root)
    try:
        known = json.loads(f.read_text()) if f.exists() else {}
    except ValueError:
        known = {}
    known[ref] = time.time()
    f.parent.mkdir(parents=True, exist_ok=True)
    tmp = f.with_suffix(".tmp")
    tmp.write_text(json.dumps(known, indent=1))
    tmp.replace(f)


def list_registry(root: Path | None = None) -> list[RegistryCache]:
    f = _registry_file(root)
    try:
        known = json.loads(f.read_text()) if f.exists() else {}
    except ValueError:
        return []
    return [RegistryCache(ref=k, last_used=v) for k, v in sorted(known.items())]


def builder_usage(builder: str | None = None) -> BuilderUsage:
    """The builder's own cache, record by record (``docker buildx du --verbose``)."""
    return parse_du_verbose(buildx.buildx_du(builder))


def prune_local(older_than: int | None = None, keep_storage: int | None = None, dry_run: bool = False,
                root: Path | None = None) -> list[LocalCache]:
    """Remove local caches older than ``older_than`` seconds and, oldest first, beyond ``keep_storage`` bytes.

    What killed or failed builds left (staging, damaged, old generations) always goes; a
    cache a running build is exporting, and its staging directory, are never touched.
    With neither limit, every other local cache goes. Returns what was (or would be)
    removed, each with the bytes actually freed (a file that could not be removed is not counted).
    """
    caches = sorted(list_local(root), key=lambda c: c.age_seconds)  # newest first
    doomed: list[LocalCache] = []
    kept = 0
    for c in caches:
        if c.state in ("exporting", "staging"):
            continue
        left = c.state == "left over" or bool(re.search(r"\.corrupt-\d+$", c.name)) or not c.valid
        too_old = older_than is not None and c.age_seconds > older_than
        over = keep_storage is not None and kept + c.size_bytes > keep_storage
        everything = older_than is None and keep_storage is None
        if left or too_old or over or everything:
            doomed.append(c)
        else:
            kept += c.size_bytes
    if not dry_run:
        for c in doomed:
            c.size_bytes = remove(Path(c.path))
    return doomed


def prune_builder(older_than: int | None = None, keep_storage: int | None = None, dry_run: bool = False,
                  builder: str | None = None) -> dict[str, Any]:
    """``docker buildx prune`` with the same limits; in dry-run, estimated from ``buildx du``."""
    if dry_run:
        usage = builder_usage(builder)
        cands = [r for r in usage.records if r.reclaimable and not r.in_use]
        if older_than is not None:
            cands = [r for r in cands if (r.last_used_seconds_ago or 0) > older_than]
        total = sum(r.size_bytes for r in cands)
        if keep_storage is not None:
            # BuildKit frees least recently used records until the total is under the limit.
            excess = max(0, usage.total_bytes - keep_storage)
            chosen, freed = [], 0
            for r in sorted(cands, key=lambda r: -(r.last_used_seconds_ago or 0)):
                if freed >= excess:
                    break
                chosen.append(r)
                freed += r.size_bytes
            cands, total = chosen, freed
        return {"records": len(cands), "bytes": total, "estimated": True}
    records, freed = parse_prune(buildx.buildx_prune(builder, older_than=older_than, keep_storage=keep_storage))
    return {"records": records, "bytes": freed, "estimated": False}
