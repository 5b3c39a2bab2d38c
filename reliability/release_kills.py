"""``release-kills``: SIGKILL and SIGINT at random moments of ``buildorch release``; the tags stay a consistent set.

One repository on the stack's registry (127.0.0.1:5000/r2-kills-<id>/app) released from
a small git context (FROM scratch + COPY, one platform, ``--verify none``: a few seconds
per release). Version 1.2.0 first; then per trial a new patch version 1.2.N, which
creates ``1.2.N`` and moves ``1.2``, ``1``, ``latest`` and ``sha-<commit>``, is killed:

* half the trials at a uniform random moment of a whole release (build, push, read
  back, tagging); the other half aimed at the tagging itself: a random 0-150 ms after
  release prints its ``tag:`` line;
* SIGKILL and SIGINT alternate, sent to the release's process group (its docker and
  buildx children too), as a CI cancel or Ctrl-C does.

After each kill (and once no process holds the image's release lock: a tagging child
already under way finishes first, by design) the five tags must be all old (``1.2.N``
absent, the others on the previous index) or all new (the five on one new index). Then
the release is run again and must complete. At the end nothing may be left: no
scratch directory of a release in TMPDIR (a private one), no journal, no lock held.
Budget: about 5 minutes (24 trials, two releases each, about 3-5 s per release).
"""

from __future__ import annotations

import fcntl
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from reliability.common import REGISTRY, ScenarioError, as_on_a_terminal, buildorch_argv, git, small_context, unique
from reliability.report import Figure

TRIALS = 26  # planned releases; the ones that end before their kill moment are not counted as trials
FLOATING = ["1.2", "1", "latest"]
BUDGET_S = 330.0  # stop starting trials after this (the figures then say how many ran)



class _Release:
    """One ``buildorch release`` in its own process group, its stderr lines read as they come."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=True, preexec_fn=as_on_a_terminal)  # fmt: skip
        self.lines: list[str] = []
        self.tagging = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("tag: "):
                self.tagging.set()

    def wait(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code


def _lock_free(lock_dir: Path, timeout: float = 60.0) -> bool:
    """Wait until no process holds a release lock in ``lock_dir`` (a tagging child finishing); whether that happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = False
        for p in lock_dir.glob("*.lock"):
            with open(p, "a") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(f, fcntl.LOCK_UN)
                except BlockingIOError:
                    held = True
        if not held:
            return True
        time.sleep(0.05)
    return False


def run() -> tuple[list[Figure], list[str]]:
    from buildorch.engine.registry import Client  # the registry's own answers, read with buildorch's client

    work = Path(tempfile.mkdtemp(prefix="r2-release-kills-"))
    try:
        return _run(work, Client)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run(work: Path, client_type: type) -> tuple[list[Figure], list[str]]:
    rng = random.Random(int(os.environ.get("RELIABILITY_SEED", "19")))
    ctx = small_context(work / "ctx", steps=4, payload_kib=32)
    git(ctx, "init", "-q")
    git(ctx, "add", "-A")
    git(ctx, "commit", "-q", "-m", "release-kills")
    sha = "sha-" + git(ctx, "rev-parse", "HEAD")[:7]
    tmp, cache = work / "tmp", work / "cache"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache), "BUILDORCH_HISTORY_DIR": str(work / "history")}
    lock_dir = cache / "buildorch" / "locks"
    image = f"{REGISTRY}/{unique('r2-kills')}/app"
    client = client_type(image)

    def argv(version: str) -> list[str]:
        return buildorch_argv("release", "--version", version, "--image", image, "--platform", "linux/amd64",
                              "--verify", "none", "--progress", "quiet", "--output-dir", str(work / "out" / version),
                              str(ctx))  # fmt: skip

    def tags(version: str) -> dict[str, str | None]:
        return {t: client.digest_of(t) for t in [version, *FLOATING, sha]}

    t0 = time.monotonic()
    first = _Release(argv("1.2.0"), env)
    if first.wait() != 0:
        raise ScenarioError("the first release failed: " + " | ".join(first.lines[-5:]))
    full = time.monotonic() - t0
    old = client.digest_of("latest")
    trials, consistent, completed, all_new, all_old, missed, codes = 0, 0, 0, 0, 0, 0, []
    problems: list[str] = []
    start = time.monotonic()
    for n in range(1, TRIALS + 1):
        if time.monotonic() - start > BUDGET_S:
            break
        version = f"1.2.{n}"
        sig = signal.SIGKILL if n % 2 else signal.SIGINT
        aimed = n % 4 in (2, 3)  # two of every four trials aim at the tagging
        rel = _Release(argv(version), env)
        if aimed:
            rel.tagging.wait(timeout=full * 3)
            time.sleep(rng.uniform(0, 0.15))
        else:
            time.sleep(rng.uniform(0.1, full * 1.1))
        if rel.proc.poll() is not None:  # it ended before the kill moment: not a trial
            missed += 1
            rel.wait()
            old = client.digest_of("latest")
            continue
        os.killpg(rel.proc.pid, sig)
        codes.append(rel.wait())
        trials += 1
        if not _lock_free(lock_dir):
            problems.append(f"{version}: a release lock was still held 60 s after the kill")
        now = tags(version)
        floating = [now[t] for t in [*FLOATING, sha]]
        if now[version] is None and all(d == old for d in floating):
            consistent, all_old = consistent + 1, all_old + 1
        elif now[version] is not None and now[version] != old and all(d == now[version] for d in floating):
            consistent, all_new = consistent + 1, all_new + 1
        else:
            problems.append(f"{version} ({signal.Signals(sig).name}): mixed tags {now} (old {old})")
        again = _Release(argv(version), env)
        code = again.wait()
        after = tags(version)
        if code == 0 and after[version] is not None and len(set(after.values())) == 1:
            completed += 1
            old = after[version]
        else:
            problems.append(f"{version}: the rerun exited {code}: {' | '.join(again.lines[-3:])}")
            old = client.digest_of("latest")
    _lock_free(lock_dir)
    strays = [str(p.relative_to(work)) for p in tmp.iterdir()]
    strays += [str(p.relative_to(work)) for p in lock_dir.iterdir() if p.suffix != ".lock"] if lock_dir.exists() else []
    held = not _lock_free(lock_dir, timeout=1.0)
    duration = time.monotonic() - t0

    def pct(x: int) -> float:
        return round(100.0 * x / trials, 1) if trials else 0.0

    notes = [
        f"{trials} trials on {image} ({TRIALS} planned, budget {BUDGET_S:.0f} s), one release {full:.1f} s, all {duration:.0f} s;"
        f" {missed} releases ended before their kill moment (not counted);"
        f" after the kill: {all_old} all old, {all_new} all new; exit codes of the killed releases: "
        f"{', '.join(f'{c}x{codes.count(c)}' for c in sorted(set(codes)))}.",
        "A tagging child already started when the kill came finishes its moves (that is the design: engine/registry_tags);"
        " the tags are read once no process holds the image's release lock.",
        *problems[:10],
    ]
    figures = [
        Figure("trials", "release kill trials (SIGKILL, SIGINT)", trials, 20, ">=", trials=trials),
        Figure("consistent", "tag sets all old or all new after a kill", pct(consistent), 100.0, "==", "%", trials),
        Figure("reruns", "reruns that completed the release", pct(completed), 100.0, "==", "%", trials),
        Figure("strays", "stray temp, journal files or held locks afterwards", len(strays) + int(held), 0, "==", trials=trials,
               notes=[f"left: {', '.join(strays[:8])}"] if strays else []),
    ]  # fmt: skip
    return figures, notes
