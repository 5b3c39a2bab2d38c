"""Turning results into text for people or JSON for scripts (stdout only carries results)."""

from __future__ import annotations

import json
import shutil
import sys
from typing import IO, Any

from buildorch.builds.rows import slowest_lines
from buildorch.core.units import human_size


def emit_json(data: Any, out: IO[str] | None = None) -> None:
    stream = out or sys.stdout
    stream.write(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")
    stream.flush()


def build_summary(result: Any) -> list[str]:
    """The closing lines of ``buildorch build``."""
    lines = [
        f"built {', '.join(result.platforms) or 'the host platform'}"
        + (f" target {result.target}" if result.target else "")
        + f" in {result.duration_seconds:.1f}s: {result.steps_cached}/{result.steps_total} steps cached"
    ]
    lines.append(f"  VERSION={result.version}  BUILD_TIME={result.build_time}")
    lines += output_lines(result, "  ", " (compressed content, host platform)")
    return lines + slowest_lines([(None, s) for s in result.steps], "  ", terminal_width())


def terminal_width() -> int:
    """Columns of the terminal on stdout (80 when it is none), for lines that should not wrap."""
    return shutil.get_terminal_size((80, 24)).columns


def output_lines(result: Any, indent: str, size_note: str = "") -> list[str]:
    """Where a result went: tags, digests per platform, size (shared by build and bake summaries)."""
    lines = []
    if result.tags:
        how = "pushed" if result.pushed else ("loaded" if result.loaded else "tagged")
        lines.append(f"{indent}{how}: {', '.join(result.tags)}")
    if result.digest:
        lines.append(f"{indent}digest: {result.digest}")
    for p, d in result.platform_digests.items():
        lines.append(f"{indent}  {p}: {d}")
    nodes = getattr(result, "nodes", None) or {}
    if len(set(nodes.values())) > 1:  # only worth a line when several nodes shared the work
        lines.append(f"{indent}built on: " + ", ".join(f"{p} by node {n}" for p, n in nodes.items()))
    if result.size_bytes is not None:
        lines.append(f"{indent}image size: {human_size(result.size_bytes)}{size_note}")
    return lines


def stages_table(report: Any) -> list[str]:
    """``buildorch stages``: one row per stage, then the default and the ARGs before the first FROM."""

    def args(values: dict[str, str | None]) -> str:
        return " ".join(k if v is None else f"{k}={v}" for k, v in values.items())

    by = "BuildKit" if report.read_by == "buildkit" else "buildorch's parser"
    lines = [f"{report.dockerfile}: {len(report.stages)} stage{'s' if len(report.stages) != 1 else ''}, read by {by}"]
    header = ("#", "STAGE", "BASE", "PLATFORM", "LINE", "ARGS")
    rows = [(str(s.index), s.name or "-", s.base, s.platform or "", str(s.line or ""), args(s.args)) for s in report.stages]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    if report.default is not None and report.stages:
        last = report.stages[report.default]
        lines.append(f"default: {last.name or f'stage {last.index} (unnamed)'} (the last stage)")
    if report.global_args:
        lines.append(f"ARGs before the first FROM: {args(report.global_args)}")
    if report.syntax:
        lines.append(f"frontend: {report.syntax} (# syntax=)")
    return lines
