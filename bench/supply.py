"""``python -m bench.supply [--runs N]``: what the supply chain costs a release of the demo app, side by side.

Standalone (not in ``python -m bench``'s table, and never in CI): for each run, one plain
release and one with ``--sbom --sign`` of the same commit and version into fresh repositories
of the stack's registry (127.0.0.1:5000/i17-bench-*), alternating which goes first. The
version (a build arg) is the same everywhere, so after the warm-up every build is cached and
the difference is what the supply chain adds: syft per
platform, cosign sign (index + platforms) and one attestation per platform.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-" + uuid.uuid4().hex


def sh(*argv: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> float:
    t0 = time.monotonic()
    r = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd, check=False)
    if r.returncode != 0:
        sys.exit(f"{' '.join(argv[:4])}... failed ({r.returncode}): {r.stderr[-1500:]}")
    return time.monotonic() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    bo = [sys.executable, "-m", "buildorch"]
    with tempfile.TemporaryDirectory(prefix="i17-bench-") as tmp:
        work = Path(tmp)
        repo = work / "app"
        shutil.copytree(ROOT / "app", repo)
        git_env = {"GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"}
        for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@e", "commit", "-qm", "app"]):
            sh("git", "-C", str(repo), *cmd, env=git_env)
        env = {"COSIGN_PASSWORD": PASSWORD}
        sh(*bo, "keys", "generate", "--output-prefix", str(work / "k"), env=env)
        uid = uuid.uuid4().hex[:6]

        def release(kind: str, n: int) -> float:
            extra = ["--sbom", "--sign", "--key", str(work / "k.key")] if kind == "supply" else []
            image = f"127.0.0.1:5000/i17-bench-{uid}/{kind}-{n}"
            return sh(*bo, "release", "--version", "1.0.0", "--image", image, str(repo), "--progress", "quiet",
                      "--output-dir", str(work / f"{kind}-{n}"), *extra, env=env, cwd=work)

        release("plain", 0)  # warm-up: the build cache
        times: dict[str, list[float]] = {"plain": [], "supply": []}
        for n in range(1, args.runs + 1):
            order = ("plain", "supply") if n % 2 else ("supply", "plain")
            for kind in order:
                times[kind].append(release(kind, n))
                print(f"run {n} {kind}: {times[kind][-1]:.1f}s", flush=True)
    plain, supply = statistics.median(times["plain"]), statistics.median(times["supply"])
    print(f"median plain release {plain:.1f}s, with --sbom --sign {supply:.1f}s: ratio {supply / plain:.2f}")


if __name__ == "__main__":
    main()
