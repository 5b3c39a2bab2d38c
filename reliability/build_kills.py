"""``build-kills``: SIGKILL and SIGINT at random moments of a build that exports a local cache.

Each trial: a ``buildorch build --no-cache`` (every step runs and the cache is exported,
so a kill can land in the solve, the export, the image load or the cache swap) is
killed at a random moment: SIGKILL to buildorch alone (``kill -9``, the OOM killer), or
SIGINT to its process group (Ctrl-C on a terminal). Then:

* the live cache is the previous one or the new one, complete (``index.json`` and every
  blob it reaches present);
* no ``buildx`` naming the cache directory outlives the kill;
* after the builder's own cache is pruned (so nothing but the local cache can supply a
  step), the next build imports the cache: the share of its steps cached is measured;
* after that next build: no staging directory, link or old generation beside the cache,
  nothing left in the private TMPDIR the runs used (metadata files, run directories),
  no container but the builder's own.

The builds run on a throwaway ``docker-container`` builder (``r1-kills-*``, from the
stack's local ``moby/buildkit:buildx-stable-1``): its cache can be pruned between
trials without touching the shared engine's. Budget: about 5 minutes (32 kills of about 9 s each on 2
busy cores; no trial starts after 7 minutes).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from buildorch.builds.cache_store import current, generations, local_cache_ok
from reliability.common import ScenarioError, as_on_a_terminal, buildorch_argv, docker, run_buildorch, small_context, unique
from reliability.report import Figure

TRIALS = 32  # counted kills; builds that end before their moment are tried again
STEPS = 6
PAYLOAD_KIB = 3072
BUDGET_S = 420.0  # stop starting trials after this (the figures say how many ran)


def cache_complete(live: Path) -> bool:
    """``live`` names a cache BuildKit can import whole: a valid index, and every manifest, config and layer it names.

    Followed as OCI descriptors (index -> manifests -> config and layers); the digests
    inside BuildKit's cache config are cache keys, not blobs.
    """
    gen = current(live)
    if gen is None or not local_cache_ok(gen):
        return False
    blobs = gen / "blobs" / "sha256"

    def descriptors(doc: dict[str, Any]) -> list[dict[str, Any]]:
        found = list(doc.get("manifests") or []) + list(doc.get("layers") or [])
        return found + ([doc["config"]] if isinstance(doc.get("config"), dict) else [])

    todo = descriptors(json.loads((gen / "index.json").read_text()))
    while todo:
        desc = todo.pop()
        blob = blobs / str(desc.get("digest", ":")).split(":", 1)[1]
        if not blob.is_file() or blob.stat().st_size != desc.get("size", blob.stat().st_size):
            return False
        if "manifest" in str(desc.get("mediaType", "")) or "index" in str(desc.get("mediaType", "")):
            todo += descriptors(json.loads(blob.read_text()))
    return True


def cache_leftovers(live: Path) -> list[str]:
    """What a finished build should not leave beside ``live``: staging, links, generations it does not point at."""
    keep = current(live)
    found = [p.name for p in live.parent.glob(f"{live.name}.new-*")]
    found += [p.name for p in live.parent.glob(f".{live.name}.link-*")]
    found += [p.name for p in live.parent.glob(f"{live.name}.corrupt-*")]
    found += [g.name for g in generations(live) if keep is None or g.resolve() != keep.resolve()]
    return found


def buildx_naming(path: Path) -> list[int]:
    """Pids of live processes whose command line names ``path`` (an orphaned ``buildx build``)."""
    needle = str(path).encode()
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in cmd and state != "Z":
            pids.append(int(proc.name))
    return pids


class Builder:
    """A throwaway docker-container builder, removed (its container and state volume too) at the end.

    Its definition lives in a private ``BUILDX_CONFIG``: other sessions on this machine
    switch and remove builders in the shared ``~/.docker/buildx`` while this runs.
    """

    def __init__(self, name: str, config: Path) -> None:
        self.name, self.env = name, {"BUILDX_CONFIG": str(config)}

    def dx(self, *args: str, check: bool = True, timeout: float = 300) -> str:
        r = subprocess.run(["docker", "buildx", *args], capture_output=True, text=True, timeout=timeout, check=False,
                           env={**os.environ, **self.env})  # fmt: skip
        if check and r.returncode != 0:
            raise ScenarioError(f"docker buildx {' '.join(args[:2])} failed: {r.stderr.strip()[-300:]}")
        return r.stdout

    def __enter__(self) -> Builder:
        if not docker("image", "ls", "-q", "moby/buildkit:buildx-stable-1").strip():
            raise ScenarioError("no local moby/buildkit:buildx-stable-1 image (scripts/stack up builds it)")
        try:
            self.dx("create", "--name", self.name, "--driver", "docker-container", "--bootstrap", timeout=180)
        except BaseException:
            self.__exit__()
            raise
        return self

    def prune(self) -> None:
        self.dx("prune", "--builder", self.name, "--all", "--force", timeout=120)

    def container(self) -> str:
        return f"buildx_buildkit_{self.name}0"

    def __exit__(self, *exc: object) -> None:
        self.dx("rm", "--force", self.name, check=False, timeout=120)
        docker("rm", "-f", self.container(), check=False)
        docker("volume", "rm", "-f", f"{self.container()}_state", check=False)


def _containers(prefix: str) -> list[str]:
    return [n for n in docker("ps", "-a", "--format", "{{.Names}}").split() if prefix in n]


def run() -> tuple[list[Figure], list[str]]:
    name = unique("r1-kills")
    work = Path(tempfile.mkdtemp(prefix="r1-kills-"))
    tmp = work / "tmp"  # the runs' TMPDIR: whatever they leave there is theirs
    tmp.mkdir()
    ctx = small_context(work / "ctx", steps=STEPS, payload_kib=PAYLOAD_KIB)
    live = work / "cache" / "ctx"
    tag = f"{name}:1"
    builder = Builder(name, work / "buildx")
    env = {"TMPDIR": str(tmp), "BUILDORCH_HISTORY_DIR": str(work / "history"), "BUILDORCH_STATE_DIR": str(work / "state"),
           **builder.env}  # fmt: skip
    common = ["build", str(ctx), "-t", tag, "--builder", name, "--cache", f"local:{live}", "--progress", "none"]
    seed = int(os.environ.get("RELIABILITY_SEED", "19"))
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    start = time.monotonic()
    try:
        with builder:
            first = run_buildorch(*common, "--json", env=env, cwd=work, timeout=300)
            if first.returncode != 0:
                raise ScenarioError(f"the first build failed: {first.stderr.strip()[-300:]}")
            spans = []
            for _ in range(2):  # the shorter of two: a kill moment past the end is no trial
                t0 = time.monotonic()
                cal = run_buildorch(*common, "--no-cache", env=env, cwd=work, timeout=300)
                spans.append(time.monotonic() - t0)
                if cal.returncode != 0:
                    raise ScenarioError(f"the calibration build failed: {cal.stderr.strip()[-300:]}")
            span = min(spans)
            # Before buildorch's first line runs, a SIGINT is the interpreter's (a KeyboardInterrupt traceback from
            # its start-up): kill moments begin once `buildorch --version` would have answered.
            starts = []
            for _ in range(3):
                t0 = time.monotonic()
                run_buildorch("--version", env=env, cwd=work, timeout=60)
                starts.append(time.monotonic() - t0)
            startup = min(starts)
            notes.append(f"a --no-cache build with its cache export took {span:.1f} s here (load average "
                         f"{os.getloadavg()[0]:.1f}); kills land uniformly in [{startup:.2f} s, {0.95 * span:.1f} s] after the "
                         f"start (seed {seed}, RELIABILITY_SEED); {startup:.2f} s is the interpreter's start-up (`buildorch "
                         "--version`); a build that ended before its moment is tried again.")
            attempts = 0
            while sum(not r["finished_first"] for r in rows) < TRIALS and attempts < 2 * TRIALS:
                if time.monotonic() - start > BUDGET_S:
                    notes.append(f"budget of {BUDGET_S:.0f} s reached after {attempts} attempts")
                    break
                rows.append(_trial(attempts, rng, (startup, span), common, env, work, live, builder))
                attempts += 1
    finally:
        docker("image", "rm", "-f", tag, check=False)
        shutil.rmtree(work, ignore_errors=True)
    return _figures(rows), notes


def _trial(i: int, rng: random.Random, window: tuple[float, float], common: list[str], env: dict[str, str], work: Path,
           live: Path, builder: Builder) -> dict[str, Any]:  # fmt: skip
    kind = rng.choice(["SIGKILL", "SIGINT"])
    before = current(live)
    delay = rng.uniform(window[0], 0.95 * window[1])
    proc = subprocess.Popen(buildorch_argv(*common, "--no-cache"), cwd=work, env={**os.environ, **env},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=as_on_a_terminal)  # fmt: skip
    time.sleep(delay)
    finished_first = proc.poll() is not None
    staged = any(live.parent.glob(f"{live.name}.new-*"))  # BuildKit was solving or exporting into the staging
    if not finished_first:
        if kind == "SIGKILL":
            os.kill(proc.pid, signal.SIGKILL)  # buildorch alone, as kill -9 or the OOM killer does
        else:
            os.killpg(proc.pid, signal.SIGINT)  # the whole group, as Ctrl-C on a terminal does
    try:
        _, err = proc.communicate(timeout=60)
        hung = False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        hung = True
    late = not finished_first and too_late(kind, proc.returncode, err or "")
    finished_first = finished_first or late
    after = current(live)
    complete = cache_complete(live)
    deadline = time.monotonic() + 10
    while buildx_naming(live.parent) and time.monotonic() < deadline:
        time.sleep(0.1)
    orphans = buildx_naming(live.parent)
    builder.prune()  # only the local cache can supply a step now
    nxt = run_buildorch(*common, "--json", env=env, cwd=work, timeout=300)
    cached = 0.0
    if nxt.returncode == 0:
        res = json.loads(nxt.stdout)
        cached = 100.0 * res["steps_cached"] / max(1, res["steps_total"])
    left = cache_leftovers(live) + [f"TMPDIR/{p.name}" for p in (work / "tmp").iterdir()]
    left += [f"process {p}" for p in orphans]
    left += [f"container {c}" for c in _containers(builder.name) if c != builder.container()]
    return {
        "kind": kind, "delay": round(delay, 2), "staged": staged, "finished_first": finished_first, "late": late,
        "code": proc.returncode,
        "hung": hung, "traceback": "Traceback (most recent call last)" in (err or ""),
        "err_tail": (err or "").strip().splitlines()[-3:],
        "new_cache": after is not None and before is not None and after.resolve() != before.resolve(),
        "complete": complete, "next_ok": nxt.returncode == 0, "next_cached": cached, "leftovers": left,
        "next_err": nxt.stderr.strip()[-200:] if nxt.returncode else "",
    }  # fmt: skip


def too_late(kind: str, code: int | None, err: str) -> bool:
    """A SIGINT that came once the build's outcome was decided: the build finished, exit 0, no traceback.

    buildorch ignores a Ctrl-C once buildx is done and the result written (cli/entry._decided),
    so the finished build exits 0 with its output whole: like a build that ended before its
    moment, not a trial (tried again). A buildorch that ignored Ctrl-C in the middle of a build
    would end here every time, and miss the trial count (attempts stop at 2 x TRIALS).
    """
    return kind == "SIGINT" and code == 0 and "Traceback (most recent call last)" not in err


def _figures(rows: list[dict[str, Any]]) -> list[Figure]:
    n = len(rows)
    killed = [r for r in rows if not r["finished_first"]]
    kinds = {k: sum(1 for r in killed if r["kind"] == k) for k in ("SIGKILL", "SIGINT")}
    complete = 100.0 * sum(r["complete"] for r in rows) / max(1, n)
    cached_min = min((r["next_cached"] for r in rows), default=0.0)
    leftovers = sum(len(r["leftovers"]) for r in rows)
    # SIGINT: exit 130, or death by SIGINT (-2, which a shell shows as 130: CPython re-raises the signal at exit
    # when a KeyboardInterrupt went through an exec(), as dataclasses' do, even if it was caught), after "interrupted".
    bad_ends = [r for r in killed if r["hung"] or r["traceback"] or (r["kind"] == "SIGINT" and (
        r["code"] not in (130, -signal.SIGINT) or r["err_tail"][-1:] != ["interrupted"]))]
    new = sum(r["new_cache"] for r in killed)
    late = sum(r["late"] for r in rows)
    staged = sum(r["staged"] and not r["new_cache"] for r in killed)
    details = [f"{r['kind']} at {r['delay']} s: {', '.join(r['leftovers'])}" for r in rows if r["leftovers"]]
    details += [f"{r['kind']} at {r['delay']} s: next build failed: {r['next_err']}" for r in rows if not r["next_ok"]]
    # fmt: off
    return [
        Figure("trials", "kill trials (SIGKILL and SIGINT at random moments)", len(killed), 30, ">=", trials=n,
               notes=[f"{kinds['SIGKILL']} SIGKILL (buildorch alone), {kinds['SIGINT']} SIGINT (its process group); "
                      f"{n - len(killed)} builds ended before their kill moment and are not counted ({late} of them "
                      "ended with exit 0 after a SIGINT that came once their outcome was decided). Where the kills "
                      f"landed: {len(killed) - staged - new} before the cache staging (start-up, planning), {staged} "
                      f"during the solve or the export (staging directory present), {new} after the new cache was "
                      f"swapped in (the image description, the record); else the previous cache stayed."],
               extra={"kinds": kinds}),
        Figure("complete", "caches complete after a kill", complete, 100, "==", "%", trials=n),
        Figure("next_cached", "next build's steps cached from the local cache (min over trials)", cached_min, 90, ">=",
               "%", trials=n, notes=["the builder's cache is pruned first: only the imported local cache can supply a step."]),
        Figure("leftovers", "leftovers (staging, generations, temp files, processes, containers)", leftovers, 0, "==",
               trials=n, notes=details[:10]),
        Figure("clean_ends", "killed builds ending cleanly (SIGINT exit 130, no traceback, no hang)",
               100.0 * (len(killed) - len(bad_ends)) / max(1, len(killed)), 100, "==", "%", trials=len(killed),
               notes=[f"{r['kind']} at {r['delay']} s: exit {r['code']}{', hung' if r['hung'] else ''}: "
                      f"{' / '.join(r['err_tail'])[-300:]}" for r in bad_ends][:5]),
    ]
    # fmt: on


if __name__ == "__main__":  # python -m reliability.build_kills: one run, figures on stdout
    figs, ns = run()
    for f in figs:
        print(f.title, f.value, f.goal_met, f.notes)
    print(ns)
