"""Bake progress and results, against rawjson and metadata recorded from buildx 0.13.1 (tests/data/bake)."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from buildorch.bakes import runner as bake_runner
from buildorch.bakes.models import BakeDefinition, BakeSpec
from buildorch.bakes.plan import BakePlan
from buildorch.bakes.progress import BakeTracker
from buildorch.builds import describe
from buildorch.builds.display import PlainRenderer
from buildorch.builds.failures import translate_failure
from buildorch.core.errors import BuildFailed, BuildorchError
from buildorch.core.versioning import VersionInfo
from buildorch.engine import buildx
from tests.recorded import BAKE_DATA as DATA

TARGETS = ["app", "app-test", "ok", "bad"]


def run_start(name: str) -> float:
    """When the recorded bake began: its first vertex start ("[internal] load local bake definitions")."""
    m = re.search(r'"started": "([^"]+)"', (DATA / f"{name}.rawjson").read_text())
    assert m is not None
    return datetime.fromisoformat(m.group(1)[:26] + "+00:00").timestamp()


def track(name: str, out: io.StringIO | None = None, targets: list[str] = TARGETS) -> BakeTracker:
    # from the real start: vertexes BuildKit replays from earlier builds count as cached
    t = BakeTracker(targets, started_at=run_start(name))
    r = PlainRenderer(out) if out is not None else None
    with open(DATA / f"{name}.rawjson") as f:
        for line in f:
            changed = t.feed(line)
            if r is not None:
                r.update(t, changed, line)
    t.finish()
    return t


def test_vertex_names_carry_the_target() -> None:
    t = track("default_group")
    assert {t.target_of.get(k) for k in t.vertexes} == {"app", "app-test", None}  # None: "[internal] load local bake definitions"
    step = next(v for v in t.vertexes.values() if v.name.startswith("[app linux/amd64->arm64 builder 6/6]"))
    bare = t.bare(step)
    assert bare.name.startswith("[linux/amd64->arm64 builder 6/6] RUN") and bare.platform == "linux/amd64->arm64"
    export = next(v for v in t.vertexes.values() if v.name == "[app] exporting to image")
    assert t.bare(export).name == "exporting to image"


def test_a_vertex_shared_by_two_targets_counts_for_both() -> None:
    t = track("default_group")
    digest = next(k.split(" ")[1] for k in t.vertexes if t.vertexes[k].name.startswith("[app builder 2/6] WORKDIR"))
    # one BuildKit vertex, reported in both targets' streams: one tracked vertex per target
    assert {t.target_of[k] for k in t.vertexes if k.endswith(f" {digest}")} == {"app", "app-test"}


def test_steps_per_target_on_a_partly_cached_run() -> None:
    t = track("default_group")
    app, test = t.view("app"), t.view("app-test")
    # builder 2/6..5/6 once (built on the build platform), 6/6 per platform, runtime 1/2 and 2/2 per platform
    assert (app.steps_total, app.steps_cached) == (10, 6)  # the go builds and the final COPYs ran (new VERSION)
    assert {s.platform for s in app.step_results()} == {None, "linux/amd64", "linux/amd64->arm64", "linux/arm64"}
    # builder 2/6..6/6 and test 1/1; the go build ran in a vertex shared with app (named with its platform)
    assert (test.steps_total, test.steps_cached) == (6, 4)
    ran = sorted((s.name.split("]")[0] + "]", s.platform) for s in test.step_results() if not s.cached)
    assert ran == [("[builder 6/6]", "linux/amd64"), ("[test 1/1]", None)]
    go_test = next(s for s in test.step_results() if s.name.startswith("[test 1/1]"))
    assert go_test.duration_seconds is not None and go_test.duration_seconds > 60


def test_steps_per_target_on_a_cached_rerun() -> None:
    t = track("default_group_cached")
    app, test = t.view("app"), t.view("app-test")
    assert app.steps_total == 10 and test.steps_total == 6
    # a canceled twin ("context canceled") is not counted; one tiny COPY did run again
    assert app.steps_cached == 9 and test.steps_cached == 5
    assert all(s.cached for s in test.step_results() if s.name.startswith(("[test 1/1]", "[builder 6/6]")))
    assert 0 < (t.span("app") or 0) < 10


def test_failed_target_is_named_with_its_step_and_log(tmp_path: Path) -> None:
    out = io.StringIO()
    t = track("failing", out)
    err = translate_failure(t, BuildorchError("docker buildx bake failed: ERROR: failed to solve"))
    assert isinstance(err, BuildFailed) and err.exit_code == 1
    assert err.message == "target bad: step [2/2] RUN echo about to fail && exit 3 failed (exit code 3)"
    assert err.details == ["about to fail"]
    log = out.getvalue()
    assert "ERROR [bad 2/2] RUN echo about to fail && exit 3" in log and "  | about to fail" in log
    assert "DONE  [ok 2/2] RUN echo fine" in log or "RUN   [ok 2/2] RUN echo fine" in log
    assert t.view("ok").steps_total == t.view("bad").steps_total == 1


def test_a_failed_cache_import_of_another_target_is_not_blamed() -> None:
    # buildx names a bake's vertexes with their target ("[ok] importing cache manifest ..."): the import that
    # failed (the build goes on without it) must not hide the step that failed the bake.
    t = BakeTracker(TARGETS, started_at=run_start("failing"))
    imp = {"digest": "sha256:" + "a" * 64, "name": "[ok] importing cache manifest from local:1",
           "started": "2026-11-28T15:42:41.7Z", "completed": "2026-11-28T15:42:41.8Z", "error": "not found"}  # fmt: skip
    t.feed(json.dumps({"vertexes": [imp]}) + "\n")
    with open(DATA / "failing.rawjson") as f:
        for line in f:
            t.feed(line)
    t.finish()
    err = translate_failure(t, BuildorchError("docker buildx bake failed: ERROR: failed to solve"))
    assert err.message == "target bad: step [2/2] RUN echo about to fail && exit 3 failed (exit code 3)"


def test_one_result_per_target_from_the_metadata_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildx, "image_inspect", lambda ref: {"Id": "sha256:" + "1" * 64, "Size": 3_078_285})
    monkeypatch.setattr(describe.containerd, "store_blob", lambda digest: None)  # a classic store: the engine is asked
    definition = BakeDefinition.model_validate_json((DATA / "bakefile_injected.print.json").read_text())
    plan = BakePlan(
        spec=BakeSpec(), version=VersionInfo("1.2.3", "2026-01-02T03:04:05Z", 1767323045, "explicit", "explicit"),
        files=[], env={}, base_flags=["buildx", "bake"], baseline=definition, definition=definition, targets={},
        metadata_file=Path("/nonexistent"),
    )
    meta = json.loads((DATA / "default_group.metadata.json").read_text())
    t = track("default_group")
    results = {n: bake_runner.target_result(plan, n, t, meta.get(n) or {}, 99.0) for n in definition.target}
    app, test = results["app"], results["app-test"]
    assert app.digest == meta["app"]["containerimage.digest"] and app.loaded and not app.pushed
    assert app.platforms == ["linux/amd64", "linux/arm64"] and app.target == "runtime"
    assert app.tags == ["localhost:5000/buildorch-app:1.2.3"] and app.size_bytes == 3_078_285
    assert app.build_args["SOURCE_DATE_EPOCH"] == "1767323045" and app.version == "1.2.3"
    assert app.cache_from == ["type=local,src=/cache/app-bake-app"]
    assert test.digest is None and not test.loaded and test.tags == [] and test.target == "test"
    assert (test.steps_total, test.steps_cached) == (6, 4)
    assert app.command[:3] == ["docker", "buildx", "bake"]


def test_a_single_target_bake_has_no_prefixes() -> None:
    t = track("single_target", targets=["app-test"])
    assert not any(v.name.startswith("[app-test") for v in t.vertexes.values())
    steps = t.view("app-test").step_results()
    assert len(steps) == 6
    # recorded with plain bake (no SOURCE_DATE_EPOCH arg): go test ran again, the rest came from the cache
    assert [s.name.split("]")[0] for s in steps if not s.cached] == ["[test 1/1"]


def test_a_buildx_crash_is_named_as_such() -> None:
    t = BakeTracker(["app", "base"])
    for line in ["panic: runtime error: invalid memory address or nil pointer dereference\n",
                 "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0xfccdb3]\n",
                 "golang.org/x/sync/errgroup/errgroup.go:75 +0x93\n"]:
        t.feed(line)
    err = translate_failure(t, BuildorchError("docker buildx bake failed: golang.org/x/sync/errgroup/errgroup.go:75 +0x93"))
    assert err.message == "docker buildx crashed: panic: runtime error: invalid memory address or nil pointer dereference"


def test_a_failed_push_is_told_the_same_way_by_build_and_bake() -> None:
    from buildorch.builds.progress import ProgressTracker
    from buildorch.core.errors import PushFailed

    # one translator: bake used to miss "pushing", which only build's regex knew
    for tracker in (ProgressTracker(started_at=0.0), BakeTracker(["app"], started_at=0.0)):
        tracker.feed("ERROR: failed to solve: pushing localhost:5000/app:1.2.3 with docker: connection refused\n")
        err = translate_failure(tracker, BuildorchError(f"docker buildx {tracker.what} failed"))
        assert isinstance(err, PushFailed) and err.exit_code == 4
        assert err.message == "push failed: failed to solve: pushing localhost:5000/app:1.2.3 with docker: connection refused"


def test_the_live_view_has_one_group_per_target_in_build_order() -> None:
    from buildorch.builds.rows import build_groups

    t = track("default_group", targets=["app", "app-test"])
    t.platforms = {"app": ["linux/amd64", "linux/arm64"], "app-test": []}
    groups = build_groups(t.lanes(), ["linux/amd64", "linux/arm64"])
    assert [g.name for g in groups] == [None, "app", "app-test"]  # None: the bake file's own load, before the targets
    app, test = groups[1], groups[2]
    assert [(r.platform, r.stage, r.step) for r in app.rows if r.kind == "step"][-3:] == [
        ("amd64→arm64", "builder", "6/6"), ("arm64", "runtime", "1/2"), ("arm64", "runtime", "2/2")
    ]
    assert [r.text for r in app.rows if r.kind == "output"] == ["exporting to image"]
    # app-test builds for the host: one lane in build order, the test after the builder it runs in
    assert [(r.stage, r.step) for r in test.rows] == [("builder", f"{n}/6") for n in range(2, 7)] + [("test", "1/1")]
    assert (test.total, app.total) == (6, 10)


def test_a_failed_bake_leaves_the_target_its_step_and_log(tmp_path: Path) -> None:
    from rich.console import Console

    from buildorch.builds.live import LiveRenderer

    out = io.StringIO()
    console = Console(file=out, width=80, height=30, force_terminal=True, color_system=None)
    t = track("failing", targets=["ok", "bad"])
    r = LiveRenderer(io.StringIO(), title="bake ok bad", console=console)
    r.update(t, [], "")
    r.close(t)
    left = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", out.getvalue().rsplit("\x1b[J", 1)[-1]).splitlines()
    assert left[0].startswith("✗ failed: bake ok bad")
    assert left[1].startswith("✗ host  2/2   0.6s RUN echo about to fail && exit 3")
    assert left[2:] == ["  target bad: exit code 3 · its last log line:", "  │ about to fail"]
