"""The live view drawn at fixed widths from recorded rawjson (tests/data/rawjson), and how it ends."""

from __future__ import annotations

import base64
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from buildorch.builds.display import PlainRenderer, make_renderer
from buildorch.builds.live import ASCII, Frame, LiveRenderer, Region
from buildorch.builds.progress import ProgressTracker, Vertex
from buildorch.builds.rows import build_groups
from tests.recorded import RAWJSON_DATA as DATA
from tests.screen import HEADER, SPINNER, bad_rows, step_rows
from tests.unit.builds.test_rows import PLATFORMS, start_of

TITLE = "build app:1.2.3"


def replay(name: str, until: Callable[[ProgressTracker], bool] | None = None) -> ProgressTracker:
    """Feed a recording, stopping after the first document at which ``until`` holds."""
    t = ProgressTracker(started_at=start_of(name))
    with open(DATA / name) as f:
        for line in f:
            if t.feed(line) and until is not None and until(t):
                return t
    t.finish()
    return t


def compiling(t: ProgressTracker) -> bool:
    """Both platforms' go build running."""
    running = [v for v in t.vertexes.values() if "builder 6/6" in v.name and v.state == "running"]
    return len(running) == 2


def builder(t: ProgressTracker, platform: str) -> Vertex:
    return next(v for v in t.vertexes.values() if v.name.startswith(f"[{platform} builder 6/6]"))


def log(t: ProgressTracker, v: Vertex, text: str) -> None:
    data = base64.b64encode(text.encode()).decode()
    t.feed(json.dumps({"logs": [{"vertex": v.digest, "stream": 1, "data": data}]}) + "\n")


def render(lines: list, width: int) -> str:
    c = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    for line in lines:
        c.print(line, soft_wrap=True)
    return c.export_text()


def frame_text(t: ProgressTracker, width: int, height: int = 40, later: float = 42.0) -> str:
    started = builder(t, "linux/amd64").started or 0.0
    groups = build_groups(t.lanes(), PLATFORMS)
    lines = Frame(TITLE, PLATFORMS).lines(groups, width, height, now=started + later, elapsed=later + 1.0)
    assert all(line.cell_len <= width - 1 for line in lines)
    return render(lines, width)


@pytest.mark.parametrize("width", [48, 60, 80, 120, 200])
def test_every_row_keeps_state_platform_step_and_duration_whole(width: int) -> None:
    t = replay("app_cold_push.json", compiling)
    log(t, builder(t, "linux/amd64->arm64"), "# github.com/buildorch/app\n\x1b[1mcompiling\x1b[0m main.go\n")
    text = frame_text(t, width)
    assert not bad_rows(text), text
    rows = step_rows(text)
    assert len(rows) == 10
    head = text.splitlines()
    assert head[0].startswith(TITLE + " · a" if width < 80 else TITLE + " · amd64, arm64"), head  # the title gives way first
    counts = HEADER.search(head[0] if width > 50 else head[1])  # too narrow for one line: two
    assert counts and counts.groupdict() == {"done": "3", "cached": "1", "total": "10", "elapsed": "43.0s"}
    running = [m for m in rows if m.group("state") in SPINNER]
    assert {(m.group("platform"), m.group("step"), m.group("duration")) for m in running} == {
        ("amd64", "6/6", "42.0s"), ("amd64→arm64", "6/6", "42.0s")
    }
    assert "↳ compiling main.go" in text  # the latest log line, under its step, without escape codes
    assert [m.group("platform") for m in rows] == ["amd64"] * 7 + ["amd64→arm64", "arm64", "arm64"]
    if width > 50:
        assert all(m.group("stage") in ("builder", "runtime") for m in rows)
    else:  # the stage gives way first
        assert all(m.group("stage") is None for m in rows)


def test_internal_loads_show_while_they_run() -> None:
    t = replay("app_cold_push.json", compiling)
    t.feed('{"vertexes":[{"digest":"m1","name":"[linux/arm64 internal] load metadata for docker.io/library/golang:1.26",'
           '"started":"2026-11-29T18:40:00Z"}]}\n')
    text = frame_text(t, 80)
    assert text.splitlines()[1].startswith("⠋ arm64                    ") and not bad_rows(text)


