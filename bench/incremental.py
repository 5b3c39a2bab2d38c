"""Incremental rebuild: a one-line change to main.go vs a cold build, with and without Go's cache mounts."""

from __future__ import annotations

import itertools

from bench.harness import BUILD_TIME, ROOT, VERSION, Bench, Ratio, Sample, Side, shown, without_cache_mounts

NOTES = [
    "linux/amd64, `buildorch build --cache none`.",
    "A: one line of main.go changed (a new value each run) in a copy of app/, builder cache warm from its previous build.",
    "B: cold, a fresh copy of app/ whose cache mounts have their own id, with `--no-cache`.",
    "Without mounts: app/Dockerfile with every `--mount=type=cache,...` removed, written at run time.",
]


def run(b: Bench) -> list[Ratio]:
    dockerfile = (ROOT / "app" / "Dockerfile").read_text()
    return [
        compare(b, "incremental.mounts", dockerfile, goal=0.3),
        compare(b, "incremental.no-mounts", without_cache_mounts(dockerfile), goal=None),
    ]


def compare(b: Bench, name: str, dockerfile: str, goal: float | None) -> Ratio:
    common = ["--platform", "linux/amd64", "--cache", "none", "--version", VERSION, "--build-time", BUILD_TIME]
    common += ["-t", b.tag(name.replace(".", "-"))]
    ctx = b.app_copy(dockerfile)
    main_go = ctx / "main.go"
    original, edits = main_go.read_text(), itertools.count()

    def edit() -> None:
        main_go.write_text(original + f'\nvar benchEdit = "{b.uid}-{next(edits)}"\n')

    def cold() -> Sample:
        s = b.run([b.buildorch, "build", str(b.app_copy(dockerfile)), *common, "--no-cache"])
        s.extra.pop("stdout", None)
        return s

    argv = [b.buildorch, "build", str(ctx), *common]
    b.run(argv)  # the state the first edit starts from
    a = Side("one-line change", "edit main.go; " + shown(argv), b.timed(argv, before=edit))
    c = Side("cold build", shown([b.buildorch, "build", "$WORKDIR/app-N", *common, "--no-cache"]), cold)
    return Ratio(name, name.split(".")[1] + ": one-line change / cold build", a, c, b.alternate(a, c), goal=goal)
