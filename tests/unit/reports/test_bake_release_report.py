"""Reports of a bake (one lane per target and platform) and of a release, from recorded progress."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from buildorch.bakes import runner as bake_runner
from buildorch.bakes.models import BakeDefinition, BakeSpec
from buildorch.bakes.plan import BakePlan
from buildorch.builds import history
from buildorch.core.versioning import VersionInfo
from buildorch.engine import buildx
from buildorch.reports.html import render_html
from buildorch.reports.markdown import render_markdown
from buildorch.reports.timeline import lane_platform
from tests.recorded import BAKE_DATA
from tests.unit.bakes.test_progress import track
from tests.unit.builds.test_history import recorded_result


def test_a_bake_report_has_a_lane_per_target_and_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buildx, "image_inspect", lambda ref: {"Id": "sha256:" + "1" * 64, "Size": 3_078_285})
    definition = BakeDefinition.model_validate_json((BAKE_DATA / "bakefile_injected.print.json").read_text())
    plan = BakePlan(
        spec=BakeSpec(), version=VersionInfo("1.2.3", "2026-01-02T03:04:05Z", 1767323045, "explicit", "explicit"),
        files=[], env={}, base_flags=["buildx", "bake"], baseline=definition, definition=definition, targets={},
        metadata_file=Path("/nonexistent"),
    )
    meta = json.loads((BAKE_DATA / "default_group.metadata.json").read_text())
    t = track("default_group")
    results = {n: bake_runner.target_result(plan, n, t, meta.get(n) or {}, 99.0) for n in definition.target}
    rec = history.record("bake", results, root=tmp_path)
    assert rec is not None and rec.name == "app+app-test"
    html = render_html(rec, [rec])
    for target, r in results.items():
        for s in r.steps:
            if s.started is None:
                continue
            platform = lane_platform(s, r.platforms)
            kind = "cached" if s.cached else "run"
            pattern = rf'class="bar {kind}[^"]*" data-lane="{target}" data-platform="{re.escape(platform)}" data-step="'
            assert re.search(pattern, html), (target, s.name)
        bars = re.findall(rf'<rect class="bar [^"]*" data-lane="{target}"', html)
        assert len(bars) == sum(1 for s in r.steps if s.started is not None)
    assert "app · linux/arm64" in html and "app-test · " in html
    assert render_markdown(rec, [rec]).startswith("## bake app+app-test 1.2.3")


def test_a_release_report_shows_the_released_index_and_sizes(tmp_path: Path) -> None:
    built = recorded_result()
    extra = {"index_digest": "sha256:" + "a" * 64,
             "platforms": {"linux/amd64": {"digest": "sha256:" + "b" * 64, "size_bytes": 3_100_000},
                           "linux/arm64": {"digest": "sha256:" + "c" * 64, "size_bytes": 2_900_000}}}
    rec = history.record("release", {"": built}, name="localhost:5000/app", extra=extra, root=tmp_path)
    assert rec is not None
    html = render_html(rec, [rec])
    assert "released index" in html and "a" * 64 in html
    assert "3.1 MB" in html and "2.9 MB" in html and "c" * 64 in html
    assert html.count('class="bar run') == sum(1 for s in built.steps if s.started is not None and not s.cached)
