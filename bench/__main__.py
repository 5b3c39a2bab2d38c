"""``python -m bench [--only NAME] [--runs N] [--warmup N]``: run the comparisons, write the results."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from typing import Any

from bench import report
from bench.harness import Bench, BenchError, NotMeasured

# name -> module; the order of the results table.
COMPARISONS = {
    "overhead": "bench.overhead",
    "cross": "bench.cross",
    "size": "bench.size",
    "incremental": "bench.incremental",
    "cache-import": "bench.cache_import",
    "loop": "bench.loop",
    "startup": "bench.startup",
    "bake": "bench.bake",
    "overhead-bake": "bench.overhead_bake",
}


def measure(name: str, runs: int, warmup: int) -> dict[str, Any]:
    """Run one comparison and return its results entry (measured, not measured, or failed)."""
    mod = importlib.import_module(COMPARISONS[name])
    bench = Bench(runs, warmup)
    entry: dict[str, Any] = {"date": report.now(), "runs": runs, "warmup": warmup, "notes": list(mod.NOTES)}
    loads = [os.getloadavg()[0]]
    t0 = time.monotonic()
    try:
        ratios = mod.run(bench)
        entry.update(status="measured", ratios=[r.summary() for r in ratios])
    except NotMeasured as exc:
        entry.update(status="not measured", reason=str(exc))
    except BenchError as exc:
        entry.update(status="failed", reason=str(exc))
    finally:
        bench.cleanup()
    loads.append(os.getloadavg()[0])
    pairs = [p for r in entry.get("ratios", []) for p in r["pairs"] if "load1" in p]
    loads += [p["load1"] for p in pairs]
    others = max((p.get("other_builds", 0) for p in pairs), default=0)
    entry.update(duration_s=round(time.monotonic() - t0, 1), prunes=bench.prunes)
    entry["load"] = {"min": round(min(loads), 2), "max": round(max(loads), 2), "other_builds_max": others}
    timed = any(r["unit"] == "s" for r in entry.get("ratios", []))
    if timed and (max(loads) >= 1.0 or others):
        builds = f", up to {others} other builds at once" if others else ""
        entry["notes"].append(
            f"Measured on a busy shared machine (load {min(loads):.1f}-{max(loads):.1f}{builds}): absolute times are "
            "inflated, but A and B alternate (and which runs first), so both sides of a pair saw about the same load "
            "and the ratios stay meaningful."
        )
    return entry


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument(
        "--only",
        action="append",
        choices=list(COMPARISONS),
        metavar="NAME",
        help=f"run only this comparison (repeatable): {', '.join(COMPARISONS)}",
    )
    p.add_argument("--runs", type=int, default=5, help="counted A/B pairs per comparison (default 5; start-up runs 4x)")
    p.add_argument("--warmup", type=int, default=1, help="uncounted A/B pairs first (default 1)")
    p.add_argument("--note", action="append", default=[], help="a note to record with this run's comparisons")
    args = p.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        p.error("--runs must be >= 1 and --warmup >= 0")
    data = report.load()
    data["machine"] = report.machine()
    failed = False
    for name in args.only or list(COMPARISONS):
        print(f"{name} ...", file=sys.stderr, flush=True)
        entry = measure(name, args.runs, args.warmup)
        entry["notes"] += args.note
        failed = failed or entry["status"] == "failed"
        print(f"{name}: {entry['status']} in {entry['duration_s']:.0f} s {entry.get('reason', '')}", file=sys.stderr, flush=True)
        # Written after each comparison, so that an interrupted run keeps what it measured; read again
        # first, so that a run of another comparison that ended meanwhile keeps its figures too.
        done = {**report.load().get("comparisons", {}), name: entry}
        data["comparisons"] = {n: done[n] for n in COMPARISONS if n in done}
        data["updated"] = report.now()
        written = report.write(data)
    print(report.markdown(data))
    print("written: " + ", ".join(str(p) for p in written), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
