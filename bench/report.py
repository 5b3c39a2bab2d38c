"""Results: ``latest.json`` (everything), ``latest.md`` (the table), ``latest.png`` (ratios against goals)."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _out(argv: list[str]) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "cpu": next(
            (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")),
            platform.machine(),
        ),
        "docker_engine": _out(["docker", "version", "--format", "{{.Server.Version}}"]),
        "docker_cli": _out(["docker", "version", "--format", "{{.Client.Version}}"]),
        "buildx": _out(["docker", "buildx", "version"]),
        "python": platform.python_version(),
        "buildorch_commit": _out(["git", "-C", str(RESULTS.parent.parent), "rev-parse", "--short", "HEAD"]),
    }


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load(path: Path = RESULTS / "latest.json") -> dict[str, Any]:
    """The previous results, so that ``--only NAME`` replaces one comparison and keeps the others."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write(data: dict[str, Any], out: Path = RESULTS) -> list[Path]:
    """Write latest.json, latest.md and (with matplotlib) latest.png; return what was written."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "latest.json", out / "latest.md"]
    paths[0].write_text(json.dumps(data, indent=2) + "\n")
    paths[1].write_text(markdown(data))
    try:
        from bench.chart import draw
    except ImportError:  # matplotlib is optional: `pip install -e '.[bench]'`
        print("matplotlib is not installed: no chart (pip install -e '.[bench]')", file=sys.stderr)
        return paths
    draw(data, out / "latest.png")
    return [*paths, out / "latest.png"]


def _fmt(x: float | None, unit: str) -> str:
    if x is None or x != x:  # NaN
        return "-"
    if unit == "bytes":
        for u in ("B", "KB", "MB", "GB"):
            if abs(x) < 1000 or u == "GB":
                return f"{x:.0f} {u}" if u == "B" else f"{x:.1f} {u}"
            x /= 1000
    return f"{x:.3f} s" if x < 10 else f"{x:.1f} s"


def _goal(r: dict[str, Any]) -> str:
    g = r.get("goal")
    text = "" if not g else (f"≤ {g['max']:g}" if g["on"] == "ratio" else f"A - B ≤ {g['max']:g} s")
    for c in r.get("checks") or []:
        text += f"; {c['name']} {'≥' if 'min' in c else '≤'} {c.get('min', c.get('max'))}"
    return text or "-"


def _met(r: dict[str, Any]) -> str:
    return {True: "yes", False: "**no**", None: "-"}[r.get("met")]


def markdown(data: dict[str, Any]) -> str:
    """The results table, one row per ratio, then each comparison's notes."""
    m = data.get("machine", {})
    lines = [
        "# buildorch benchmarks",
        "",
        f"Updated {data.get('updated', '?')} on {m.get('nproc')} CPUs ({m.get('cpu', '?')}), {m.get('memory_gib')} GiB, "
        f"Linux {m.get('kernel')}, Docker engine {m.get('docker_engine')}, {m.get('buildx')}, "
        f"buildorch {m.get('buildorch_commit')}.",
        "",
        "Each ratio is A/B over interleaved pairs (A, B, then B, A, ... after a warm-up): the median, then the spread (min-max).",
        "",
        "| comparison | A | B | A median | B median | ratio A/B | spread | goal | met | runs |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for name, comp in data.get("comparisons", {}).items():
        if comp.get("status") != "measured":
            lines.append(f"| {name} | {comp.get('status')}: {comp.get('reason', '')[:300]} | | | | | | | | |")
            continue
        for r in comp["ratios"]:
            unit, ratio = r["unit"], r["ratio"]
            cell = f"{ratio['median']:.3f}"
            if r.get("goal") and r["goal"]["on"] == "difference":
                cell += f" (A - B = {r['difference']['median']:.3f} s)"
            lines.append(
                f"| {r['name']} | {r['a']['label']} | {r['b']['label']} | {_fmt(r['a']['median'], unit)} | "
                f"{_fmt(r['b']['median'], unit)} | {cell} | {ratio['min']:.3f}-{ratio['max']:.3f} | {_goal(r)} | {_met(r)} | "
                f"{len(r['pairs'])} |"
            )
        load = comp.get("load", {})
        info = f"{comp.get('date')}, {comp.get('duration_s', 0):.0f} s, load {load.get('min')}-{load.get('max')}"
        extra = [n for r in comp["ratios"] for n in r.get("notes", [])]
        notes.append(f"- **{name}** ({info}): " + " ".join([*comp.get("notes", []), *extra]))
    lines += ["", "## Notes", "", *notes, ""]
    lines += ["Commands (A, then B) are in `latest.json`, with every run's figure, the load average and the number of other"]
    lines += ["builds running on the shared engine when each pair started.", ""]
    return "\n".join(lines)
