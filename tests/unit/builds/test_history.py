"""Build records: bounded, atomic, a corrupted one skipped with a warning; ``buildorch history``."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from buildorch.builds import history
from buildorch.builds.progress import ProgressTracker
from buildorch.builds.spec import BuildResult
from buildorch.core.errors import BuildorchError
from tests.recorded import RAWJSON_DATA


def recorded_result(name: str = "multiplatform_cold.json", version: str = "1.0.0") -> BuildResult:
    t = ProgressTracker(started_at=0.0)
    for line in (RAWJSON_DATA / name).read_text().splitlines(keepends=True):
        t.feed(line)
    t.finish()
    return BuildResult(tags=["app:" + version], platforms=["linux/amd64", "linux/arm64"], version=version,
                       steps=t.step_results(), steps_total=t.steps_total, steps_cached=t.steps_cached,
                       duration_seconds=12.5, size_bytes=6_000_000)


def test_a_history_of_150_builds_keeps_100(tmp_path: Path) -> None:
    result = recorded_result()
    for i in range(150):
        history.record("build", {"": result}, root=tmp_path, now=1_700_000_000 + i)
    paths = history.record_paths(tmp_path)
    assert len(paths) == 100
    kept = history.records(tmp_path)
    assert kept[0].created.startswith("2023-11-14T22:14:10")  # the 51st build (index 50) is the oldest left
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


def test_the_limit_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILDORCH_HISTORY_KEEP", "3")
    for i in range(5):
        history.record("build", {"": recorded_result()}, root=tmp_path, now=1_700_000_000 + i)
    assert len(history.record_paths(tmp_path)) == 3


def test_a_corrupted_record_is_skipped_with_a_warning(tmp_path: Path) -> None:
    history.record("build", {"": recorded_result()}, root=tmp_path, now=1_700_000_000)
    (tmp_path / "20231114T221321000-build-app.json").write_text('{"id": "x", "kind": "bu')  # cut off
    warn = io.StringIO()
    recs = history.records(tmp_path, warn=warn)
    assert len(recs) == 1
    assert warn.getvalue().startswith("warning: skipped build record ")
    assert "20231114T221321000-build-app.json is unreadable" in warn.getvalue()


def test_a_record_keeps_the_timeline_and_round_trips(tmp_path: Path) -> None:
    rec = history.record("build", {"": recorded_result()}, root=tmp_path, now=1_700_000_000)
    assert rec is not None and rec.name == "app" and rec.kind == "build"
    doc = json.loads((tmp_path / f"{rec.id}.json").read_text())
    step = doc["results"][""]["steps"][0]
    assert {"started", "completed", "cached", "inputs", "log_tail", "digest"} <= set(step)
    back = history.find(rec.id[:12], tmp_path)
    assert back.results[""].steps == rec.results[""].steps
    assert back.results[""].steps[-1].log_tail == rec.results[""].steps[-1].log_tail
    # `build --json` stays as it was: inputs and log tails only in records
    assert "log_tail" not in rec.results[""].model_dump()["steps"][0]


def test_find_and_remove(tmp_path: Path) -> None:
    ids = [
        history.record("build", {"": recorded_result(version=f"1.0.{i}")}, root=tmp_path, now=1_700_000_000 + i)
        for i in range(3)
    ]
    assert history.find(None, tmp_path).version == "1.0.2"
    assert history.find("-2", tmp_path).version == history.find("last~1", tmp_path).version == "1.0.1"
    assert history.find("last", tmp_path).version == "1.0.2"
    assert [r.version for r in history.same_target(history.find("-2", tmp_path), tmp_path)] == ["1.0.0", "1.0.1"]
    with pytest.raises(BuildorchError, match="3 build records match"):
        history.find("2023", tmp_path)
    assert history.remove([ids[0].id], tmp_path) == [ids[0].id]  # type: ignore[union-attr]
    assert len(history.record_paths(tmp_path)) == 2
    assert len(history.remove([], tmp_path, everything=True)) == 2
    with pytest.raises(BuildorchError, match="no build records"):
        history.find(None, tmp_path)


def test_records_can_be_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILDORCH_HISTORY", "0")
    assert history.record("build", {"": recorded_result()}) is None
