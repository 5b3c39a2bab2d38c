"""The release lock: one release of an image tags at a time; the other waits, then reads the tags afresh."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buildorch.core.errors import BuildorchError
from buildorch.releases import lock

_HOLDER = """
import sys, time
from buildorch.releases.lock import release_lock
with release_lock([sys.argv[1]], sys.stderr):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def holder(image: str, seconds: float) -> subprocess.Popen[bytes]:
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, image, str(seconds)], cwd=root, stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"held\n"
    return proc


def test_a_second_release_of_the_image_waits_for_the_first(tmp_path: Path) -> None:
    first = holder("localhost:5000/app", 1.0)
    out = io.StringIO()
    t0 = time.monotonic()
    with lock.release_lock(["localhost:5000/app"], out):
        waited = time.monotonic() - t0
    first.wait()
    assert waited > 0.3
    assert out.getvalue().startswith("waiting for another release of localhost:5000/app to finish tagging")


def test_other_images_do_not_wait(tmp_path: Path) -> None:
    first = holder("localhost:5000/app", 2.0)
    out = io.StringIO()
    t0 = time.monotonic()
    with lock.release_lock(["localhost:5000/other"], out):
        assert time.monotonic() - t0 < 0.5
    assert out.getvalue() == ""
    first.kill()
    first.wait()


def test_a_killed_release_leaves_no_lock(tmp_path: Path) -> None:
    first = holder("localhost:5000/app", 30.0)
    first.kill()
    first.wait()
    out = io.StringIO()
    with lock.release_lock(["localhost:5000/app"], out, timeout=1.0):
        pass
    assert out.getvalue() == ""


def test_a_stuck_release_is_one_line_naming_the_lock(tmp_path: Path) -> None:
    first = holder("localhost:5000/app", 30.0)
    with pytest.raises(BuildorchError) as info, lock.release_lock(["localhost:5000/app"], io.StringIO(), timeout=0.5):
        pass
    assert "another release of localhost:5000/app has held its lock" in info.value.message
    assert str(lock.lock_path("localhost:5000/app")) in (info.value.hint or "")
    first.kill()
    first.wait()


def test_finish_reads_the_tags_to_put_back_under_the_lock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Staged before another release tagged 1.2: what finish would put back is the other release's tag, not the old one."""
    from types import SimpleNamespace

    from buildorch.releases import runner

    class Client:
        def __init__(self) -> None:
            self.tags = {"1.2": "sha256:old"}

        def digest_of(self, tag: str) -> str | None:
            return self.tags.get(tag)

    client = Client()
    plan = SimpleNamespace(spec=SimpleNamespace(image="localhost:5000/app"), tags=["1.2"])
    result = SimpleNamespace(previous_tags={"1.2": "sha256:old"}, previous_references={"localhost:5000/app:1.2": "sha256:old"},
                             duration_seconds=0.0)  # fmt: skip
    staged = runner.Staged(plan, None, result, {"localhost:5000/app": client}, time.monotonic())  # type: ignore[arg-type]
    client.tags["1.2"] = "sha256:other-release"  # another release tagged while this one verified
    seen: list[dict[str, str | None]] = []
    monkeypatch.setattr(runner, "tag_all", lambda plan, result, clients, out, **kw: seen.append(dict(result.previous_references)))
    runner.finish(staged, io.StringIO())
    assert seen == [{"localhost:5000/app:1.2": "sha256:other-release"}]


_SCRATCH_HOLDER = """
import sys, time
from buildorch.releases.lock import scratch_dir
with scratch_dir() as d:
    print(d, flush=True)
    time.sleep(30)
"""


def test_scratch_of_a_killed_release_is_swept_and_a_running_ones_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    root = Path(__file__).resolve().parents[3]
    env = {**__import__("os").environ, "TMPDIR": str(tmp_path)}
    running = subprocess.Popen([sys.executable, "-c", _SCRATCH_HOLDER], cwd=root, stdout=subprocess.PIPE, env=env)
    killed = subprocess.Popen([sys.executable, "-c", _SCRATCH_HOLDER], cwd=root, stdout=subprocess.PIPE, env=env)
    assert running.stdout is not None and killed.stdout is not None
    alive, dead = Path(running.stdout.readline().decode().strip()), Path(killed.stdout.readline().decode().strip())
    killed.kill()  # SIGKILL: no clean-up ran
    killed.wait()
    assert dead.is_dir()
    young = tmp_path / f"{lock.SCRATCH_PREFIX}being-made"
    young.mkdir()  # no .lock yet: a release creating it right now
    try:
        assert lock.sweep_scratch(tmp_path) == [dead]
        assert alive.is_dir() and young.is_dir() and not dead.exists()
    finally:
        running.kill()
        running.wait()
    assert lock.sweep_scratch(tmp_path) == [alive]


def test_a_scratch_dir_is_removed_after_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with lock.scratch_dir() as d:
        (d / "oci").mkdir()
    assert not d.exists() and list(tmp_path.iterdir()) == []
