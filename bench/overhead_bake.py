"""Orchestration overhead of bake: ``buildorch bake`` vs the raw ``docker buildx bake`` its ``--dry-run`` prints."""

from __future__ import annotations

import itertools
import json
import shlex
from collections.abc import Callable
from pathlib import Path

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Sample, Side, shown
from bench.overhead import overhead_ratios
from buildorch.bakes.plan import DEFINITION_PLACEHOLDER, METADATA_PLACEHOLDER, definition_text

NOTES = [
    "One target (app/Dockerfile, runtime stage, linux/amd64, loaded), `--cache none` on both sides: orchestration alone.",
    "The raw side is the exact command that `buildorch bake --dry-run` prints, on the definition it prints",
    "(written to a file, as buildorch writes it before it bakes).",
    "Cold: each run bakes a fresh copy of app/ whose cache mounts have their own id, with `--set app.no-cache=true`",
    "(BuildKit's cache keys leave cache mount ids out: without it a fresh copy is fully cached).",
    "Fully cached: the same copy and file every run.",
]


NO_CACHE = ("--set", "app.no-cache=true")


def bakefile(context: Path, tag: str) -> str:
    return (
        f'target "app" {{\n  context = "{context}"\n  dockerfile = "Dockerfile"\n  target = "runtime"\n'
        f'  platforms = ["linux/amd64"]\n  tags = ["{tag}"]\n}}\n'
    )


def split_env(argv: list[str]) -> tuple[dict[str, str], list[str]]:
    """``VERSION=1 BUILD_TIME=x docker buildx bake ...`` -> the environment and the command."""
    env: dict[str, str] = {}
    for i, word in enumerate(argv):
        name, eq, value = word.partition("=")
        if not eq or not name.isidentifier():
            return env, argv[i:]
        env[name] = value
    return env, []


def run(b: Bench) -> list[Ratio]:
    copies = itertools.count()
    metas: list[Path] = []

    def files(fresh: bool) -> Path:
        ctx = b.app_copy(fresh=fresh)
        hcl = b.workdir / f"bake-{next(copies)}.hcl"
        hcl.write_text(bakefile(ctx, b.tag("overhead-bake")))
        return hcl

    def ours(hcl: Path, *extra: str) -> list[str]:
        return [
            # buildx 0.17+ asks for the context, which lies outside the current directory (both sides get it)
            *(b.buildorch, "bake", "-f", str(hcl), "app", "--cache", "none", "--allow", f"fs.read={b.workdir}"),
            *("--version", VERSION, "--build-time", BUILD_TIME, *extra),
        ]

    def raw(hcl: Path, *extra: str) -> tuple[dict[str, str], list[str]]:
        report = json.loads(b.run([*ours(hcl, *extra), "--dry-run", "--json"]).extra["stdout"])
        env, argv = split_env(shlex.split(report["command"]))
        n = next(copies)
        definition, meta = b.workdir / f"bake-{n}.json", b.workdir / f"bake-{n}.metadata.json"
        definition.write_text(definition_text(report["definition"]["target"], print_escapes=report["print_escapes"]))
        metas.extend([definition, meta])
        paths = {DEFINITION_PLACEHOLDER: str(definition), METADATA_PLACEHOLDER: str(meta)}
        return env, [paths.get(a, a) for a in argv]

    def cold(use_raw: bool) -> Callable[[], Sample]:
        def measure() -> Sample:
            hcl = files(fresh=True)
            if use_raw:
                env, argv = raw(hcl, *NO_CACHE)
                s = b.run(argv, env=env)
            else:
                s = b.run(ours(hcl, *NO_CACHE))
            s.extra.pop("stdout", None)
            return s

        return measure

    try:
        hcl = files(fresh=True)
        a = Side("buildorch bake", shown(ours(hcl, *NO_CACHE)).replace(str(hcl), "$WORKDIR/bake-N.hcl"), cold(use_raw=False))
        r = Side("docker buildx bake", "its --dry-run command", cold(use_raw=True))
        cold_pairs = b.alternate(a, r)
        env, argv = raw(hcl)
        b.run(argv, env=env)  # fully cached from here on
        ac = Side("buildorch bake", shown(ours(hcl)), b.timed(ours(hcl)))
        rc = Side("docker buildx bake", shlex.join([f"{k}={v}" for k, v in env.items()] + argv), b.timed(argv, env=env))
        cached = b.alternate(ac, rc)
    finally:
        for m in metas:
            m.unlink(missing_ok=True)
    return overhead_ratios("overhead.bake", "bake", (a, r, cold_pairs), (ac, rc, cached))
