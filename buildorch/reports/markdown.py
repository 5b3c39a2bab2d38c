"""A build record as Markdown: for CI job summaries (``$GITHUB_STEP_SUMMARY``) and ``history show``."""

from __future__ import annotations

from buildorch.builds.history import BuildRecord
from buildorch.core.units import human_duration, human_size
from buildorch.reports.summary import summarize
from buildorch.reports.timeline import first_cache_miss, timeline, trend


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rec: BuildRecord, history: list[BuildRecord], *, slowest: int = 10) -> str:
    """Summary, first cache miss, slowest steps (critical path marked) and the trend."""
    t = timeline(rec)
    s = summarize(rec)
    previous = [r for r in history if r.id < rec.id]
    miss = first_cache_miss(rec, previous[-1] if previous else None, t)
    lines = [f"## {rec.kind} {rec.name} {rec.version}".rstrip(), ""]
    lines += ["| | |", "|---|---|", *(f"| {_cell(k)} | `{_cell(v)}` |" for k, v in s.rows), ""]
    if s.images:
        lines += ["| lane | platform | digest | size |", "|---|---|---|---:|"]
        lines += [f"| {_cell(lane or '-')} | {_cell(p)} | `{_cell(d)}` | {z} |" for lane, p, d, z in s.images]
        lines.append("")
    if miss is not None:
        lines.append(f"**First cache miss** ({miss.bar.platform}): `{_cell(miss.bar.name)}`")
        lines += [f"- {r}" for r in miss.reasons]
        lines.append("")
    executed = sorted((b for b in t.bars if not b.cached), key=lambda b: -b.duration)[:slowest]
    if executed:
        lines += ["| step | platform | duration | |", "|---|---|---:|---|"]
        lines += [f"| `{_cell(b.name)}` | {_cell(b.platform)} | {human_duration(b.duration)} | "
                  f"{'critical path' if b.critical else ''} |" for b in executed]
        lines.append("")
    if s.warnings:
        lines += ["**Warnings**", *(f"- {_cell(w)}" for w in s.warnings), ""]
    points = trend(history)
    if len(points) > 1:
        lines += ["| version | duration | size | cached |", "|---|---:|---:|---:|"]
        lines += [f"| {_cell(p.version or '-')} | {human_duration(p.duration_seconds)} | {human_size(p.size_bytes)} | "
                  f"{p.steps_cached}/{p.steps_total} |" for p in points[-10:]]
        lines.append("")
    return "\n".join(lines)
