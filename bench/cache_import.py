"""Cache import: an empty builder cache importing buildorch's local cache vs a cold build."""

from __future__ import annotations

import json

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Sample, Side, shown

NOTES = [
    "linux/amd64, on a copy of app/ whose cache mounts have their own id (no other build shares its cache records).",
    "A: `docker buildx prune -af`, then `buildorch build --cache local:DIR`: imports the cache a first build exported",
    "there, and exports it again, as every user's build does (`--cache-mode auto`: mode=min outside CI, max in it).",
    "B: cold, a fresh copy of app/ (cache mounts of its own), `--no-cache --cache none`.",
    "Steps cached are read from `buildorch build --json` (steps_cached / steps_total).",
]


def run(b: Bench) -> list[Ratio]:
    common = ["--platform", "linux/amd64", "--version", VERSION, "--build-time", BUILD_TIME, "--json"]
    common += ["-t", b.tag("cache-import")]
    imported = [b.buildorch, "build", str(b.app_copy()), *common, "--cache", f"local:{b.workdir / 'cache'}"]
    b.run(imported)  # fills the local cache

    def result(argv: list[str]) -> Sample:
        s = b.run(argv)
        r = json.loads(s.extra.pop("stdout"))
        s.extra["steps_cached"], s.extra["steps_total"] = r["steps_cached"], r["steps_total"]
        s.extra["not_cached"] = [st["name"][:90] for st in r["steps"] if not st.get("cached")]
        return s

    def fresh_import() -> Sample:
        b.prune()
        return result(imported)

    def cold() -> Sample:
        return result([b.buildorch, "build", str(b.app_copy()), *common, "--cache", "none", "--no-cache"])

    a = Side("import local cache", "docker buildx prune -af; " + shown(imported), fresh_import)
    c = Side("cold build", shown([b.buildorch, "build", "$WORKDIR/app-N", *common, "--cache", "none", "--no-cache"]), cold)
    pairs = b.alternate(a, c)
    fractions = [p["a_extra"]["steps_cached"] / max(1, p["a_extra"]["steps_total"]) for p in pairs]
    check = {"name": "steps cached", "value": round(min(fractions), 3), "min": 0.9}
    missed = sorted({name for p in pairs for name in p["a_extra"]["not_cached"]})
    notes = [f"Steps the import did not restore (re-run): {'; '.join(missed)}."] if missed else []
    title = "fresh builder importing buildorch's local cache / cold"
    return [Ratio("cache-import", title, a, c, pairs, goal=0.3, checks=[check], notes=notes)]
