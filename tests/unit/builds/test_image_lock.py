"""``image_lock``: one build at a time per image name on one engine (the ``already exists`` race of #19)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.builds import image_lock


@pytest.fixture(autouse=True)
def _locks_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


def test_short_and_full_names_of_one_image_share_a_lock() -> None:
    assert image_lock.lock_path("app:4.1.0") == image_lock.lock_path("docker.io/library/app:4.1.0")
    assert image_lock.lock_path("app") == image_lock.lock_path("app:latest")
    assert image_lock.lock_path("app:4.1.0") != image_lock.lock_path("app:4.1.1")
    assert image_lock.lock_path("127.0.0.1:5000/app:1") != image_lock.lock_path("app:1")


def test_another_engine_has_its_own_lock() -> None:
    assert image_lock.lock_path("app:1", {"DOCKER_HOST": "tcp://a:2376"}) != image_lock.lock_path("app:1", {})


def test_an_engine_address_that_is_not_utf8_still_names_a_lock() -> None:
    # os.environ holds undecodable bytes as lone surrogates (hostile-inputs found the traceback).
    assert image_lock.lock_path("app:1", {"DOCKER_HOST": "unix:///tmp/\udcff.sock"}).name.startswith("image-")


@given(st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9]{1,8})?(:[A-Za-z0-9_.-]{1,10})?", fullmatch=True))
def test_canonical_name_is_idempotent(tag: str) -> None:
    once = image_lock.canonical_name(tag)
    assert image_lock.canonical_name(once) == once


def test_a_second_holder_waits_and_says_so(tmp_path: Path) -> None:
    """Another process holds app:1's lock for a second: this one waits for it, and says it does, once."""
    mark = tmp_path / "held"
    holder = subprocess.Popen([sys.executable, "-c", f"""
import time, pathlib
from buildorch.builds import image_lock
with image_lock.images_locked(["app:1"]):
    pathlib.Path({str(mark)!r}).touch()
    time.sleep(1.0)
"""])  # fmt: skip
    deadline = time.monotonic() + 20
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    out = io.StringIO()
    t0 = time.monotonic()
    with image_lock.images_locked(["docker.io/library/app:1", "other:2"], on_wait=out, poll=0.05):
        waited = time.monotonic() - t0
    holder.wait()
    assert waited > 0.5
    assert out.getvalue() == "waiting for another build of docker.io/library/app:1 to finish (one at a time per image name)\n"


def test_no_wait_when_free_and_released_after() -> None:
    out = io.StringIO()
    with image_lock.images_locked(["app:1"], on_wait=out):
        pass
    with image_lock.images_locked(["app:1"], on_wait=out):
        pass
    assert out.getvalue() == ""


def test_an_unwritable_lock_directory_means_no_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    with image_lock.images_locked(["app:1"]):
        pass
