"""``concurrent-builds``: four ``buildorch build`` of one target and tag at once, one cache directory.

The case of issue #19: four builds of one tag at once failed half the time with
``image "docker.io/library/app:4.1.0": already exists`` (BuildKit's image exporter names
an image with Update-then-Create, and two exporters race), and the ones that succeeded
counted steps twice. Each round gives the context new content (so the four really
build, not replay a cached result; its RUN steps make them finish together), starts four builds on the engine's default
(docker driver, containerd image store) builder with ``--load`` and one ``--cache
local:DIR``, and checks: every build succeeded, each reported ``steps_total`` equal
to the Dockerfile's steps, and the cache is complete after the round. Budget: about
2 minutes (5 rounds of about 20 s on 2 busy cores).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from reliability.build_kills import cache_complete, cache_leftovers
from reliability.common import ScenarioError, buildorch_argv, docker, unique
from reliability.report import Figure

ROUNDS = 5
BUILDS = 4
STEPS = 7  # the context's Dockerfile steps (4 COPY, 3 RUN): what steps_total must say
PAYLOAD_KIB = 256
BASE = "golang:1.26-bookworm"  # the stack's local stand-in: FROM resolves offline


def racing_context(root: Path) -> Path:
    """New content, and RUN steps the four builds share: BuildKit merges them, so the four finish, and name the
    image, at the same moment (the race of #19; a FROM scratch + COPY context rarely shows it). ``RUN`` needs no
    network (``--network none``)."""
    root.mkdir(parents=True)
    lines = [f"FROM {BASE}"]
    for i in range(4):
        (root / f"f{i}.bin").write_bytes(os.urandom(PAYLOAD_KIB * 1024))
        lines.append(f"COPY f{i}.bin /data/")
        if i < 3:
            lines.append(f"RUN {'sleep 1 && ' if i == 0 else ''}wc -c /data/f{i}.bin > /data/n{i}")
    (root / "Dockerfile").write_text("\n".join(lines) + "\n")
    return root
BUDGET_S = 170.0  # no new round after this; the rounds figure says how many ran


def run() -> tuple[list[Figure], list[str]]:
    if not docker("image", "ls", "-q", BASE).strip():
        raise ScenarioError(f"no local {BASE} image (scripts/stack up builds the stand-in)")
    name = unique("r1-conc")
    work = Path(tempfile.mkdtemp(prefix="r1-conc-"))
    live = work / "cache" / "ctx"
    tag = f"{name}:4.1.0"
    env = {**os.environ, "BUILDORCH_HISTORY_DIR": str(work / "history"), "TMPDIR": str(work)}
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    start = time.monotonic()
    try:
        for r in range(ROUNDS):
            if time.monotonic() - start > BUDGET_S:
                notes.append(f"budget of {BUDGET_S:.0f} s reached after {r} rounds")
                break
            shutil.rmtree(work / "ctx", ignore_errors=True)
            ctx = racing_context(work / "ctx")
            argv = buildorch_argv("build", str(ctx), "-t", tag, "--cache", f"local:{live}", "--progress", "none", "--json",
                                  "--network", "none")  # fmt: skip
            t0 = time.monotonic()
            procs = [subprocess.Popen(argv, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(BUILDS)]  # fmt: skip
            outs = [p.communicate(timeout=300) for p in procs]
            took = time.monotonic() - t0
            for p, (out, err) in zip(procs, outs, strict=True):
                res = json.loads(out) if p.returncode == 0 and out.strip() else {}
                rows.append({
                    "round": r, "ok": p.returncode == 0, "steps_total": res.get("steps_total"),
                    "steps_cached": res.get("steps_cached"), "error": err.strip().splitlines()[-2:] if p.returncode else [],
                    "waited": "waiting for another build" in err,
                })  # fmt: skip
            rows[-1]["round_complete"] = cache_complete(live)
            rows[-1]["round_leftovers"] = cache_leftovers(live)
            rows[-1]["round_s"] = round(took, 1)
    finally:
        docker("image", "rm", "-f", tag, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return _figures(rows), notes


def _figures(rows: list[dict[str, Any]]) -> list[Figure]:
    n = len(rows)
    rounds = [r for r in rows if "round_complete" in r]
    ok = sum(r["ok"] for r in rows)
    exact = sum(r["steps_total"] == STEPS for r in rows)
    complete = sum(r["round_complete"] for r in rounds)
    failures = sorted({" / ".join(r["error"]) for r in rows if not r["ok"]})
    counts = sorted({r["steps_total"] for r in rows if r["ok"]})
    waited = sum(r["waited"] for r in rows)
    left = [x for r in rounds for x in r["round_leftovers"]]
    # fmt: off
    return [
        Figure("rounds", f"rounds of {BUILDS} builds at once", len(rounds), 5, ">=", trials=len(rounds)),
        Figure("succeeded", f"builds succeeded ({BUILDS} at once, one tag, one cache)", 100.0 * ok / max(1, n), 100, "==",
               "%", trials=n, notes=[f"failures: {'; '.join(failures)[:400]}"] if failures else
               [f"{waited} of {n} builds waited for another build of the tag (one at a time per image name); rounds "
                f"took {', '.join(str(r['round_s']) for r in rounds)} s."]),
        Figure("steps_exact", f"step counts exact (steps_total = the Dockerfile's {STEPS})", 100.0 * exact / max(1, n),
               100, "==", "%", trials=n, extra={"steps_total_seen": counts}),
        Figure("cache_complete", "cache complete after each round", 100.0 * complete / max(1, len(rounds)), 100, "==",
               "%", trials=len(rounds), notes=[f"left beside the cache: {', '.join(left)}"] if left else []),
    ]
    # fmt: on


if __name__ == "__main__":
    figs, ns = run()
    for f in figs:
        print(f.title, f.value, f.goal_met, f.notes, f.extra)
    print(ns)
