"""``python -m reliability [--only NAME]``: run the fault scenarios, write results/latest.json and .md."""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Callable

from reliability import report
from reliability.common import ScenarioError

# name -> module; each module has ``run() -> tuple[list[Figure], list[str]]`` (figures, notes).
SCENARIOS: dict[str, str] = {
    "build-kills": "build_kills",  # SIGKILL/SIGINT during builds with a local cache export
    "concurrent-builds": "concurrent",  # four builds of one target and tag at once, one cache directory
    "release-kills": "release_kills",  # SIGKILL/SIGINT during release: tags all old or all new
    "registry-faults": "registry_faults",  # 5xx bursts, resets, slow answers, a full disk, through a proxy
    "engine-restart": "engine_restart",  # the Docker engine restarted in the middle of a build
    "app-load": "app_load",  # the demo app under wrk while it receives SIGTERM
    "hostile-inputs": "hostile",  # generated bad command lines: one line, a documented exit, no traceback
}


def _scenario(name: str) -> Callable[[], tuple[list[report.Figure], list[str]]]:
    module = importlib.import_module(f"reliability.{SCENARIOS[name]}")
    return module.run  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reliability", description=__doc__)
    p.add_argument("--only", action="append", choices=list(SCENARIOS), metavar="NAME",
                   help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}")  # fmt: skip
    args = p.parse_args(argv)
    data = report.load()
    for name in args.only or list(SCENARIOS):
        print(f"[reliability] {name} ...", file=sys.stderr, flush=True)
        start = time.monotonic()
        try:
            figures, notes = _scenario(name)()
        except ScenarioError as exc:
            report.record_failure(data, name, str(exc), time.monotonic() - start)
            print(f"[reliability] {name}: could not run: {exc}", file=sys.stderr)
            continue
        report.record(data, name, figures, time.monotonic() - start, notes)
        for f in figures:
            print(f"[reliability]   {f.title}: {f.value:g}{f.unit} (goal {f.op} {f.goal:g}) "
                  f"{'met' if f.goal_met else 'MISSED'}", file=sys.stderr)  # fmt: skip
    for path in report.write(data):
        print(f"[reliability] wrote {path}", file=sys.stderr)
    if not report.all_met(data):
        print("[reliability] some goals were missed (see results/latest.md):", file=sys.stderr)
        for line in report.missed(data):  # again at the end: a CI log often keeps only its last lines
            print(f"[reliability]   MISSED {line}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
