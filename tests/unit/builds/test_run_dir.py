"""``run_dir``: buildx's metadata file in a private directory, removed after the run, swept after a kill."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from buildorch.builds import run_dir


def test_private_removed_after_the_run(tmp_path: Path) -> None:
    with run_dir.private_dir(tmp_path) as d:
        assert d.name.startswith(run_dir.PREFIX) and oct(d.stat().st_mode & 0o777) == "0o700"
        (d / "metadata.json").write_text("{}")
        assert run_dir.sweep(tmp_path) == 0  # its run is alive: not swept
    assert list(tmp_path.iterdir()) == []


def test_a_killed_runs_directory_is_swept_by_the_next_run(tmp_path: Path) -> None:
    mark = tmp_path / "ready"
    proc = subprocess.Popen([sys.executable, "-c", f"""
import time, pathlib
from buildorch.builds import run_dir
with run_dir.private_dir(pathlib.Path({str(tmp_path)!r})):
    pathlib.Path({str(mark)!r}).touch()
    time.sleep(60)
"""])  # fmt: skip
    deadline = time.monotonic() + 20
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    left = [p for p in tmp_path.iterdir() if p.name.startswith(run_dir.PREFIX)]
    assert len(left) == 1  # what SIGKILL leaves
    with run_dir.private_dir(tmp_path):
        assert not left[0].exists()


def test_a_directory_being_created_is_left_alone_for_a_while(tmp_path: Path) -> None:
    young = tmp_path / f"{run_dir.PREFIX}young"
    young.mkdir()
    old = tmp_path / f"{run_dir.PREFIX}old"
    old.mkdir()
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    assert run_dir.sweep(tmp_path) == 1
    assert young.exists() and not old.exists()
