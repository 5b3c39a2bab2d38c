"""Many targets: ``buildorch bake`` of N targets vs N sequential ``buildorch build`` runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

from bench.harness import BUILD_TIME, Bench, BenchError, NotMeasured, Ratio, Sample, Side, shown

N = 3
NOTES = [
    f"{N} targets of app/Dockerfile (runtime stage, linux/amd64) that differ by their VERSION build arg,",
    "`--cache none`, images loaded. Every run uses new VERSION values, so every target's compile step runs on both sides;",
    "the builder cache (Go build cache mounts included) stays warm: this measures running targets together, not a cold start.",
    "Built from a copy of app/ whose cache mounts have their own id, so that no other build on the shared engine empties them.",
]


def bakefile(context: Path, tags: list[str]) -> str:
    """A bake file of N targets that differ only by VERSION (``${RUN}-i``)."""
    out = [
        'variable "RUN" {\n  default = "0"\n}\n',
        f'group "default" {{\n  targets = {[f"t{i}" for i in range(1, N + 1)]}\n}}\n',
    ]
    for i, tag in enumerate(tags, 1):
        out.append(
            f'target "t{i}" {{\n  context = "{context}"\n  dockerfile = "Dockerfile"\n  target = "runtime"\n'
            f'  platforms = ["linux/amd64"]\n  tags = ["{tag}"]\n'
            f'  args = {{\n    VERSION = "${{RUN}}-{i}"\n    BUILD_TIME = "{BUILD_TIME}"\n  }}\n}}\n'
        )
    return "\n".join(out).replace("'", '"')


def run(b: Bench) -> list[Ratio]:
    hcl = b.workdir / "docker-bake.hcl"
    ctx = b.app_copy()  # cache mounts of its own: warm, and no other build on the engine empties them
    hcl.write_text(bakefile(ctx, [b.tag(f"bake{i}") for i in range(1, N + 1)]))
    seq_tags = [b.tag(f"seq{i}") for i in range(1, N + 1)]
    counter = itertools.count()
    common = ["--cache", "none", "--build-time", BUILD_TIME]

    def baked(run_id: str) -> list[list[str]]:
        return [[b.buildorch, "bake", "-f", str(hcl), "--load", *common, "--var", f"RUN={run_id}"]]

    def sequential(run_id: str) -> list[list[str]]:
        return [
            [b.buildorch, "build", str(ctx), "--platform", "linux/amd64", *common, "--version", f"{run_id}-{i}", "-t", tag]
            for i, tag in enumerate(seq_tags, 1)
        ]

    def measure(commands: Callable[[str], list[list[str]]]) -> Callable[[], Sample]:
        def once() -> Sample:
            run_id = f"{b.uid}.{next(counter)}"
            samples = [b.run(argv) for argv in commands(run_id)]
            return Sample(sum(s.value for s in samples), {"slowest": [s.extra.get("slowest") for s in samples]})

        return once

    try:  # the bake file works, and the Go build cache is warm
        b.run(baked(f"{b.uid}.prime")[0])
    except BenchError as exc:
        raise NotMeasured(f"buildorch bake does not work here: {exc}") from exc
    a = Side(f"buildorch bake, {N} targets", shown(baked("$RUN")[0]), measure(baked))
    s = Side(f"{N} x buildorch build", " ; ".join(shown(c) for c in sequential("$RUN")), measure(sequential))
    return [Ratio("bake", f"buildorch bake of {N} targets / {N} sequential buildorch build", a, s, b.alternate(a, s))]
