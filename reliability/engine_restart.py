"""Scenario ``engine-restart``: the Docker engine restarted in the middle of a build.

Never the shared engine: a private containerd + dockerd (:mod:`reliability.private_engine`)
with DOCKER_HOST pointing at it. Each trial builds a fresh context (FROM scratch + COPY of
random files: no base image, nothing cached) with ``buildorch build --progress plain``,
waits for a random line of BuildKit's progress (so the engine goes away while BuildKit
works, not before or after it), then restarts dockerd: SIGTERM and start (a ``systemctl
restart``) on even trials, SIGKILL and start (a crash) on odd ones. Then:

* the interrupted build must end with one ``error:`` line, a documented exit code and no
  traceback, within :data:`BUILD_TIMEOUT` (a hang is a failure);
* the next build of the same context on the restarted engine must succeed.

Budget: about 3 minutes (6 trials of ~15 s on 2 shared cores, plus the engine's start).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from reliability.common import Outcome, ScenarioError, buildorch_argv, run_buildorch, small_context, unique
from reliability.private_engine import PrivateEngine
from reliability.report import Figure

TRIALS = 6
BUILD_TIMEOUT = 90.0  # a build the engine left must end well before this
# Big enough that BuildKit works for a few seconds (context transfer, layers, cache export, unpack).
STEPS, PAYLOAD_KIB = 8, 3072


@dataclass
class Trial:
    how: str  # "SIGTERM" (restart) or "SIGKILL" (crash)
    at_line: int = 0  # the progress line after which the engine went away
    mid_build: bool = False  # the build was still running when the engine went away
    outcome: Outcome | None = None
    error_line: str = ""
    seconds_to_exit: float = 0.0  # from the signal to buildorch's exit
    next_ok: bool = False
    next_error: str = ""
    notes: list[str] = field(default_factory=list)


def _build(ctx: Path, tag: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_buildorch("build", str(ctx), "--tag", tag, "--platform", "linux/amd64", "--progress", "plain",
                         timeout=BUILD_TIMEOUT, env=env, cwd=cwd)  # fmt: skip


def _progress_lines(ctx: Path, tag: str, env: dict[str, str], cwd: Path) -> int:
    """A calibration build: how many progress lines a build of this shape prints (the trials pick one at random)."""
    r = _build(ctx, tag, env, cwd)
    if r.returncode != 0:
        raise ScenarioError(f"a build on the private engine failed (exit {r.returncode}): {r.stderr.strip()[-300:]}")
    return len([ln for ln in r.stderr.splitlines() if ln.startswith("#")])


def _interrupted_build(engine: PrivateEngine, ctx: Path, tag: str, cwd: Path, trial: Trial, lines: int) -> None:
    """Start the build, restart the engine after a random progress line, judge how the build ended."""
    env = {**os.environ, **engine.env}
    proc = subprocess.Popen(buildorch_argv("build", str(ctx), "--tag", tag, "--platform", "linux/amd64",
                                           "--progress", "plain"),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=cwd)  # fmt: skip
    assert proc.stderr is not None
    # Not the very first lines (buildx before BuildKit) nor the last (the build is done).
    trial.at_line = random.randint(max(2, lines // 5), max(3, lines * 4 // 5))
    seen: list[str] = []
    reached = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if line.startswith("#") and sum(1 for s in seen if s.startswith("#")) >= trial.at_line:
                reached.set()
        reached.set()  # the build ended before that line

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reached.wait(BUILD_TIMEOUT)
    time.sleep(random.uniform(0, 0.3))  # not always right on a line's boundary
    trial.mid_build = proc.poll() is None
    t0 = time.monotonic()
    engine.stop_dockerd(signal.SIGTERM if trial.how == "SIGTERM" else signal.SIGKILL)
    try:
        code = proc.wait(BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait()
        trial.notes.append(f"buildorch hung for {BUILD_TIMEOUT:.0f} s after the engine went away (killed)")
    trial.seconds_to_exit = time.monotonic() - t0
    reader.join(10)
    stderr = "".join(seen)
    trial.outcome = Outcome(code, "\n".join(ln for ln in stderr.splitlines() if not ln.startswith("#")))
    trial.error_line = next((ln for ln in stderr.splitlines() if ln.startswith("error:")), "")
    if code == 0 and trial.mid_build:
        trial.notes.append("the build succeeded although the engine went away during it")


def _trial(engine: PrivateEngine, work: Path, i: int, lines: int) -> Trial:
    trial = Trial(how="SIGTERM" if i % 2 == 0 else "SIGKILL")
    ctx = small_context(work / f"ctx-{i}", steps=STEPS, payload_kib=PAYLOAD_KIB)
    tag = f"{unique('bo-rel-engine')}:t{i}"
    _interrupted_build(engine, ctx, tag, work, trial, lines)
    engine.start()
    r = _build(ctx, tag, {**os.environ, **engine.env}, work)
    trial.next_ok = r.returncode == 0
    if not trial.next_ok:
        trial.next_error = next((ln for ln in r.stderr.splitlines() if ln.startswith("error:")), r.stderr.strip()[-200:])
    return trial


def _pct(n: int, d: int) -> float:
    return round(100.0 * n / d, 1) if d else 0.0


def run() -> tuple[list[Figure], list[str]]:
    trials: list[Trial] = []
    with tempfile.TemporaryDirectory(prefix="bo-rel-engine-work-") as tmp, PrivateEngine() as engine:
        work = Path(tmp)
        startup = engine.start()
        lines = _progress_lines(small_context(work / "ctx-calibration", steps=STEPS, payload_kib=PAYLOAD_KIB),
                                f"{unique('bo-rel-engine')}:calibration", {**os.environ, **engine.env}, work)  # fmt: skip
        for i in range(TRIALS):
            trials.append(_trial(engine, work, i, lines))
    mid = [t for t in trials if t.mid_build]
    clean = [t for t in mid if t.outcome and t.outcome.code != 0 and t.outcome.one_line_error and t.outcome.documented
             and not t.outcome.traceback]  # fmt: skip
    nxt = [t for t in trials if t.next_ok]
    per_trial = [{
        "signal": t.how, "at_progress_line": t.at_line, "mid_build": t.mid_build,
        "exit_code": t.outcome.code if t.outcome else None, "error": t.error_line,
        "seconds_to_exit": round(t.seconds_to_exit, 2), "next_build_ok": t.next_ok, "next_error": t.next_error,
        "notes": t.notes,
    } for t in trials]  # fmt: skip
    errors = sorted({t.error_line for t in mid if t.error_line})
    notes = [
        "Private containerd + dockerd (own data-root, exec-root, socket, network namespace; no bridge, no iptables), "
        f"started in {startup:.1f} s; "
        f"{len(trials)} trials alternating SIGTERM+start and SIGKILL+start of dockerd at a random progress line "
        f"(of {lines}) of a FROM scratch build of {STEPS} x {PAYLOAD_KIB} KiB COPY steps.",
        f"Errors seen: {' | '.join(errors) or 'none'}.",
        f"buildorch exited {max((t.seconds_to_exit for t in trials), default=0):.1f} s at most after the engine went away.",
    ]
    figures = [
        Figure("engine_restart_trials", "engine restarts while BuildKit was building", len(mid), 5, ">=", trials=len(trials),
               extra={"trials": per_trial}),
        Figure("engine_restart_one_line_error", "interrupted builds ending in one error line, documented exit, no traceback",
               _pct(len(clean), len(mid)), 100, "==", "%", trials=len(mid),
               notes=[f"{t.how}: exit {t.outcome.code if t.outcome else '?'}: {t.outcome.stderr[-300:] if t.outcome else ''}"
                      for t in mid if t not in clean]),
        Figure("engine_restart_next_build_ok", "next build after the restart succeeds", _pct(len(nxt), len(trials)), 100,
               "==", "%", trials=len(trials),
               notes=[f"{t.how}: {t.next_error}" for t in trials if not t.next_ok]),
    ]  # fmt: skip
    return figures, notes
