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


def small_context(root: Path, steps: int, payload: bytes) -> Path:
    root.mkdir(parents=True)
    lines = ["FROM scratch"]
    for i in range(steps):
        (root / f"f{i}.bin").write_bytes(payload + bytes([i]))
        lines.append(f"COPY f{i}.bin /data/f{i}.bin")
    (root / "Dockerfile").write_text("\n".join(lines) + "\n")
    return root


def four_at_once(ctx: Path, tag: str, cache: Path, cwd: Path) -> list[tuple[int, str, str]]:
    argv = [sys.executable, "-m", "buildorch", "build", str(ctx), "-t", tag, "--cache", f"local:{cache}", "--progress",
            "none", "--json"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BUILDORCH_HISTORY_DIR": str(cwd / "history")}
    procs = [subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(BUILDS)]  # fmt: skip
    outs = [p.communicate(timeout=600) for p in procs]
    return [(p.returncode, out, err) for p, (out, err) in zip(procs, outs, strict=True)]


@pytest.mark.parametrize("round_", [1, 2])
def test_four_builds_of_one_tag_at_once_all_succeed_and_count_each_step_once(tmp_path: Path, round_: int) -> None:
    ctx = small_context(tmp_path / "ctx", steps=5, payload=os.urandom(512 * 1024))
    tag = f"{unique('r1-it')}:4.1.0"
    try:
        results = four_at_once(ctx, tag, tmp_path / "cache", tmp_path)
    finally:
        docker("image", "rm", "-f", tag, check=False)
    for code, out, err in results:
        assert code == 0, err[-600:]
        res = json.loads(out)
        assert res["steps_total"] == 5, res["steps"]
    live = current(tmp_path / "cache")
    assert live is not None and local_cache_ok(live)
