"""The live view's rows, worked out from recorded rawjson (tests/data/rawjson: the demo app, buildx 0.13.1)."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from buildorch.builds.progress import ProgressTracker
from buildorch.builds.rows import (
    build_groups,
    cells,
    clean_log,
    fold,
    short_platform,
    shorten,
    slowest_lines,
    split_name,
    target_platform,
)
from buildorch.builds.spec import StepResult
from buildorch.core.units import human_duration
from tests.recorded import RAWJSON_DATA as DATA

PLATFORMS = ["linux/amd64", "linux/arm64"]
RUN = (
    "[linux/amd64->arm64 builder 6/6] RUN --mount=type=cache,target=/go/pkg/mod     "
    "--mount=type=cache,target=/root/.cache/go-build     CGO_ENABLED=0 GOOS=linux GOARCH=arm64     go build -o /build/main ."
)


def start_of(name: str) -> float:
    """When the recorded build began: its first vertex start."""
    m = re.search(r'"started": "([^"]+)"', (DATA / name).read_text())
    assert m is not None
    return datetime.fromisoformat(m.group(1)[:26] + "+00:00").timestamp()


def track(name: str) -> ProgressTracker:
    t = ProgressTracker(started_at=start_of(name))
    with open(DATA / name) as f:
        for line in f:
            t.feed(line)
    t.finish()
    return t


def test_a_name_taken_apart() -> None:
    n = split_name(RUN)
    assert (n.platform, n.stage, n.step, n.internal) == ("linux/amd64->arm64", "builder", "6/6", False)
    assert n.text == "RUN CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -o /build/main ."
    assert split_name("[2/2] RUN exit 3").platform is None and split_name("[2/2] RUN exit 3").step == "2/2"
    assert split_name("[linux/amd64 internal] load metadata for x").internal
    assert not split_name("exporting to image").labelled


def test_mount_flags_are_folded_quoted_or_not() -> None:
    assert fold("RUN --mount=type=secret,id=x,target=\"/a b\"  --network=none  make") == "RUN --network=none make"


@pytest.mark.parametrize(
    ("platform", "short", "target"),
    [
        ("linux/amd64", "amd64", "linux/amd64"),
        ("linux/amd64->arm64", "amd64→arm64", "linux/arm64"),
        ("linux/arm/v7", "arm/v7", "linux/arm/v7"),
        ("windows/amd64", "windows/amd64", "windows/amd64"),
        (None, None, None),
    ],
)
def test_platform_short_names(platform: str | None, short: str | None, target: str | None) -> None:
    assert short_platform(platform) == short and target_platform(platform) == target


def test_shorten_cuts_in_the_middle_by_terminal_columns() -> None:
    text = "COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/"
    cut = shorten(text, 30)
    assert cells(cut) == 30 and cut.startswith("COPY --from=builder") and cut.endswith("certs/") and "…" in cut
    assert shorten(text, 200) == text
    assert cells(shorten("日本語のテキストです", 9)) <= 9  # wide characters take two columns
    assert shorten("abcdef", 4, "...", middle=False) == "a..."
    assert shorten("abcdef", 2, "...") == ".."


def test_log_lines_lose_escape_codes_and_carriage_returns() -> None:
    assert clean_log("\x1b[32m 10%\r\x1b[32m 55%\x1b[0m\tdone\x07") == "55%    done"


def test_durations_fit_six_columns() -> None:
    assert [human_duration(s) for s in (0.04, 9.95, 59.96, 754, 7325)] == ["0.0s", "9.9s", "1m00s", "12m34s", "2h02m"]
    assert all(len(human_duration(s)) <= 6 for s in (0, 59.9, 3599, 3600 * 99))


def test_rows_come_in_build_order_grouped_by_platform() -> None:
    (group,) = build_groups(track("app_cold_push.json").lanes(), PLATFORMS)
    steps = [(r.platform, r.stage, r.step) for r in group.rows if r.kind == "step"]
    assert steps == [
        ("amd64", "builder", "2/6"), ("amd64", "builder", "3/6"), ("amd64", "builder", "4/6"),
        ("amd64", "builder", "5/6"), ("amd64", "builder", "6/6"), ("amd64", "runtime", "1/2"), ("amd64", "runtime", "2/2"),
        ("amd64→arm64", "builder", "6/6"), ("arm64", "runtime", "1/2"), ("arm64", "runtime", "2/2"),
    ]
    outputs = [r for r in group.rows if r.kind == "output"]
    assert [r.text for r in outputs] == [
        "exporting to image", "exporting cache to client directory", "pushing localhost:5000/i22-rec:cold with docker"
    ]
    push = outputs[-1].transfer
    assert push is not None and push.count == 5 and push.done == 5 and push.label.startswith("pushing layer ")
    assert (group.count("done"), group.count("cached"), group.total) == (8, 2, 10)


def test_finished_internal_loads_and_idle_from_lines_are_left_out() -> None:
    (group,) = build_groups(track("app_cold_push.json").lanes(), PLATFORMS)
    assert not [r for r in group.rows if r.kind == "setup" or r.text.startswith("FROM ")]


def test_another_builds_twin_steps_are_left_out() -> None:
    # recorded while another build of the same graph ran: its [builder 3/6] (no platform, old timestamps) came along
    t = track("app_concurrent.json")
    assert t.steps_total == 10 and t.steps_cached == 6
    assert "[builder 3/6] COPY go.mod go.sum* ./" in {v.name for v in t.vertexes.values()}
    (group,) = build_groups(t.lanes(), PLATFORMS)
    own = [r.step for r in group.rows if r.stage == "builder" and r.platform != "amd64→arm64"]
    assert own == ["2/6", "3/6", "4/6", "5/6", "6/6"]


def test_a_failed_step_has_its_exit_code_and_the_canceled_sibling_is_told_apart() -> None:
    (group,) = build_groups(track("app_failed.json").lanes(), PLATFORMS)
    failed = [r for r in group.rows if r.state == "error"]
    canceled = [r for r in group.rows if r.state == "canceled"]
    assert [(r.platform, r.step, r.exit_code) for r in failed] == [("amd64→arm64", "6/6", 1)]
    assert [(r.platform, r.step) for r in canceled] == [("amd64", "6/6")]


def test_a_single_platform_build_names_its_platform_or_the_host() -> None:
    t = ProgressTracker(started_at=0.0)
    t.feed('{"vertexes":[{"digest":"d1","name":"[builder 2/3] RUN x","started":"2026-11-28T15:31:28Z"}]}\n')
    assert build_groups(t.lanes(), ["linux/arm64"])[0].rows[0].platform == "arm64"
    assert build_groups(t.lanes(), [])[0].rows[0].platform == "host"
    assert build_groups(t.lanes(), PLATFORMS)[0].rows[0].platform == "all"


def test_the_three_slowest_steps_fit_the_width() -> None:
    steps = [
        StepResult(name="[builder 6/6] RUN " + "x" * 200, platform="linux/amd64->arm64", cached=False, duration_seconds=30.0),
        StepResult(name="[builder 6/6] RUN go build", platform="linux/amd64", cached=False, duration_seconds=29.4),
        StepResult(name="[builder 2/6] WORKDIR /src", platform="linux/amd64", cached=True, duration_seconds=99.0),
        StepResult(name="[runtime 2/2] COPY --from=builder /build/main /app", platform="linux/arm64", cached=False,
                   duration_seconds=0.1),
        StepResult(name="[runtime 1/2] COPY a b", platform="linux/arm64", cached=False, duration_seconds=0.05),
    ]
    lines = slowest_lines([(None, s) for s in steps], "  ", 80)
    assert lines[0] == "  slowest steps:" and len(lines) == 4
    assert lines[1].startswith("    30.0s  amd64→arm64  builder 6/6  RUN xxx") and len(lines[1]) <= 79
    assert lines[2] == "    29.4s  amd64        builder 6/6  RUN go build"
    assert lines[3] == "     0.1s  arm64        runtime 2/2  COPY --from=builder /build/main /app"
    assert slowest_lines([]) == []


def test_one_step_under_one_name_twice_counts_once() -> None:
    t = ProgressTracker(started_at=0.0)
    for digest, extra in (("d1", {"cached": True}), ("d2", {"completed": "2026-11-29T18:40:03Z"})):
        v = {"digest": digest, "name": "[linux/amd64 builder 5/6] COPY . .", "started": "2026-11-29T18:40:00Z", **extra}
        t.feed(json.dumps({"vertexes": [v]}) + "\n")
    assert t.steps_total == 1 and t.steps[0].digest == "d2"  # the one that ran
    assert [r.state for r in build_groups(t.lanes(), PLATFORMS)[0].rows] == ["done"]
