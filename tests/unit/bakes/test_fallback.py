"""Which bake failures are only a cache export, and the bake that goes on without it.

Recorded from buildx 0.38.2 on the stack (tests/data/bake/record.sh): ``cache_export.hcl``,
whose target ``bad`` exports its cache into a directory BuildKit cannot write.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from buildorch.bakes import runner as bake_runner
from buildorch.bakes.fallback import drop_cache_export, failed_cache_exports
from buildorch.bakes.models import BakeDefinition, BakeSpec
from buildorch.bakes.plan import BakePlan, TargetPlan
from buildorch.bakes.progress import BakeTracker
from buildorch.builds import cache, history
from buildorch.builds.display import QuietRenderer
from buildorch.builds.failures import translate_failure
from buildorch.core.errors import BuildFailed, BuildorchError
from buildorch.core.versioning import VersionInfo
from tests.recorded import BAKE_DATA as DATA

BLOB_ERROR = "error writing layer blob: rpc error: code = Unknown desc = mkdir broken/ingest: not a directory: unknown"


def track(name: str, targets: list[str]) -> BakeTracker:
    t = BakeTracker(targets, started_at=0.0)
    with open(DATA / f"{name}.rawjson") as f:
        for line in f:
            t.feed(line)
    t.finish()
    return t


def test_the_target_whose_cache_export_failed_is_named() -> None:
    t = track("cache_export_failed", ["ok", "bad"])
    assert failed_cache_exports(t) == {"bad": BLOB_ERROR}
    err = translate_failure(t, BuildorchError("docker buildx bake failed"))
    assert isinstance(err, BuildFailed) and err.message.startswith("target bad: step exporting cache to client directory failed")


def test_a_bake_of_one_target_has_no_prefixes_and_names_it_all_the_same() -> None:
    t = track("cache_export_failed_single", ["bad"])
    assert failed_cache_exports(t) == {"bad": BLOB_ERROR}


@pytest.mark.parametrize(("name", "targets"), [("failing", ["ok", "bad"]), ("default_group", ["app", "app-test"])])
def test_a_failed_step_or_a_bake_that_did_not_fail_is_no_cache_export(name: str, targets: list[str]) -> None:
    assert failed_cache_exports(track(name, targets)) == {}


def feed(t: BakeTracker, *vertexes: dict[str, Any]) -> BakeTracker:
    t.feed(json.dumps({"vertexes": list(vertexes)}) + "\n")
    return t


def test_a_cache_export_beside_a_failed_step_is_a_failure_of_the_bake() -> None:
    t = feed(BakeTracker(["a", "b"], started_at=0.0),
             {"digest": "d1", "name": "[a] exporting cache to client directory", "error": "snapshot x does not exist"},
             {"digest": "d2", "name": "[b 2/2] RUN exit 3", "error": "process did not complete successfully: exit code: 3"})
    assert failed_cache_exports(t) == {}


def test_canceled_siblings_and_unusable_cache_imports_do_not_count() -> None:
    t = feed(BakeTracker(["a", "b", "c"], started_at=0.0),
             {"digest": "d1", "name": "[a] exporting cache to client directory",
              "error": "failed to commit k1: snapshot k1 does not exist: not found"},
             {"digest": "d2", "name": "[b 1/2] RUN sleep 5", "error": "context canceled"},
             {"digest": "d3", "name": "[c] importing cache manifest from local:123", "error": "not found"},
             {"digest": "d4", "name": "[c] exporting cache to registry", "error": "blob unknown"})
    assert failed_cache_exports(t) == {"a": "failed to commit k1: snapshot k1 does not exist: not found",
                                       "c": "blob unknown"}


def test_a_failure_no_target_claims_is_not_worked_around() -> None:
    t = feed(BakeTracker(["a", "b"], started_at=0.0),
             {"digest": "d1", "name": "exporting cache to client directory", "error": "snapshot x does not exist"})
    assert failed_cache_exports(t) == {}


def definition() -> BakeDefinition:
    return BakeDefinition.model_validate({"target": {
        "ok": {"context": "ctx", "cache-to": ["type=local,dest=ok-cache"], "output": ["type=cacheonly"]},
        "bad": {"context": "ctx", "cache-from": ["type=local,src=/c/bad"], "cache-to": ["type=local,dest=broken"],
                "output": ["type=cacheonly"]},
    }})


def bake_plan(targets: dict[str, TargetPlan] | None = None, **spec: Any) -> BakePlan:
    d = definition()
    return BakePlan(
        spec=BakeSpec(progress="quiet", **spec),
        version=VersionInfo("1.0.0", "2026-01-02T03:04:05Z", 1767323045, "explicit", "explicit"),
        files=[], env={}, base_flags=["buildx", "bake"], baseline=d, definition=d.model_copy(deep=True), targets=targets or {},
    )


def test_dropping_a_cache_export_discards_the_staged_cache_and_marks_the_live_one_stale(tmp_path: Path) -> None:
    live = tmp_path / "ctx-bake-bad"
    live.mkdir()
    (live / "index.json").write_text('{"manifests": [{"digest": "sha256:1"}]}')
    (live / "blobs" / "sha256").mkdir(parents=True)
    (live / "blobs" / "sha256" / "1").write_text("{}")  # staging is seeded with links to the live blobs
    c = cache.CachePlan(local_dir=live, staging_dir=tmp_path / "ctx-bake-bad.new-1", cache_from=[f"type=local,src={live}"],
                        cache_to=[f"type=local,dest={tmp_path / 'ctx-bake-bad.new-1'},mode=max"], mode="max")
    cache.stage(c)
    assert c.staging_dir is not None and c.staging_dir.is_dir()
    plan = bake_plan({"bad": TargetPlan(name="bad", cache=c), "ok": TargetPlan(name="ok")})
    warning = drop_cache_export(plan, "bad", "snapshot x does not exist")
    assert warning == "target bad: cache export failed (snapshot x does not exist); baked again without exporting the cache"
    assert not (tmp_path / "ctx-bake-bad.new-1").exists() and c.staging_dir is None and c.cache_to == []
    assert (live / cache.STALE_MARK).exists()
    written = json.loads(plan.definition_file())["target"]
    assert written["bad"]["cache-to"] == [] and written["bad"]["cache-from"] == ["type=local,src=/c/bad"]
    assert written["ok"]["cache-to"] == ["type=local,dest=ok-cache"]
    assert plan.fallbacks == {"bad": warning} and plan.targets["bad"].keys == ["cache-from"]


class Replay:
    """``buildx.stream`` replaying recorded bakes in turn; keeps each definition file it was given."""

    def __init__(self, *runs: str | None) -> None:
        self.runs = list(runs)  # a recorded rawjson that fails, or None: a bake that succeeds and prints nothing
        self.definitions: list[dict[str, Any]] = []

    def __call__(self, argv: list[str], *, what: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, bytes]]:
        self.definitions.append(json.loads(Path(argv[argv.index("--file") + 1]).read_text())["target"])
        name = self.runs.pop(0)
        return self._lines(name)

    @staticmethod
    def _lines(name: str | None) -> Iterator[tuple[str, bytes]]:
        if name is None:
            return
        with open(DATA / f"{name}.rawjson", "rb") as f:
            for line in f:
                yield "stderr", line
        raise BuildorchError("docker buildx bake failed: ERROR: target bad: failed to solve")


@pytest.fixture(autouse=True)
def no_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(history, "record", lambda what, results: None)


def test_the_bake_runs_again_without_the_failed_export(monkeypatch: pytest.MonkeyPatch) -> None:
    replay = Replay("cache_export_failed", None)
    monkeypatch.setattr(bake_runner.buildx, "stream", replay)
    log = io.StringIO()
    results = bake_runner.run_plan(bake_plan(), renderer=QuietRenderer(), log=log)
    first, second = replay.definitions
    assert first["bad"]["cache-to"] == ["type=local,dest=broken"]
    assert second["bad"]["cache-to"] == [] and second["ok"] == first["ok"]
    warning = f"target bad: cache export failed ({BLOB_ERROR}); baked again without exporting the cache"
    assert log.getvalue() == f"warning: {warning}\n"
    assert results["bad"].cache_to == [] and warning in results["bad"].warnings
    assert results["ok"].cache_to == ["type=local,dest=ok-cache"] and results["ok"].warnings == []


@pytest.mark.parametrize(
    ("runs", "spec"),
    [
        (("failing",), {}),  # a failed step: no second bake
        (("cache_export_failed",), {"cache_required": True}),
        (("cache_export_failed", "cache_export_failed"), {}),  # the same target again: no third bake
    ],
)
def test_a_failure_that_stands_is_one_error(runs: tuple[str, ...], spec: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    replay = Replay(*runs)
    monkeypatch.setattr(bake_runner.buildx, "stream", replay)
    with pytest.raises(BuildFailed) as info:
        bake_runner.run_plan(bake_plan(**spec), renderer=QuietRenderer(), log=io.StringIO())
    assert info.value.message.startswith("target bad: step ")
    assert len(replay.definitions) == len(runs) and not replay.runs


def test_a_cache_another_build_exports_is_imported_but_not_exported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    live = tmp_path / "ctx-bake-bad"

    def plan_of(pid: int) -> cache.CachePlan:
        staging = tmp_path / f"ctx-bake-bad.new-{pid}"
        return cache.CachePlan(local_dir=live, staging_dir=staging, cache_to=[f"type=local,dest={staging},mode=max"])

    other = plan_of(1)
    cache.stage(other)  # another build holds the export lock (flock: per open file, so this process counts as another)
    try:
        replay = Replay(None)
        monkeypatch.setattr(bake_runner.buildx, "stream", replay)
        monkeypatch.setattr(bake_runner.buildx, "buildx_release", lambda: (0, 38, 0))  # a cache outside: --allow fs
        log = io.StringIO()
        mine = plan_of(2)
        results = bake_runner.run_plan(bake_plan({"bad": TargetPlan(name="bad", cache=mine)}), renderer=QuietRenderer(), log=log)
    finally:
        cache.discard(other)
    warning = f"another build is exporting the cache {live}: this one imports it but does not export"
    assert log.getvalue() == f"warning: target bad: {warning}\n"
    assert replay.definitions[0]["bad"]["cache-to"] == [] and results["bad"].cache_to == []
    assert warning in results["bad"].warnings and not (tmp_path / "ctx-bake-bad.new-2").exists()
