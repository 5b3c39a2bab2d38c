"""What every comparison shares: running and timing commands, A/B alternation, statistics.

A comparison measures A against its natural alternative B in the same run,
interleaved (A B, B A, A B ...: the side that runs first alternates), and reports the per-pair ratio A/B. On a shared, noisy
machine both sides of a pair see nearly the same load, so the ratio stays
meaningful where absolute seconds do not.
"""

from __future__ import annotations

import itertools
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VERSION = "0.0.0-bench"
BUILD_TIME = "2026-01-01T00:00:00Z"


class BenchError(Exception):
    """A command a comparison needs failed: the comparison is recorded as failed, with this message."""


class NotMeasured(Exception):
    """A comparison cannot be measured here (the reason goes into the results)."""


@dataclass
class Sample:
    """One measured figure (wall-clock seconds, or bytes), plus anything the run reported (e.g. steps cached)."""

    value: float
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Side:
    """One side of a comparison: what it is, the command shown in the results, and how to measure it once."""

    label: str
    command: str
    measure: Callable[[], Sample] | None = None  # None: measured once, outside :meth:`Bench.alternate`


@dataclass
class Ratio:
    """A/B over interleaved pairs, with its goal.

    ``goal_on`` says what the goal bounds: ``"ratio"`` (median A/B <= goal) or
    ``"difference"`` (median A-B in seconds <= goal, for start-up times).
    """

    name: str
    title: str
    a: Side
    b: Side
    pairs: list[dict[str, Any]]
    unit: str = "s"
    goal: float | None = None
    goal_on: str = "ratio"
    checks: list[dict[str, Any]] = field(default_factory=list)  # extra goals, e.g. steps cached
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        ratios = [p["ratio"] for p in self.pairs]
        diffs = [p["a"] - p["b"] for p in self.pairs]
        out: dict[str, Any] = {
            "name": self.name,
            "title": self.title,
            "a": {"label": self.a.label, "command": self.a.command, "median": _median([p["a"] for p in self.pairs])},
            "b": {"label": self.b.label, "command": self.b.command, "median": _median([p["b"] for p in self.pairs])},
            "unit": self.unit,
            "pairs": self.pairs,
            "ratio": spread(ratios),
            "difference": spread(diffs),
            "goal": None,
            "met": None,
            "notes": self.notes,
        }
        if self.goal is not None:
            value = out[self.goal_on]["median"]
            out["goal"] = {"on": self.goal_on, "max": self.goal}
            out["met"] = value <= self.goal
        checks = []
        for c in self.checks:
            ok = c["value"] >= c["min"] if "min" in c else c["value"] <= c["max"]
            checks.append({**c, "met": ok})
        out["checks"] = checks
        if checks and out["met"] is not None:
            out["met"] = out["met"] and all(c["met"] for c in checks)
        return out


def _median(xs: Sequence[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def spread(xs: Sequence[float]) -> dict[str, float]:
    """Median, min, max and interquartile range (inclusive quartiles) of ``xs``."""
    if not xs:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "q1": float("nan"), "q3": float("nan")}
    q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive") if len(xs) > 1 else (xs[0], xs[0], xs[0])
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "q1": q1, "q3": q3}


# -- the machine's state while measuring ---------------------------------------


def other_builds() -> int:
    """How many ``docker buildx build|bake`` plugin processes run right now (ours are not running when asked)."""
    n = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        # run by the docker CLI: docker-buildx buildx build ...; by buildorch (engine/docker_cli.argv): docker-buildx build ...
        words = argv[2:3] if argv[1:2] == [b"buildx"] else argv[1:2]
        if argv and argv[0].endswith(b"docker-buildx") and words and words[0] in (b"build", b"bake"):
            n += 1
    return n


def conditions() -> dict[str, Any]:
    """The load average and the number of other builds, sampled before a timed run."""
    return {"load1": round(os.getloadavg()[0], 2), "other_builds": other_builds()}


# -- running -------------------------------------------------------------------


