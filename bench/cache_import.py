"""Cache import: an empty builder cache importing buildorch's local cache vs a cold build."""

from __future__ import annotations

import json
from collections.abc import Callable

from bench.harness import BUILD_TIME, VERSION, Bench, Ratio, Sample, Side, shown

NOTES = [
    "linux/amd64. Before every run of either side the builder cache is pruned (`docker buildx prune -af`).",
    "A: `buildorch build --cache local:DIR`: imports the cache a first build exported there,",
    "and exports it again, as every user's build does.",
    "B: `--cache none`. Steps cached are read from `buildorch build --json` (steps_cached / steps_total).",
]


def run(b: Bench) -> list[Ratio]:
    common = ["build", "app", "--platform", "linux/amd64", "--version", VERSION, "--build-time", BUILD_TIME, "--json"]
    common += ["-t", b.tag("cache-import")]
    imported = [b.buildorch, *common, "--cache", f"local:{b.workdir / 'cache'}"]
    cold = [b.buildorch, *common, "--cache", "none"]
    b.run(imported)  # fills the local cache

    def with_steps(argv: list[str]) -> Callable[[], Sample]:
        def measure() -> Sample:
            b.prune()
            s = b.run(argv)
            result = json.loads(s.extra.pop("stdout"))
            s.extra["steps_cached"], s.extra["steps_total"] = result["steps_cached"], result["steps_total"]
            s.extra["not_cached"] = [st["name"][:90] for st in result["steps"] if not st.get("cached")]
            return s

        return measure

    a = Side("import local cache", shown(imported), with_steps(imported))
    c = Side("cold build", shown(cold), with_steps(cold))
    pairs = b.alternate(a, c)
    fractions = [p["a_extra"]["steps_cached"] / max(1, p["a_extra"]["steps_total"]) for p in pairs]
    check = {"name": "steps cached", "value": round(min(fractions), 3), "min": 0.9}
    missed = sorted({name for p in pairs for name in p["a_extra"]["not_cached"]})
    notes = [f"Steps the import did not restore (re-run): {'; '.join(missed)}."] if missed else []
    return [
        Ratio(
            "cache-import",
            "fresh builder importing buildorch's local cache / cold",
            a,
            c,
            pairs,
            goal=0.3,
            checks=[check],
            notes=notes,
        )
    ]
