"""What the caches hold and how to shrink them: ``buildorch cache ls|du|prune``.

Two kinds of cache: the project's exported caches (local directories under
``.buildorch/cache/``, and registry caches it used) and the builder's own cache
(BuildKit's records, ``docker buildx du``; python-on-whales has no wrapper).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from buildorch.builds.cache import cache_root, local_cache_ok

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
_DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """``1.5GB`` -> 1500000000, ``512MiB`` -> 536870912, ``0B`` -> 0."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*", text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"invalid size {text!r}: use e.g. 500MB, 2GB or 1GiB")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_duration(text: str) -> int:
    """``24h`` -> 86400, ``7d`` -> 604800, ``1h30m`` -> 5400 (seconds)."""
    parts = re.findall(r"(\d+)\s*([smhdw])", text.strip().lower())
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s", "", text.strip().lower()):
        raise ValueError(f"invalid duration {text!r}: use e.g. 30m, 24h or 7d")
    return sum(int(n) * _DURATION[u] for n, u in parts)


def _ago(text: str) -> int | None:
    """``6 minutes ago`` -> 360 (docker's go-units HumanDuration, read back roughly)."""
    t = text.strip().lower()
    if t in ("", "<nil>"):
        return None
    if t.startswith(("less than a second", "now")):
        return 0
    m = re.match(r"(about an?|an?|\d+)\s+(second|minute|hour|day|week|month|year)s?", t)
    if not m:
        return None
    n = 1 if not m.group(1)[0].isdigit() else int(m.group(1))
    unit = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000}
    return n * unit[m.group(2)]


class LocalCache(BaseModel):
    """One exported local cache directory."""

    name: str
    path: str
    size_bytes: int
    age_seconds: int
    valid: bool
    layers: int


class RegistryCache(BaseModel):
    ref: str
    last_used: float


class CacheRecord(BaseModel):
    """One record of the builder's cache (``docker buildx du --verbose``)."""

    id: str
    size_bytes: int = 0
    reclaimable: bool = False
    shared: bool = False
    in_use: bool = False
    type: str = ""
    description: str = ""
    last_used_seconds_ago: int | None = None


class BuilderUsage(BaseModel):
    records: list[CacheRecord] = Field(default_factory=list)
    total_bytes: int = 0
    reclaimable_bytes: int = 0


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def list_local(root: Path | None = None) -> list[LocalCache]:
    """The local caches under ``root`` (default ``.buildorch/cache``), staging and stale dirs included."""
    base = root or cache_root()
    out: list[LocalCache] = []
    if not base.is_dir():
        return out
    now = time.time()
    for d in sorted(p for p in base.iterdir() if p.is_dir()):
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
            )
        )
    return out


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


def parse_du_verbose(text: str) -> BuilderUsage:
    """Parse ``docker buildx du --verbose`` (buildx 0.13 has no JSON format for it)."""
    usage = BuilderUsage()
    rec: dict[str, str] = {}

    def flush() -> None:
        if rec.get("ID"):
            usage.records.append(
                CacheRecord(
                    id=rec["ID"].rstrip("*"),
                    size_bytes=parse_size(rec.get("Size", "0B")),
                    reclaimable=rec.get("Reclaimable") == "true",
                    shared=rec.get("Shared") == "true",
                    in_use=rec["ID"].endswith("*") or rec.get("In use") == "true",
                    type=rec.get("Type", ""),
                    description=rec.get("Description", ""),
                    last_used_seconds_ago=_ago(rec.get("Last used", "")),
                )
            )
        rec.clear()

    for line in text.splitlines():
        if not line.strip():
            flush()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key in ("Total", "Reclaimable") and "ID" not in rec:
            if key == "Total":
                usage.total_bytes = parse_size(value)
            else:
                usage.reclaimable_bytes = parse_size(value)
            continue
        if key in ("Shared", "Private") and "ID" not in rec:
            continue
        rec[key] = value
    flush()
    return usage


def builder_usage(builder: str | None = None) -> BuilderUsage:
    from buildorch.engine import buildx

    args = ["buildx", "du", "--verbose"] + (["--builder", builder] if builder else [])
    return parse_du_verbose(buildx.run(args, what="docker buildx du"))


def prune_local(older_than: int | None = None, keep_storage: int | None = None, dry_run: bool = False,
                root: Path | None = None) -> list[LocalCache]:
    """Remove local caches older than ``older_than`` seconds and, oldest first, beyond ``keep_storage`` bytes.

    Leftover staging (``*.new-PID``) and damaged (``*.corrupt-*``) directories always go.
    With neither limit, every local cache goes. Returns what was (or would be) removed.
    """
    caches = sorted(list_local(root), key=lambda c: c.age_seconds)  # newest first
    doomed: list[LocalCache] = []
    kept = 0
    for c in caches:
        stale = bool(re.search(r"\.(new|old)-\d+$|\.corrupt-\d+$", c.name)) or not c.valid
        too_old = older_than is not None and c.age_seconds > older_than
        over = keep_storage is not None and kept + c.size_bytes > keep_storage
        everything = older_than is None and keep_storage is None
        if stale or too_old or over or everything:
            doomed.append(c)
        else:
            kept += c.size_bytes
    if not dry_run:
        for c in doomed:
            shutil.rmtree(c.path, ignore_errors=True)
    return doomed


def prune_builder(older_than: int | None = None, keep_storage: int | None = None, dry_run: bool = False,
                  builder: str | None = None) -> dict[str, Any]:
    """``docker buildx prune`` with the same limits; in dry-run, estimated from ``buildx du``."""
    from buildorch.engine import buildx

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
    args = ["buildx", "prune", "--force"]
    if builder:
        args += ["--builder", builder]
    if older_than is not None:
        args += ["--filter", f"until={older_than}s"]
    if keep_storage is not None:
        args += ["--keep-storage", str(keep_storage)]
    out = buildx.run(args, what="docker buildx prune")
    m = re.search(r"Total:\s*(\S+)", out)
    return {"records": sum(1 for line in out.splitlines() if re.match(r"^[a-z0-9]{20,}", line)),
            "bytes": parse_size(m.group(1)) if m else 0, "estimated": False}
