"""``buildorch build --report`` on the real stack, opened in headless Chromium: bars, cached steps, no network."""

from __future__ import annotations

import json
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.chromium import CHROMIUM, Watch, chromium
from tests.integration.helpers import APP, buildorch, docker

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed: run scripts/stack up"),
]

PLATFORMS = ("linux/amd64", "linux/arm64")


def lane(platform: str) -> str:
    """The lane a step is drawn in: ``linux/amd64->arm64`` (cross-compiling) is linux/arm64's."""
    if "->" in platform:
        host, _, arch = platform.partition("->")
        return f"{host.split('/')[0]}/{arch}"
    return platform


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo app for two platforms, with a new VERSION: the go build runs, the steps before it are cached."""
    tmp = tmp_path_factory.mktemp("report")
    tag = f"buildorch-it-report-{uuid.uuid4().hex[:8]}:1.0.0"
    env = {"BUILDORCH_HISTORY_DIR": str(tmp / "history"), "BUILDORCH_CACHE_DIR": str(tmp / "cache")}
    report = tmp / "report.html"
    r = buildorch("build", "app", "--platform", ",".join(PLATFORMS), "-t", tag, "--version", f"1.0.0-{uuid.uuid4().hex[:6]}",
                  "--progress", "quiet", "--json", "--report", str(report), env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    records = list((tmp / "history").glob("*.json"))
    yield {"result": json.loads(r.stdout), "report": report, "record": json.loads(records[0].read_text()), "tmp": tmp}
    docker("image", "rm", "-f", tag, check=False)


def test_the_report_names_itself_and_the_record(built: dict[str, Any]) -> None:
    assert built["report"].is_file()
    assert built["record"]["kind"] == "build"
    assert built["record"]["results"][""]["steps_total"] == built["result"]["steps_total"]


def test_chromium_shows_one_bar_per_executed_step_per_platform_and_asks_no_network(built: dict[str, Any]) -> None:
    watch = Watch()
    try:
        r = chromium(built["report"].as_uri(), "--dump-dom", watch=watch)
        time.sleep(0.3)
    finally:
        watch.close()
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert "<svg" in dom and "Timeline" in dom
    steps = [s for s in built["result"]["steps"] if s["started"] is not None]
    executed = [s for s in steps if not s["cached"]]
    assert executed, "a new VERSION makes the go build run"
    assert any(s["cached"] for s in steps), "the steps before the go build come from the cache"
    for platform in PLATFORMS:
        run = [s for s in executed if s["platform"] and lane(s["platform"]) == platform]
        cached = [s for s in steps if s["cached"] and s["platform"] and lane(s["platform"]) == platform]
        where = f'data-lane="" data-platform="{re.escape(platform)}"'
        bars = re.findall(rf'<rect class="bar run[^"]*" {where}[^>]*data-cached="false"', dom)
        marked = re.findall(rf'<rect class="bar cached[^"]*" {where}[^>]*data-cached="true"', dom)
        assert len(bars) == len(run) >= 1, platform
        assert len(marked) == len(cached), platform
    assert len(re.findall(r'<rect class="bar run[^"]*critical', dom)) >= 1  # the critical path is marked
    assert watch.page_requests == [], watch.page_requests


def test_a_page_that_asks_the_network_is_caught(tmp_path: Path) -> None:
    """The check above can fail: a page with a remote image is seen asking for it."""
    page = tmp_path / "remote.html"
    page.write_text('<html><body><img src="http://registry.example.invalid/x.png"></body></html>')
    watch = Watch()
    try:
        chromium(page.as_uri(), "--dump-dom", watch=watch)
        time.sleep(0.3)
    finally:
        watch.close()
    assert any("registry.example.invalid" in req for req in watch.page_requests), watch.requests


def test_the_screenshot_is_1280_wide(built: dict[str, Any]) -> None:
    png = built["tmp"] / "report.png"
    r = chromium(built["report"].as_uri(), "--window-size=1280,1500", f"--screenshot={png}")
    assert r.returncode == 0 and png.is_file(), r.stderr[-2000:]
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(head[16:20], "big") == 1280


def test_report_from_history_as_markdown(built: dict[str, Any]) -> None:
    env = {"BUILDORCH_HISTORY_DIR": str(built["tmp"] / "history")}
    r = buildorch("report", "--last", "--format", "md", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("## build buildorch-it-report-")
    ls = buildorch("history", "ls", "--json", env=env)
    assert [e["kind"] for e in json.loads(ls.stdout)] == ["build"]


def test_the_report_prints_on_a4(built: dict[str, Any]) -> None:
    pdf = built["tmp"] / "report.pdf"
    r = chromium(built["report"].as_uri(), "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert r.returncode == 0 and pdf.is_file(), r.stderr[-2000:]
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert boxes and all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)  # A4 in points (@page)


BAKE = """
group "default" {{
  targets = ["one", "two", "three"]
}}
{targets}
"""
TARGET = """
target "{name}" {{
  context           = "."
  dockerfile-inline = "FROM golang:1.26-bookworm\\nRUN echo shared-by-all\\nRUN echo {name} {nonce}\\n"
  output            = ["type=cacheonly"]
}}
"""


def test_a_three_target_bake_report_has_a_lane_per_target(tmp_path: Path) -> None:
    nonce = uuid.uuid4().hex[:8]
    (tmp_path / "docker-bake.hcl").write_text(
        BAKE.format(targets="".join(TARGET.format(name=n, nonce=nonce) for n in ("one", "two", "three")))
    )
    env = {"BUILDORCH_HISTORY_DIR": str(tmp_path / "history"), "BUILDORCH_CACHE_DIR": str(tmp_path / "cache")}
    report = tmp_path / "bake.html"
    r = buildorch("bake", "--version", "1.0.0", "--progress", "quiet", "--report", str(report), cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    record = json.loads(next((tmp_path / "history").glob("*.json")).read_text())
    assert record["kind"] == "bake" and sorted(record["name"].split("+")) == ["one", "three", "two"]
    dom = chromium(report.as_uri(), "--dump-dom").stdout
    for target in ("one", "two", "three"):
        steps = [s for s in record["results"][target]["steps"] if s["started"] is not None]
        run = re.findall(rf'<rect class="bar run[^"]*" data-lane="{target}"', dom)
        cached = re.findall(rf'<rect class="bar cached[^"]*" data-lane="{target}"', dom)
        assert len(run) == sum(1 for s in steps if not s["cached"]) >= 1, target  # its own RUN with the nonce
        assert len(run) + len(cached) == len(steps), target


def test_a_release_report_draws_the_release(tmp_path: Path) -> None:
    """A release to the local registry with --report: its build's timeline and the released index."""
    from tests.integration.test_release import git

    repo = tmp_path / "app"
    shutil.copytree(APP, repo)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "app")
    image = f"localhost:5000/report-{uuid.uuid4().hex[:8]}/app"
    env = {"BUILDORCH_HISTORY_DIR": str(tmp_path / "history"), "BUILDORCH_CACHE_DIR": str(tmp_path / "cache")}
    report = tmp_path / "release.html"
    r = buildorch("release", "--version", "1.0.0", "--image", image, str(repo), "--output-dir", str(tmp_path / "out"),
                  "--progress", "quiet", "--json", "--report", str(report), env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    released = json.loads(r.stdout)
    kinds = sorted(json.loads(p.read_text())["kind"] for p in (tmp_path / "history").glob("*.json"))
    assert kinds == ["build", "release"]  # the release's build leaves its own record too
    dom = chromium(report.as_uri(), "--dump-dom").stdout
    assert f"release {image}" in dom and released["index_digest"] in dom
    for platform, img in released["platforms"].items():
        assert img["digest"] in dom
        assert re.search(rf'<rect class="bar [^"]*" data-lane="" data-platform="{re.escape(platform)}"', dom), platform
