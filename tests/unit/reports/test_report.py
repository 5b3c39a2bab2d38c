"""Reports of build records, from recorded rawjson: timeline bars, critical path, cache miss, trend; HTML and Markdown."""

from __future__ import annotations

import re
from itertools import pairwise
from pathlib import Path

from buildorch.builds import history
from buildorch.reports.html import render_html
from buildorch.reports.markdown import render_markdown
from buildorch.reports.timeline import first_cache_miss, timeline
from tests.unit.builds.test_history import recorded_result


def _records(tmp_path: Path) -> list[history.BuildRecord]:
    out = []
    for i, (name, size) in enumerate([("multiplatform_cold.json", 6_000_000), ("multiplatform_cached.json", 6_100_000)]):
        r = recorded_result(name, version=f"1.0.{i}")
        r.size_bytes = size
        r.build_args = {"VERSION": f"1.0.{i}"}
        rec = history.record("build", {"": r}, root=tmp_path, now=1_700_000_000 + i)
        assert rec is not None
        out.append(rec)
    return out


def test_one_bar_per_step_per_platform_with_cached_ones_apart(tmp_path: Path) -> None:
    rec = _records(tmp_path)[0]
    t = timeline(rec)
    steps = [s for s in rec.results[""].steps if s.started is not None]
    assert len(t.bars) == len(steps)
    assert {ln.platform for ln in t.lanes} == {"linux/amd64", "linux/arm64"}
    html = render_html(rec, [rec])
    for platform in ("linux/amd64", "linux/arm64"):
        run = [s for s in steps if s.platform == platform and not s.cached]
        cached = [s for s in steps if s.platform == platform and s.cached]
        assert len(re.findall(rf'class="bar run[^"]*" data-lane="" data-platform="{platform}"', html)) == len(run)
        assert len(re.findall(rf'class="bar cached[^"]*" data-lane="" data-platform="{platform}"', html)) == len(cached)


def test_the_critical_path_is_a_chain_ending_with_the_last_step(tmp_path: Path) -> None:
    t = timeline(_records(tmp_path)[0])
    critical = sorted((b for b in t.bars if b.critical), key=lambda b: b.start)
    assert critical
    assert critical[-1].end == max(b.end for b in t.bars if not b.cached)
    assert all(a.end <= b.start + 0.05 for a, b in pairwise(critical))


def test_the_first_cache_miss_names_the_step_and_what_changed(tmp_path: Path) -> None:
    first, second = _records(tmp_path)
    miss = first_cache_miss(second, first)
    if miss is not None:  # the cached recording may have run nothing
        assert miss.reasons[0].startswith("instruction: ")
        assert "build arg VERSION: '1.0.0' -> '1.0.1'" in miss.reasons
    cold = first_cache_miss(first, None)
    assert cold is not None and "no earlier build of this target is recorded" in cold.reasons


def test_the_html_is_self_contained_and_has_the_panels(tmp_path: Path) -> None:
    recs = _records(tmp_path)
    html = render_html(recs[1], recs)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # nothing fetched
    assert "<script" not in html and "@import" not in html and "url(" not in html
    for part in ("Timeline", "Summary", "Images", "Warnings", "Trend: the last builds of app", "Steps", "@page{size:A4"):
        assert part in html
    assert html.count('class="point"') == 2  # one per build in the trend
    assert "6.1 MB" in html and "1.0.0" in html


def test_markdown_for_ci_summaries(tmp_path: Path) -> None:
    recs = _records(tmp_path)
    md = render_markdown(recs[0], recs[:1])
    assert md.startswith("## build app 1.0.0\n")
    assert "| steps cached |" in md and "critical path" in md and "**First cache miss**" in md
