"""Incremental rebuild: a one-line change to main.go vs a cold build, with and without Go's cache mounts."""

from __future__ import annotations

import itertools
import shutil

from bench.harness import BUILD_TIME, ROOT, VERSION, Bench, Ratio, Side, shown, without_cache_mounts

NOTES = [
    "linux/amd64, `buildorch build --cache none` on a temporary copy of app/.",
    "A: one line of main.go changed (a new value each run), builder cache warm from the previous build.",
    "B: the same source, builder cache pruned first (cold).",
    "Without mounts: app/Dockerfile with every `--mount=type=cache,...` removed, written at run time.",
    "A cold run may profit from Go build caches that other builds on the shared engine refill after the prune.",
]


def run(b: Bench) -> list[Ratio]:
    ctx = b.workdir / "app"
    shutil.copytree(ROOT / "app", ctx)
    nomounts = b.workdir / "Dockerfile.nomounts"
    nomounts.write_text(without_cache_mounts((ctx / "Dockerfile").read_text()))
    main_go = ctx / "main.go"
    original = main_go.read_text()
    edits = itertools.count()

    def edit() -> None:
        main_go.write_text(original + f'\nvar benchEdit = "{b.uid}-{next(edits)}"\n')

    out = []
    for name, dockerfile, title in (
        ("incremental.mounts", ctx / "Dockerfile", "one-line change / cold build, with Go cache mounts"),
        ("incremental.no-mounts", nomounts, "one-line change / cold build, without cache mounts"),
    ):
        argv = [b.buildorch, "build", str(ctx), "-f", str(dockerfile), "--platform", "linux/amd64", "--cache", "none"]
        argv += ["--version", VERSION, "--build-time", BUILD_TIME, "-t", b.tag(name.replace(".", "-"))]
        b.run(argv)  # the state the first edit starts from
        a = Side("one-line change", "edit main.go; " + shown(argv), b.timed(argv, before=edit))
        c = Side("cold build", "docker buildx prune -af; " + shown(argv), b.timed(argv, before=b.prune))
        out.append(Ratio(name, title, a, c, b.alternate(a, c), goal=0.3 if name == "incremental.mounts" else None))
    return out
