"""The live view in a real terminal: ``buildorch build`` of the demo app for two platforms, inside tmux.

tmux runs the command in a pane of a fixed size; ``capture-pane -p`` reads the
screen as a person would see it, during the build and after it. Each build gets a
new VERSION, so the go build step runs again (for both platforms) and there is
something to watch; ``--cache none`` leaves no cache behind.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration.helpers import APP, ROOT, docker, unique
from tests.screen import HEADER, SPINNER, bad_rows, rows, step_rows

pytestmark = pytest.mark.integration

HEIGHT = 40
DONE = "BUILDORCH-EXIT="
FRAMES = Path(os.environ.get("BUILDORCH_FRAMES_DIR", "")) if os.environ.get("BUILDORCH_FRAMES_DIR") else None


@dataclass
class Run:
    """What a pane showed: every distinct screen while the build ran, and the last one."""

    during: list[str] = field(default_factory=list)
    final: str = ""
    joined: str = ""  # the last screen with the lines the terminal wrapped joined again (for reading, not for checks)
    exit_code: int | None = None
    resized_at: int | None = None  # index in ``during`` of the first screen after the window was resized


class Tmux:
    """A tmux server of our own (its own socket): nothing else's sessions are touched."""

    def __init__(self) -> None:
        self.socket = f"buildorch-it-{uuid.uuid4().hex[:8]}"

    def __call__(self, *args: str) -> str:
        r = subprocess.run(["tmux", "-u", "-L", self.socket, *args], capture_output=True, text=True, timeout=30,
                           env={**os.environ, "LANG": "C.UTF-8"}, check=False)
        assert r.returncode == 0, f"tmux {' '.join(args)}: {r.stderr}"
        return r.stdout

    def capture(self, session: str, *flags: str) -> str:
        return self("capture-pane", "-p", *flags, "-t", session)

    def run(self, width: int, argv: list[str], within: float = 600.0, resize_to: int | None = None) -> Run:
        """Run ``argv`` in a new ``width`` x HEIGHT pane; capture the screen until the command exits.

        With ``resize_to``, the window is made that wide once the live view shows.
        """
        session = f"s{width}"
        command = " ".join(shlex.quote(a) for a in argv)
        shell = f"cd {shlex.quote(str(ROOT))} && LANG=C.UTF-8 {command}; echo {DONE}$?; exec sleep 600"
        self("new-session", "-d", "-s", session, "-x", str(width), "-y", str(HEIGHT), shell)
        run = Run()
        deadline = time.monotonic() + within
        try:
            while time.monotonic() < deadline:
                screen = self.capture(session)
                for _ in range(3):  # a capture that caught a frame half drawn (a row cut short) is taken again
                    if not bad_rows(screen):
                        break
                    time.sleep(0.03)
                    screen = self.capture(session)
                if DONE in screen:
                    run.final, run.joined = screen, self.capture(session, "-J")
                    run.exit_code = int(screen.split(DONE, 1)[1].split()[0])
                    return run
                if screen.strip() and (not run.during or screen != run.during[-1]):
                    run.during.append(screen)
                if resize_to is not None and run.resized_at is None and HEADER.search(screen.splitlines()[0].rstrip()):
                    self("resize-window", "-t", session, "-x", str(resize_to))
                    run.resized_at = len(run.during)
                    time.sleep(0.3)  # the view redraws within 0.1 s; until then the old frame is there, reflowed
                time.sleep(0.2)
            raise AssertionError(f"no end within {within}s:\n{self.capture(session)}")
        finally:
            self("kill-session", "-t", session)

    def stop(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, timeout=30, check=False)


@pytest.fixture(scope="module")
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is missing: scripts/stack up installs it", pytrace=False)
        pytest.skip("tmux is missing (scripts/stack up installs it)")
    t = Tmux()
    yield t
    t.stop()


def build_argv(context: Path, tag: str, version: str) -> list[str]:
    return [sys.executable, "-m", "buildorch", "build", str(context), "--platform", "linux/amd64,linux/arm64",
            "-t", tag, "--version", version, "--cache", "none"]


