"""Orchestration overhead: ``buildorch build`` vs the raw command its ``--dry-run`` prints."""

from __future__ import annotations

import shlex
from pathlib import Path

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Side, shown

NOTES = [
    "`--cache none` on both sides, so the figure is orchestration alone (argv, progress parsing, result),",
    "not buildorch's cache import/export (measured by cache-import).",
    "Cold: the builder cache is pruned (`docker buildx prune -af`) before every run of either side.",
]


def run(b: Bench) -> list[Ratio]:
    args = ["build", "app", "--platform", "linux/amd64", "--cache", "none", "--version", VERSION, "--build-time", BUILD_TIME]
    args += ["-t", b.tag("overhead")]
    ours = [b.buildorch, *args]
    dry = b.run([*ours, "--dry-run"]).extra["stdout"].splitlines()[0]
    raw = shlex.split(dry)
    meta = Path(raw[raw.index("--metadata-file") + 1])
    try:
        a = Side("buildorch build", shown(ours), b.timed(ours, before=b.prune))
        r = Side("docker buildx build", dry, b.timed(raw, before=b.prune))
        cold = b.alternate(a, r)
        b.run(raw)  # fully cached from here on
        cached = b.alternate(Side(a.label, a.command, b.timed(ours)), Side(r.label, dry, b.timed(raw)))
    finally:
        meta.unlink(missing_ok=True)
    return [
        Ratio("overhead.cold", "buildorch build / raw docker buildx build, cold", a, r, cold, goal=1.03),
        Ratio("overhead.cached", "buildorch build / raw docker buildx build, fully cached", a, r, cached, goal=1.8),
    ]