def test_the_finished_frame_at_80_columns() -> None:
    text = frame_text(replay("app_cold_push.json"), 80)
    assert text.splitlines()[1:] == [
        "↺ amd64       builder 2/6 cached WORKDIR /src",
        "✓ amd64       builder 3/6   0.3s COPY go.mod go.sum* ./",
        "✓ amd64       builder 4/6   0.4s RUN go mod download",
        "✓ amd64       builder 5/6   0.1s COPY . .",
        "✓ amd64       builder 6/6  1m44s RUN CGO_ENABLED=0 GOOS=linux G…o /build/main .",
        "✓ amd64       runtime 1/2   0.1s COPY --from=builder /etc/ssl/c…/etc/ssl/certs/",
        "✓ amd64       runtime 2/2   0.0s COPY --from=builder /build/main /app",
        "✓ amd64→arm64 builder 6/6  1m46s RUN CGO_ENABLED=0 GOOS=linux G…o /build/main .",
        "↺ arm64       runtime 1/2 cached COPY --from=builder /etc/ssl/c…/etc/ssl/certs/",
        "✓ arm64       runtime 2/2   0.1s COPY --from=builder /build/main /app",
        "✓                           1.8s exporting to image",
        "✓                           4.9s exporting cache to client directory",
        "✓                           0.2s pushing localhost:5000/i22-rec…old with docker",
    ]


def test_bytes_and_a_bar_for_a_transfer() -> None:
    t = replay("app_cold_push.json", compiling)
    v = builder(t, "linux/amd64")
    for i, (cur, tot) in enumerate([(3_000_000, 12_000_000), (500_000, 1_000_000)]):
        t.feed(json.dumps({"statuses": [{"id": f"sha256:layer{i}", "vertex": v.digest, "current": cur, "total": tot,
                                         "started": "2026-11-29T18:40:00Z"}]}) + "\n")
    text = frame_text(t, 120)
    assert "↳ sha256:layer1 0/2 3.5 MB/13.0 MB ━━━─────── 26%" in text


def test_a_short_terminal_shows_the_running_rows_and_says_what_it_left_out() -> None:
    t = replay("app_cold_push.json", compiling)
    text = frame_text(t, 80, height=8)
    lines = text.splitlines()
    assert len(lines) == 7 and HEADER.search(lines[0])
    assert re.match(r"^  … \d+ rows not shown \(finished first\)$", lines[1])
    assert {m.group("platform") for m in step_rows(text) if m.group("state") in SPINNER} == {"amd64", "amd64→arm64"}


