"""The facts a report states about a record, as label/value rows shared by the HTML and Markdown reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from buildorch.builds.history import BuildRecord
from buildorch.core.units import human_duration, human_size


@dataclass
class Summary:
    rows: list[tuple[str, str]] = field(default_factory=list)
    images: list[tuple[str, str, str, str]] = field(default_factory=list)  # lane, platform, digest, size
    warnings: list[str] = field(default_factory=list)


def summarize(rec: BuildRecord) -> Summary:
    """Platforms, digests and sizes, steps cached/total, caches, warnings."""
    out = Summary()
    platforms = sorted({p for r in rec.results.values() for p in r.platforms})
    out.rows += [
        ("record", rec.id),
        ("kind", f"{rec.kind} {rec.name}"),
        ("version", rec.version or "-"),
        ("when", rec.created),
        ("duration", human_duration(rec.duration_seconds)),
        ("platforms", ", ".join(platforms) or "the builder's"),
        ("steps cached", f"{rec.steps_cached}/{rec.steps_total}"),
    ]
    tags = [t for r in rec.results.values() for t in r.tags]
    if tags:
        out.rows.append(("tags", ", ".join(tags)))
    cache_from = sorted({c for r in rec.results.values() for c in r.cache_from})
    cache_to = sorted({c for r in rec.results.values() for c in r.cache_to})
    out.rows.append(("cache imported from", ", ".join(cache_from) or "none"))
    out.rows.append(("cache exported to", ", ".join(cache_to) or "none"))
    release_sizes: dict[str, Any] = rec.extra.get("platforms") or {}
    for lane, r in rec.results.items():
        digests = dict(r.platform_digests)
        for p, img in release_sizes.items():
            digests.setdefault(p, img.get("digest", ""))
        if r.digest:
            out.images.append((lane, "index" if len(r.platforms) > 1 else (r.platforms[0] if r.platforms else ""), r.digest,
                               human_size(r.size_bytes) if r.size_bytes is not None else "-"))
        for p, d in sorted(digests.items()):
            size = release_sizes.get(p, {}).get("size_bytes")
            out.images.append((lane, p, d, human_size(size) if size is not None else "-"))
        if not r.digest and not digests and r.size_bytes is not None:
            out.images.append((lane, ", ".join(r.platforms), r.image_id or "-", human_size(r.size_bytes)))
        for w in r.warnings:
            if w not in out.warnings:
                out.warnings.append(w)
    if rec.extra.get("index_digest"):
        out.rows.append(("released index", str(rec.extra["index_digest"])))
    return out