def keep(name: str, screen: str) -> None:
    """With BUILDORCH_FRAMES_DIR set, the captured screens are written there (docs/build.md shows one)."""
    if FRAMES is not None:
        FRAMES.mkdir(parents=True, exist_ok=True)
        (FRAMES / f"{name}.txt").write_text(screen.rstrip() + "\n")


@pytest.mark.parametrize("width", [80, 120, 200])
def test_a_two_platform_build_reads_at_any_width(tmux: Tmux, width: int) -> None:
    tag = f"{unique()}:live"
    run = tmux.run(width, build_argv(APP, tag, f"9.{width}.{uuid.uuid4().int % 10000}"))
    try:
        assert run.exit_code == 0, run.final
        frames = [s for s in run.during if any(HEADER.search(line.rstrip()) for line in s.splitlines())]
        assert frames, "the live view never showed:\n" + "\n----\n".join(run.during[-3:])
        for screen in frames:
            assert not bad_rows(screen), f"a row lost a column at {width} columns:\n{screen}"
            assert all(len(line.rstrip()) < width for line in screen.splitlines())
        running = [s for s in frames if any(m.group("state") in SPINNER for m in step_rows(s))]
        assert running, "no frame showed a running step"
        busiest = [s for s in running if len(step_rows(s)) == max(len(step_rows(r)) for r in running)][-1]
        keep(f"build-{width}", busiest)  # the last frame with every row and a step running
        platforms = {m.group("platform") for m in step_rows(busiest)}
        assert "amd64" in platforms and platforms & {"arm64", "amd64→arm64"}, busiest  # amd64 and arm64 rows differ
        spinning = [m for m in step_rows(busiest) if m.group("state") in SPINNER]
        assert all(m.group("duration") not in ("-", "cached") for m in spinning)  # a running step shows its elapsed time

        final = run.final
        keep(f"build-{width}-end", run.joined)
        assert "built linux/amd64, linux/arm64 in " in final and "slowest steps:" in final, final
        assert not rows(final) and not any(HEADER.search(line.rstrip()) for line in final.splitlines()), (
            f"a live frame stayed on screen:\n{final}"
        )
    finally:
        docker("image", "rm", "-f", tag, check=False)


def test_a_failing_build_leaves_the_failing_step_exit_code_and_log_tail(tmux: Tmux, tmp_path: Path) -> None:
    ctx = tmp_path / "app"
    shutil.copytree(APP, ctx)
    (ctx / "broken.go").write_text("package main\n\nfunc broken() { undefinedThing() }\n")
    tag = f"{unique()}:broken"
    run = tmux.run(80, build_argv(ctx, tag, "9.9.9"))
    final = run.final
    keep("build-80-failed", run.joined)
    assert run.exit_code == 1, final
    failed = step_rows(final)
    assert len(failed) == 1 and failed[0].group("state") == "✗", f"not only the failed step stays:\n{final}"
    assert failed[0].group("platform") in ("amd64", "amd64→arm64") and failed[0].group("step") == "6/6"
    assert "  exit code 1 · its last 2 log lines:" in final
    assert "  │ ./broken.go:3:17: undefined: undefinedThing" in final
    assert "error: step [linux/amd64" in final and "builder 6/6] RUN" in final and "(exit code 1)" in final
    assert final.count("undefinedThing") == 1  # the CLI does not repeat the log tail the view left
    assert "Traceback" not in final


def test_a_narrower_terminal_gets_a_whole_frame_and_nothing_of_the_old_one(tmux: Tmux) -> None:
    tag = f"{unique()}:resized"
    run = tmux.run(120, build_argv(APP, tag, f"9.9.{uuid.uuid4().int % 10000}"), resize_to=80)
    try:
        assert run.exit_code == 0 and run.resized_at is not None, run.final
        after = [s for s in run.during[run.resized_at:] if rows(s)]
        assert after, "no frame after the resize"
        for screen in after:
            lines = [line.rstrip() for line in screen.splitlines()]
            assert not bad_rows(screen) and all(len(line) < 80 for line in lines), screen
            assert sum(1 for line in lines if HEADER.search(line)) == 1, f"a piece of the old frame stayed:\n{screen}"
        assert not rows(run.final) and "built linux/amd64, linux/arm64 in " in run.final
    finally:
        docker("image", "rm", "-f", tag, check=False)