class Bench:
    """Settings of one benchmark run and the helpers its comparisons use.

    Every image a comparison creates is tagged with a unique name and removed at
    the end; temporary files live under :attr:`workdir`.
    """

    def __init__(self, runs: int, warmup: int, log: Callable[[str], None] | None = None) -> None:
        self.runs = runs
        self.warmup = warmup
        self.uid = uuid.uuid4().hex[:8]
        self.bin = Path(sys.executable).parent  # the venv's bin: its python and buildorch
        self.python = str(self.bin / "python")
        self.buildorch = str(self.bin / "buildorch")
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-{self.uid}-"))
        self.images: list[str] = []
        self.prunes = 0
        self._copies = itertools.count()
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))

    def tag(self, what: str) -> str:
        """A unique image tag for this run, removed by :meth:`cleanup`."""
        ref = f"bench-{what}-{self.uid}:1"
        self.images.append(ref)
        return ref

    def cleanup(self) -> None:
        if self.images:
            subprocess.run(["docker", "image", "rm", "-f", *self.images], capture_output=True, check=False)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def run(self, argv: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Sample:
        """Run ``argv`` once and time it; stdout is kept (JSON results), stderr only on failure."""
        with tempfile.TemporaryFile() as err:
            t0 = time.perf_counter()
            proc = subprocess.run(
                list(argv), cwd=cwd, stdout=subprocess.PIPE, stderr=err, env={**os.environ, **(env or {})}, check=False
            )
            elapsed = time.perf_counter() - t0
            err.seek(0)
            log = err.read().decode(errors="replace")
        if proc.returncode != 0:
            tail = [ln for ln in log.splitlines() if ln.strip()][-8:]
            raise BenchError(f"{shlex.join(argv)} exited {proc.returncode}: " + " | ".join(tail))
        extra: dict[str, Any] = {"stdout": proc.stdout.decode(errors="replace")}
        extra.update(build_facts(log))
        return Sample(elapsed, extra)

    def timed(self, argv: Sequence[str], *, before: Callable[[], None] | None = None, **kw: Any) -> Callable[[], Sample]:
        """A measure function: run ``before`` (untimed, e.g. a prune), then time ``argv``."""

        def measure() -> Sample:
            if before is not None:
                before()
            s = self.run(argv, **kw)
            s.extra.pop("stdout", None)
            return s

        return measure

    def app_copy(self, dockerfile: str | None = None, *, fresh: bool = True) -> Path:
        """A copy of app/ (with ``dockerfile`` as its Dockerfile), whose cache mounts no build has used yet.

        With ``--no-cache`` a build of it is cold whatever else the shared engine runs: a prune
        cannot promise that, as it keeps what running builds hold, and every build of app/Dockerfile
        shares its cache mounts (their id defaults to the target path).
        """
        n = next(self._copies)
        ctx = self.workdir / f"app-{n}"
        shutil.copytree(ROOT / "app", ctx)
        text = (ROOT / "app" / "Dockerfile").read_text() if dockerfile is None else dockerfile
        (ctx / "Dockerfile").write_text(own_cache_mounts(text, f"bench-{self.uid}-{n}") if fresh else text)
        return ctx

    def dry_run(self, argv: Sequence[str]) -> list[str]:
        """The raw ``docker buildx build`` argv that ``buildorch build ARGS --dry-run`` prints (its first line)."""
        return shlex.split(self.run([*argv, "--dry-run"]).extra["stdout"].splitlines()[0])

    def prune(self) -> None:
        """Empty the builder's cache, cache mounts included (``--no-cache`` keeps those)."""
        # Shared builder: this slows every other user's next build. Used only for cold runs.
        self.run(["docker", "buildx", "prune", "-af"])
        self.prunes += 1

    def alternate(self, a: Side, b: Side, *, runs: int | None = None, warmup: int | None = None) -> list[dict[str, Any]]:
        """Measure A, B, B, A, A, B ... ``warmup`` uncounted pairs, then ``runs`` counted ones; one record per pair.

        The side that runs first changes every pair: the second of two builds can meet what the
        first left behind (BuildKit's and containerd's clean-up, a warmer page cache). With A
        always first, cold builds of app/ came out 0.93 (buildorch faster than the command it
        runs), an order effect, not orchestration.
        """
        runs = self.runs if runs is None else runs
        warmup = self.warmup if warmup is None else warmup
        pairs: list[dict[str, Any]] = []
        for i in range(warmup + runs):
            cond = conditions()
            if a.measure is None or b.measure is None:
                raise BenchError(f"{a.label} / {b.label}: nothing to measure")
            if i % 2 == 0:
                sa = a.measure()
                sb = b.measure()
            else:
                sb = b.measure()
                sa = a.measure()
            counted = i >= warmup
            self.log(
                f"  {'run' if counted else 'warm-up'} {i - warmup + 1 if counted else i + 1}: "
                f"{a.label} {sa.value:.3f}s, {b.label} {sb.value:.3f}s, ratio {sa.value / sb.value:.3f} "
                f"(load {cond['load1']}, other builds {cond['other_builds']})"
            )
            if counted:
                rec: dict[str, Any] = {"a": round(sa.value, 4), "b": round(sb.value, 4), "first": "a" if i % 2 == 0 else "b"}
                rec["ratio"] = round(sa.value / sb.value, 4)
                rec.update(cond)
                if sa.extra:
                    rec["a_extra"] = sa.extra
                if sb.extra:
                    rec["b_extra"] = sb.extra
                pairs.append(rec)
        return pairs


def shown(argv: Sequence[str]) -> str:
    """A command as the results show it: the venv's paths shortened, the temp dir named WORKDIR."""
    text = shlex.join(str(a) for a in argv)
    text = text.replace(str(Path(sys.executable).parent) + "/", "")
    return re.sub(r"/tmp/bench-[0-9a-f]{8}-[^/ ]+", "$WORKDIR", text)


_PLAIN = re.compile(r"^\[\s*[\d.]+s\] (?P<state>DONE|CACHED)\s+(?P<name>.*?)(?: (?P<secs>[\d.]+)s)?$")


def build_facts(log: str, n: int = 3) -> dict[str, Any]:
    """What a build's progress (rawjson, or buildorch's plain lines) says: its slowest vertexes and its cached steps.

    Where a build's time went, per run, without re-running it (BuildKit's own per-step timings),
    and whether a "cold" run really was: ``{"slowest": [[name, seconds], ...], "cached": "k/n"}``.
    """
    from buildorch.builds.progress import ProgressTracker, Vertex

    times: dict[str, float] = {}
    steps: dict[str, bool] = {}  # step name -> cached
    if '"vertexes"' in log:
        tracker = ProgressTracker(started_at=0)  # read after the fact: no vertex counts as replayed
        for line in log.splitlines():
            tracker.feed(line + "\n")
        tracker.finish()
        for v in tracker.vertexes.values():
            if v.duration is not None and not v.cached:
                times[v.name] = max(times.get(v.name, 0.0), v.duration)
            if v.is_step:
                steps[v.name] = steps.get(v.name, True) and v.state == "cached"
    else:
        for line in log.splitlines():
            if m := _PLAIN.match(line):
                if m["secs"]:
                    times[m["name"]] = max(times.get(m["name"], 0.0), float(m["secs"]))
                if Vertex(digest="", name=m["name"]).is_step:
                    steps[m["name"]] = steps.get(m["name"], True) and m["state"] == "CACHED"
    if not times and not steps:
        return {}
    top = sorted(times.items(), key=lambda kv: -kv[1])[:n]
    return {"slowest": [[name[:90], round(secs, 2)] for name, secs in top], "cached": f"{sum(steps.values())}/{len(steps)}"}


# -- Dockerfile variants -------------------------------------------------------


def emulated(dockerfile: str) -> str:
    """The same Dockerfile with its builder stage run on the target platform (QEMU), as before buildorch."""
    out = dockerfile.replace("FROM --platform=$BUILDPLATFORM ", "FROM ")
    if out == dockerfile:
        raise BenchError("app/Dockerfile has no 'FROM --platform=$BUILDPLATFORM': the emulated variant would be the same")
    return out


def own_cache_mounts(dockerfile: str, prefix: str) -> str:
    """Give every ``--mount=type=cache,target=X`` the id ``PREFIX`` + X: cache mounts no other build shares."""
    return re.sub(r"--mount=type=cache,target=(\S+)", rf"--mount=type=cache,id={prefix}\1,target=\1", dockerfile)


def without_cache_mounts(dockerfile: str) -> str:
    """The same Dockerfile with every ``RUN --mount=type=cache,...`` option removed."""
    out = re.sub(r"--mount=type=cache,\S+\s*\\\n\s*", "", dockerfile)
    if out == dockerfile or "type=cache" in out:
        raise BenchError("could not remove the cache mounts from app/Dockerfile")
    return out
