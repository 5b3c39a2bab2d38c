"""The edit-rebuild loop: a one-line change rebuilt with the default cache vs with ``--cache none``."""

from __future__ import annotations

import itertools

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Side, shown

NOTES = [
    "linux/amd64, one copy of app/ for both sides (same Go cache mounts); before every build, one line of main.go",
    "changes (a new value each run), so both sides compile the same change incrementally.",
    "A: `buildorch build` with the default cache (`--cache auto`: a local cache under $WORKDIR/cache, imported and",
    "exported; `--cache-mode auto` is min outside CI, and the bench runs with CI empty, as on a developer's machine).",
    "B: the same with `--cache none`. loop.max: A with `--cache-mode max` (the default before issue 23, and in CI).",
]


def run(b: Bench) -> list[Ratio]:
    common = ["--platform", "linux/amd64", "--version", VERSION, "--build-time", BUILD_TIME]
    env = {"BUILDORCH_CACHE_DIR": str(b.workdir / "cache"), "CI": ""}
    ctx = b.app_copy()
    main_go = ctx / "main.go"
    original, edits = main_go.read_text(), itertools.count()

    def edit() -> None:
        main_go.write_text(original + f'\nvar benchEdit = "{b.uid}-{next(edits)}"\n')

    default = [b.buildorch, "build", str(ctx), *common, "-t", b.tag("loop-default")]
    none = [b.buildorch, "build", str(ctx), *common, "-t", b.tag("loop-none"), "--cache", "none"]
    full = [*default, "--cache-mode", "max"]
    b.run(default, env=env)  # the cache and the image the first edit starts from
    b.run(none, env=env)
    a = Side("default cache", "edit main.go; " + shown(default), b.timed(default, before=edit, env=env))
    n = Side("--cache none", "edit main.go; " + shown(none), b.timed(none, before=edit, env=env))
    m = Side("--cache-mode max", "edit main.go; " + shown(full), b.timed(full, before=edit, env=env))
    return [
        Ratio("loop.default", "edit-rebuild: default cache / --cache none", a, n, b.alternate(a, n), goal=1.1),
        Ratio("loop.max", "edit-rebuild: local cache mode=max / --cache none", m, n, b.alternate(m, n), goal=None),
    ]
