"""A bake target's local cache: BuildKit imports the generation the cache points at; the result names the cache."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from buildorch.bakes import runner as bake_runner
from buildorch.bakes.plan import TargetPlan
from buildorch.builds import cache
from buildorch.builds.display import QuietRenderer
from tests.unit.bakes.test_fallback import Replay, bake_plan
from tests.unit.builds.test_cache import make_cache


def committed(live: Path, layer: bytes) -> Path:
    """A cache another build exported and swapped in: the live link and the generation it names."""
    staging = live.with_name(f"{live.name}.new-1")
    other = cache.CachePlan(local_dir=live, staging_dir=staging, mode="max", cache_to=[cache.local_to(staging, "max")])
    cache.stage(other)
    make_cache(staging, [layer])
    cache.commit(other)
    gen = cache.current(live)
    assert gen is not None and gen != live
    return gen


def test_the_bake_imports_the_generation_and_shows_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = tmp_path / "ctx-bake-bad"
    gen = committed(live, b"layer")
    staging = live.with_name(f"{live.name}.new-{os.getpid()}")
    mine = cache.CachePlan(local_dir=live, staging_dir=staging, mode="max", cache_from=[cache.local_from(live)],
                           cache_to=[cache.local_to(staging, "max")])  # fmt: skip
    plan = bake_plan({"bad": TargetPlan(name="bad", cache=mine)})
    plan.definition.target["bad"].cache_from, plan.definition.target["bad"].cache_to = list(mine.cache_from), list(mine.cache_to)
    replay = Replay(None)
    monkeypatch.setattr(bake_runner.buildx, "stream", replay)
    monkeypatch.setattr(bake_runner.buildx, "buildx_release", lambda: (0, 38, 0))  # a cache outside: --allow fs
    results = bake_runner.run_plan(plan, renderer=QuietRenderer(), log=io.StringIO())
    ran = replay.definitions[0]["bad"]
    assert ran["cache-from"] == [f"type=local,src={gen}"]  # not the link another build may swap meanwhile
    assert ran["cache-to"] == [f"type=local,dest={staging},mode=max"]
    assert results["bad"].cache_from == [f"type=local,src={live}"]
    assert results["bad"].cache_to == [f"type=local,dest={live},mode=max"]  # the cache, not this run's staging
