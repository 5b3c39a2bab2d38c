"""The local cache store: a kill at any moment leaves a complete cache; locks between builds (no Docker)."""

from __future__ import annotations

import fcntl
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from buildorch.builds import cache, cache_store
from buildorch.builds.cache import CachePlan
from buildorch.builds.cache_usage import prune_local
from tests.unit.builds.test_cache import make_cache


def plan_for(live: Path, pid: int | None = None) -> CachePlan:
    staging = live.with_name(f"{live.name}.new-{pid or os.getpid()}")
    return CachePlan(local_dir=live, staging_dir=staging, mode="min", cache_to=[f"type=local,dest={staging},mode=min"])


def export(plan: CachePlan, layers: list[bytes]) -> None:
    """What BuildKit does between stage and commit: write a complete cache into the staging directory."""
    assert plan.staging_dir is not None
    make_cache(plan.staging_dir, layers)


def complete(live: Path) -> bool:
    d = cache_store.current(live)
    return d is not None and cache_store.local_cache_ok(d)


def test_commit_swaps_a_link_and_keeps_no_old_generation(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    for n in range(3):
        plan = plan_for(live)
        cache.stage(plan)
        export(plan, [f"layer-{n}".encode()])
        cache.commit(plan)
        assert live.is_symlink() and complete(live)
    assert len(cache_store.generations(live)) == 1
    assert not list(tmp_path.glob("*.new-*"))


def test_a_cache_from_before_generations_is_taken_over(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    live.mkdir()
    make_cache(live, [b"old"])
    plan = plan_for(live)
    cache.stage(plan)
    export(plan, [b"new"])
    cache.commit(plan)
    assert live.is_symlink() and complete(live)
    assert [g.name for g in cache_store.generations(live)] == [os.readlink(live)]


def test_killed_between_the_two_renames_of_a_take_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = tmp_path / "app-default"
    live.mkdir()
    make_cache(live, [b"old"])
    plan = plan_for(live)
    cache.stage(plan)
    export(plan, [b"new"])

    def killed(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies here: the link is not made

    monkeypatch.setattr(cache_store, "_point", killed)
    with pytest.raises(KeyboardInterrupt):
        cache.commit(plan)
    monkeypatch.undo()
    assert not live.exists()  # no live cache for a moment: two complete generations beside it
    assert sum(cache_store.local_cache_ok(g) for g in cache_store.generations(live)) == 2
    nxt = plan_for(live)
    cache.stage(nxt)  # the next build repairs it before planning its import
    assert complete(live)
    cache.discard(nxt)


def test_one_build_exports_a_cache_at_a_time(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    first, second = plan_for(live, 1), plan_for(live, 2)
    assert cache.stage(first) == []
    warnings = cache.stage(second)
    assert second.staging_dir is None and "another build is exporting" in warnings[0]
    export(first, [b"a"])
    cache.commit(first)
    cache.commit(second)  # nothing to swap: it did not export
    third = plan_for(live, 3)
    assert cache.stage(third) == [] and third.staging_dir is not None
    cache.discard(third)


def test_the_exporter_removes_staging_left_by_any_process_without_proc(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    orphan = live.with_name(f"{live.name}.new-{os.getppid()}")  # a live PID: /proc would say "running"
    orphan.mkdir(parents=True)
    plan = plan_for(live)
    cache.stage(plan)
    assert not orphan.exists()
    cache.discard(plan)


def test_an_old_generation_stays_while_a_build_reads_it(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    plan = plan_for(live)
    cache.stage(plan)
    export(plan, [b"v1"])
    cache.commit(plan)
    v1 = cache_store.current(live)
    reader = (tmp_path / ".app-default.readers").open("a")  # another build importing v1
    fcntl.flock(reader, fcntl.LOCK_SH)
    plan = plan_for(live)
    cache.stage(plan)
    export(plan, [b"v2"])
    cache.commit(plan)
    assert v1 is not None and v1.is_dir() and cache_store.current(live) != v1
    reader.close()
    plan = plan_for(live)
    cache.stage(plan)  # no reader now: the exporter tidies
    assert not v1.exists()
    cache.discard(plan)


def test_prune_counts_only_what_it_removed(tmp_path: Path) -> None:
    live = tmp_path / "app-default"
    plan = plan_for(live)
    cache.stage(plan)
    export(plan, [b"x" * 1000])
    cache.commit(plan)
    size = sum(f.stat().st_size for f in cache_store.current(live).rglob("*") if f.is_file())  # type: ignore[union-attr]
    removed = prune_local(root=tmp_path)
    assert [c.name for c in removed] == ["app-default"] and removed[0].size_bytes == size
    assert not live.exists() and not cache_store.generations(live)


_CHILD = """
import sys
from pathlib import Path
from buildorch.builds import cache
from buildorch.builds.cache import CachePlan
from tests.unit.builds.test_cache import make_cache
live = Path(sys.argv[1])
n = 0
print("ready", flush=True)
while True:
    staging = live.with_name(f"{live.name}.new-{n}")
    plan = CachePlan(local_dir=live, staging_dir=staging, mode="min")
    cache.stage(plan)
    make_cache(staging, [b"layer-%d" % n, b"x" * 4096])
    cache.commit(plan)
    n += 1
"""


def test_sigkill_at_random_moments_never_loses_the_cache(tmp_path: Path) -> None:
    """30 kills of a process that stages, exports and commits in a loop: a complete cache after each."""
    live = tmp_path / "app-default"
    live.mkdir()
    make_cache(live, [b"from before generations"])  # the first kills may land in the take-over
    root = Path(__file__).resolve().parents[3]
    rng = random.Random(20261129)
    swapped = 0
    for trial in range(30):
        before = os.readlink(live) if live.is_symlink() else None
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(live)], cwd=root, stdout=subprocess.PIPE)
        assert child.stdout is not None and child.stdout.readline() == b"ready\n"
        time.sleep(rng.random() * 0.15)  # somewhere in one of its stage/export/commit cycles (a few ms each)
        child.send_signal(signal.SIGKILL)
        child.wait()
        # complete now, or (killed in the take-over) a complete generation for the next build to point at
        assert complete(live) or any(cache_store.local_cache_ok(g) for g in cache_store.generations(live)), trial
        plan = plan_for(live)
        cache.stage(plan)  # what the next build does first
        assert complete(live), f"trial {trial}: no complete cache after recovery"
        cache.discard(plan)
        swapped += (os.readlink(live) if live.is_symlink() else None) != before
    assert swapped >= 10, f"only {swapped} of 30 trials got as far as a commit: the kills did not test the swap"
