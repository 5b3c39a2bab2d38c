"""Orchestration overhead: ``buildorch build`` vs the raw command its ``--dry-run`` prints."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Sample, Side, shown

NOTES = [
    "`--cache none` on both sides, so the figure is orchestration alone (argv, progress parsing, result),",
    "not buildorch's cache import/export (measured by cache-import).",
    "Cold: every run builds a fresh copy of app/ whose cache mounts have their own id, with `--no-cache`:",
    "nothing is cached, whatever other builds the shared engine runs (a `docker buildx prune -af` keeps what running",
    "builds hold, and every build of app/Dockerfile shares its Go cache mounts). Fully cached: app/ itself.",
]


def run(b: Bench) -> list[Ratio]:
    args = ["--platform", "linux/amd64", "--cache", "none", "--version", VERSION, "--build-time", BUILD_TIME]
    args += ["-t", b.tag("overhead")]
    metas: list[Path] = []

    def cold(raw: bool) -> Callable[[], Sample]:
        def measure() -> Sample:
            ours = [b.buildorch, "build", str(b.app_copy()), *args, "--no-cache"]
            argv = b.dry_run(ours) if raw else ours
            if raw:
                metas.append(Path(argv[argv.index("--metadata-file") + 1]))
            s = b.run(argv)
            s.extra.pop("stdout", None)
            return s

        return measure

    ours = [b.buildorch, "build", "app", *args]
    raw = b.dry_run(ours)
    metas.append(Path(raw[raw.index("--metadata-file") + 1]))
    try:
        a = Side("buildorch build", shown([*ours, "--no-cache"]).replace(" app ", " $WORKDIR/app-N "), cold(raw=False))
        r = Side("docker buildx build", "its --dry-run command", cold(raw=True))
        cold_pairs = b.alternate(a, r)
        b.run(raw)  # fully cached from here on
        ac = Side("buildorch build", shown(ours), b.timed(ours))
        rc = Side("docker buildx build", shown(raw), b.timed(raw))
        cached = b.alternate(ac, rc)
    finally:
        for m in metas:
            m.unlink(missing_ok=True)
    return overhead_ratios("overhead", "build", (a, r, cold_pairs), (ac, rc, cached))


Measured = tuple[Side, Side, list[dict[str, Any]]]


def overhead_ratios(name: str, command: str, cold: Measured, cached: Measured) -> list[Ratio]:
    """``NAME.cold`` and ``NAME.cached``: buildorch COMMAND over the raw buildx command, with the goals of both."""
    title = f"buildorch {command} / raw docker buildx {command}"
    a, r, cold_pairs = cold
    return [
        Ratio(f"{name}.cold", f"{title}, cold", a, r, cold_pairs, goal=1.03, notes=[outside_compile(cold_pairs)]),
        Ratio(f"{name}.cached", f"{title}, fully cached", *cached, goal=1.8),
    ]


def outside_compile(pairs: list[dict[str, Any]]) -> str:
    """Each side's wall time less its slowest BuildKit step (the compile), median: the orchestration itself."""

    def rest(value: float, extra: dict[str, Any]) -> float:
        slowest = extra.get("slowest") or [["", 0.0]]
        return value - float(slowest[0][1])

    a = statistics.median(rest(p["a"], p.get("a_extra", {})) for p in pairs)
    b = statistics.median(rest(p["b"], p.get("b_extra", {})) for p in pairs)
    step = statistics.median(float((p.get("b_extra", {}).get("slowest") or [["", 0.0]])[0][1]) for p in pairs)
    return (
        f"Outside the slowest BuildKit step (the Go compile, {step:.1f} s median, whose run-to-run noise decides the ratio): "
        f"buildorch {a:.2f} s vs raw {b:.2f} s per build, i.e. {a - b:.2f} s of orchestration "
        f"({(a - b) / (b + step):.1%} of a raw cold build)."
    )