def terminal(width: int = 80, height: int = 30, encoding: str = "utf-8") -> tuple[Console, io.StringIO]:
    class Out(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self._encoding = encoding

        @property
        def encoding(self) -> str:  # type: ignore[override]
            return self._encoding

    out = Out()
    return Console(file=out, width=width, height=height, force_terminal=True, color_system="standard"), out


def run(name: str, console: Console) -> tuple[LiveRenderer, ProgressTracker]:
    r = LiveRenderer(io.StringIO(), title=TITLE, platforms=PLATFORMS, console=console)
    t = ProgressTracker(started_at=start_of(name))
    with open(DATA / name) as f:
        for line in f:
            r.update(t, t.feed(line), line)
    t.finish()
    r.draw()
    r.close(t)
    return r, t


def after_last_erase(out: str) -> str:
    """What stays on screen: everything written after the last "erase to the end of the screen"."""
    return out.rsplit("\x1b[J", 1)[-1]


def test_a_build_that_succeeds_leaves_no_frame_behind() -> None:
    console, out = terminal()
    run("app_warm.json", console)
    text = out.getvalue()
    assert "\x1b[?25l" in text and text.endswith("\x1b[?25h")  # the cursor, hidden while drawing, comes back
    assert "builder 6/6" in text  # a frame was drawn...
    assert after_last_erase(text) == "\x1b[?25h"  # ...and erased: the summary comes next


def test_a_failed_build_leaves_the_failed_step_its_exit_code_and_log_tail() -> None:
    console, out = terminal()
    run("app_failed.json", console)
    left = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", after_last_erase(out.getvalue())).splitlines()
    assert left[0].startswith(f"✗ failed: {TITLE} · amd64, arm64")
    assert left[1] == "✗ amd64→arm64 builder 6/6   0.8s RUN CGO_ENABLED=0 GOOS=linux G…o /build/main ."
    assert left[2:] == ["  exit code 1 · its last 2 log lines:", "  │ # github.com/buildorch/app",
                        "  │ ./broken.go:3:17: undefined: undefinedThing"]


def test_no_color_means_no_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    out = io.StringIO()
    r = LiveRenderer(out, title=TITLE, platforms=PLATFORMS, force=True)
    t = replay("app_failed.json")
    r.update(t, [], "")
    r.draw()
    r.close(t)
    codes = [p for seq in re.findall(r"\x1b\[([0-9;]*)m", out.getvalue()) for p in seq.split(";") if p]
    assert codes and not [c for c in codes if c.startswith(("3", "4", "9")) and c not in ("39", "49")]


def test_a_terminal_without_unicode_gets_ascii() -> None:
    console, out = terminal(encoding="ascii")
    r, _ = run("app_failed.json", console)
    assert r.frame.g is ASCII
    text = out.getvalue()
    text.encode("ascii")
    plain = re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", text)
    assert "x amd64->arm64 builder 6/6" in plain and "  | ./broken.go:3:17" in plain


def test_a_narrower_terminal_is_redrawn_from_the_top_of_the_reflowed_frame() -> None:
    console, out = terminal(width=120)
    region = Region(console)
    from rich.text import Text

    region.draw([Text("x" * 100), Text("y" * 100)])
    console.size = (50, 30)  # each line now wraps onto two rows
    region.clear()
    assert out.getvalue().endswith("\r\x1b[3A\x1b[J")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_which_view(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TERM", "xterm-256color")
    assert isinstance(make_renderer("auto", Tty()), LiveRenderer)
    assert isinstance(make_renderer("tty", io.StringIO()), LiveRenderer)
    assert isinstance(make_renderer("auto", io.StringIO()), PlainRenderer)  # not a terminal: plain lines, as before
    monkeypatch.setenv("TERM", "dumb")  # no cursor movement: plain lines
    assert isinstance(make_renderer("auto", Tty()), PlainRenderer)
    assert isinstance(make_renderer("tty", Tty()), PlainRenderer)


def test_the_cli_does_not_repeat_a_log_tail_the_view_left_on_screen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from buildorch.builds import runner
    from buildorch.cli.app import main
    from buildorch.core.errors import BuildFailed

    (tmp_path / "Dockerfile").write_text("FROM scratch\n")

    def failing(plan: object, **_: object) -> None:
        err = BuildFailed("step [2/2] RUN exit 7 failed (exit code 7)", "fix the step", details=["missing header"])
        err.details_shown = shown
        raise err

    monkeypatch.setattr(runner, "run_plan", failing)
    for shown in (True, False):
        assert main(["build", str(tmp_path), "--cache", "none", "--version", "1.0.0"]) == 1
        err = capsys.readouterr().err
        assert "error: step [2/2] RUN exit 7 failed (exit code 7)" in err and "hint: fix the step" in err
        assert ("  | missing header" in err) is not shown


@pytest.mark.parametrize(("page", "before"), [("docs/build.md", "<!-- live-frame -->"), ("README.md", "(more in [Building]")])
def test_the_frames_in_the_docs_are_ones_the_view_draws(page: str, before: str) -> None:
    from tests.recorded import ROOT

    text = (ROOT / page).read_text()
    frame = text.split(before, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    assert HEADER.search(frame.splitlines()[0]) and not bad_rows(frame)
    assert len(step_rows(frame)) == 10 and all(len(line) < 80 for line in frame.splitlines())
