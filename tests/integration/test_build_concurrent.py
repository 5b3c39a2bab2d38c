"""Four ``buildorch build`` of one tag at once on the real engine (issue #19).

Before: half of them failed with ``image "docker.io/library/app:4.1.0": already exists``
(BuildKit names an image with Update-then-Create; two exporters raced), and the others
reported more steps than the Dockerfile has.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from buildorch.builds.cache_store import current, local_cache_ok
from tests.integration.helpers import ROOT, docker, unique

pytestmark = pytest.mark.integration

BUILDS = 4


BASE = "golang:1.26-bookworm"  # the stack's local stand-in: FROM resolves offline


def racing_context(root: Path) -> Path:
    """Five steps whose RUNs the four builds share (BuildKit merges equal steps), so they all finish, and name the
    image, at the same moment: the race of #19 (a FROM scratch + COPY context rarely shows it)."""
    root.mkdir(parents=True)
    for i in range(3):
        (root / f"f{i}.bin").write_bytes(os.urandom(256 * 1024))
    (root / "Dockerfile").write_text(f"""FROM {BASE}
COPY f0.bin /data/
RUN sleep 1 && wc -c /data/f0.bin > /data/n0
COPY f1.bin /data/
RUN wc -c /data/f1.bin > /data/n1
COPY f2.bin /data/
""")
    return root


def four_at_once(ctx: Path, tag: str, cache: Path, cwd: Path) -> list[tuple[int, str, str]]:
    argv = [sys.executable, "-m", "buildorch", "build", str(ctx), "-t", tag, "--cache", f"local:{cache}", "--progress",
            "none", "--json", "--network", "none"]  # fmt: skip
    (cwd / "tmp").mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BUILDORCH_HISTORY_DIR": str(cwd / "history"), "TMPDIR": str(cwd / "tmp")}
    procs = [subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(BUILDS)]  # fmt: skip
    outs = [p.communicate(timeout=600) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs, strict=True)]


def test_four_builds_of_one_tag_at_once_all_succeed_and_count_each_step_once(tmp_path: Path) -> None:
    """Three rounds of four (before the image lock, 2 of 4 failed in one round of two on this stack)."""
    tag = f"{unique('r1-it')}:4.1.0"
    try:
        for round_ in range(3):
            ctx = racing_context(tmp_path / f"ctx{round_}")
            results = four_at_once(ctx, tag, tmp_path / "cache", tmp_path)
            for code, out, err in results:
                assert code == 0, f"round {round_}: {err[-600:]}"
                res = json.loads(out)
                assert res["steps_total"] == 5, res["steps"]
            live = current(tmp_path / "cache")
            assert live is not None and local_cache_ok(live)
            assert list((tmp_path / "tmp").iterdir()) == [], "metadata files or run directories left behind"
            waited = sum("waiting for another build of" in err for _, _, err in results)
            assert waited >= 1, "four builds of one tag started together: some must have waited"
    finally:
        docker("image", "rm", "-f", tag, check=False)
