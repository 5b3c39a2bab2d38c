"""The live view of a build at a terminal: a header, one row per step in build order, redrawn in place.

Each row has fixed narrow columns that never collapse (state, platform, stage,
step n/m, duration) and the instruction takes what is left, cut in the middle.
A running step shows a spinner, its elapsed time and its latest log line (or
the bytes it moves). A thread redraws the frame ten times a second, at the
terminal's size of the moment; at the end the frame is erased (the caller prints
the summary), or replaced by the failed step with its exit code and log tail.

Imported only when a live view starts (:func:`buildorch.builds.display.make_renderer`):
rich costs nothing to a build that runs without one.
"""

from __future__ import annotations

import atexit
import copy
import threading
import time
from dataclasses import dataclass
from typing import IO

from rich.console import Console
from rich.text import Text

from buildorch.builds.progress import ProgressTracker, Vertex
from buildorch.builds.rows import Group, Row, build_groups, cells, make_row, short_platform, shorten
from buildorch.core.units import human_duration, human_size


@dataclass(frozen=True)
class Glyphs:
    """The characters of the view: Unicode, or ASCII for a terminal that cannot show it."""

    done: str
    cached: str
    error: str
    canceled: str
    waiting: str
    stopped: str
    spinner: str
    arrow: str
    ellipsis: str
    sub: str
    bar: tuple[str, str]
    dot: str
    pipe: str


UNICODE = Glyphs("✓", "↺", "✗", "⊘", "·", "■", "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏", "→", "…", "↳", ("━", "─"), " · ", "│")
ASCII = Glyphs("+", "=", "x", "-", ".", "#", "-\\|/", "->", "...", ">", ("#", "-"), " - ", "|")
DURATION = 6  # "12.3s", "1m05s", "cached"
PALETTE = ("cyan", "magenta", "blue", "green")  # one colour per platform, so that amd64 and arm64 rows differ at a glance


def _steps(n: int) -> str:
    return "1 step" if n == 1 else f"{n} steps"


class Frame:
    """Turns rows into lines of text at a given width and height (pure: the time is an argument)."""

    def __init__(self, title: str, platforms: list[str], glyphs: Glyphs = UNICODE) -> None:
        self.title = title
        self.platforms = platforms
        self.g = glyphs

    # -- the cells ------------------------------------------------------------
    def _colour(self, lane: str) -> str:
        lanes = self.platforms or [lane]
        return PALETTE[lanes.index(lane) % len(PALETTE)] if lane in lanes else ""

    def _glyph(self, r: Row, tick: int, final: bool) -> tuple[str, str]:
        if r.state == "running":
            return (self.g.stopped, "yellow") if final else (self.g.spinner[tick % len(self.g.spinner)], "yellow")
        return {
            "done": (self.g.done, "green"),
            "cached": (self.g.cached, "dim"),
            "error": (self.g.error, "bold red"),
            "canceled": (self.g.canceled, "dim"),
        }.get(r.state, (self.g.waiting, "dim"))

    def _duration(self, r: Row, now: float) -> str:
        if r.state == "cached":
            return "cached"
        if r.state == "running" and r.started is not None:
            return human_duration(now - r.started)
        return human_duration(r.duration) or "-"

    def widths(self, groups: list[Group], width: int) -> tuple[int, int, int, int]:
        """Columns of platform, stage, step and instruction; the stage goes first when the terminal is narrow."""
        steps = [r for g in groups for r in g.rows if r.kind == "step"]
        plat = min(max([cells(r.platform) for r in steps] + [5]), 13)
        stage = min(max([cells(r.stage) for r in steps] + [0]), 12)
        step = max([len(r.step) for r in steps] + [3])

        def rest(stage: int) -> int:
            return width - 1 - (2 + plat + 1 + (stage + 1 if stage else 0) + step + 1 + DURATION + 1)

        if rest(stage) < 16:
            stage = 0
        return plat, stage, step, max(rest(stage), 0)

    def row(self, r: Row, cols: tuple[int, int, int, int], now: float, tick: int, final: bool = False) -> Text:
        plat, stage, step, rest = cols
        glyph, style = self._glyph(r, tick, final)
        t = Text(no_wrap=True, overflow="crop")
        t.append(glyph, style)
        t.append(" ")
        p = shorten(r.platform, plat, self.g.ellipsis, middle=False)
        t.append(p + " " * (plat - cells(p)) + " ", self._colour(r.lane) if r.kind == "step" else "")
        if stage:
            s = shorten(r.stage, stage, self.g.ellipsis, middle=False)
            t.append(s + " " * (stage - cells(s)) + " ")
        t.append(r.step.rjust(step) + " ")
        t.append(self._duration(r, now).rjust(DURATION) + " ", "yellow" if r.state == "running" else "")
        t.append(shorten(r.text, rest, self.g.ellipsis), "red" if r.state == "error" else "")
        if r.state in ("cached", "waiting", "canceled"):
            t.stylize("dim")
        return t

    def detail(self, r: Row, cols: tuple[int, int, int, int], width: int) -> Text | None:
        """The line under a running row: the bytes it moves, else its latest log line."""
        indent = width - 1 - cols[3] if cols[3] >= 30 else 4
        room = width - 1 - indent - cells(self.g.sub) - 1
        x = r.transfer
        if x is not None and x.done < x.count:
            amount = ""
            if x.total:
                filled = round(10 * min(x.current / x.total, 1.0))
                bar = self.g.bar[0] * filled + self.g.bar[1] * (10 - filled)
                amount = f" {human_size(x.current)}/{human_size(x.total)} {bar} {100 * x.current // x.total}%"
            elif x.current:
                amount = f" {human_size(x.current)}"
            counter = f" {x.done}/{x.count}" if x.count > 1 else ""
            text = shorten(x.label, max(room - cells(counter + amount), 8), self.g.ellipsis) + counter + amount
        elif r.log:
            text = r.log
        else:
            return None
        line = Text(" " * indent + self.g.sub + " ", "dim", no_wrap=True, overflow="crop")
        line.append(shorten(text, room, self.g.ellipsis, middle=False), "dim")
        return line

    # -- the whole frame ------------------------------------------------------
    def header(self, groups: list[Group], width: int, elapsed: float, mark: str = "", style: str = "bold") -> list[Text]:
        rows = [r for g in groups for r in g.rows]
        done = sum(1 for r in rows if r.counted and r.state == "done")
        cached = sum(1 for r in rows if r.counted and r.state == "cached")
        total = sum(1 for r in rows if r.counted)
        right = f"{done} done{self.g.dot}{cached} cached{self.g.dot}{_steps(total)}{self.g.dot}{human_duration(elapsed)}"
        left = (mark + " " if mark else "") + self.title
        if self.platforms:
            left += self.g.dot + ", ".join(short_platform(p, self.g.arrow) or p for p in self.platforms)
        room = width - 1 - cells(right) - 2
        if room < 12:  # too narrow for one line: two
            return [Text(shorten(left, width - 1, self.g.ellipsis, middle=False), style), Text(right, "dim")]
        left = shorten(left, room, self.g.ellipsis, middle=False)
        line = Text(left, style, no_wrap=True)
        line.append(" " * (width - 1 - cells(left) - cells(right)))
        line.append(right, "dim")
        return [line]

    def lines(self, groups: list[Group], width: int, height: int, now: float, elapsed: float, final: bool = False) -> list[Text]:
        """The frame: at most ``height - 1`` lines, none wider than ``width - 1``.

        When the rows do not fit, finished rows go first (from the top), then
        waiting ones (from the bottom); a line says how many are not shown.
        """
        cols = self.widths(groups, width)
        tick = int(now * 10)
        head = self.header(groups, width, elapsed)
        body: list[tuple[int, Text]] = []  # (priority: 0 always shown, 1 waiting, 2 finished), line
        named = sum(1 for g in groups if g.name is not None)
        for g in groups:
            if g.name is not None and named > 1:  # a bake of one target: the header says it all
                d = self.g.dot
                heading = Text(g.name, "bold", no_wrap=True, overflow="crop")
                heading.append(f"{d}{g.count('done')} done{d}{g.count('cached')} cached{d}{_steps(g.total)}", "dim")
                body.append((0, heading))
            for r in g.rows:
                live = r.state in ("running", "error")
                body.append((0 if live else 1 if r.state == "waiting" else 2, self.row(r, cols, now, tick, final)))
                sub = self.detail(r, cols, width) if r.state == "running" and not final else None
                if sub is not None:
                    body.append((0, sub))
        budget = max(height - 1 - len(head), 1)
        if len(body) > budget:
            drop = len(body) - (budget - 1)
            finished = [i for i, (p, _) in enumerate(body) if p == 2]
            waiting = [i for i, (p, _) in reversed(list(enumerate(body))) if p == 1]
            gone = set((finished + waiting)[:drop])
            note = Text(f"  {self.g.ellipsis} {len(gone)} rows not shown (finished first)", "dim", no_wrap=True)
            body = [(0, note)] + [b for i, b in enumerate(body) if i not in gone]
        return (head + [line for _, line in body])[: max(height - 1, 1)]

    def failure(self, groups: list[Group], failed: Row, owner: str, tail: list[str], width: int, elapsed: float) -> list[Text]:
        """What stays on screen when a step failed: the header, the step's row, its exit code and last log lines."""
        lines = self.header(groups, width, elapsed, self.g.error + " failed:", "bold red")
        cols = self.widths([*groups, Group(None, [failed])], width)
        lines.append(self.row(failed, cols, 0.0, 0, final=True))
        why = f"exit code {failed.exit_code}" if failed.exit_code is not None else (failed.error or "failed")
        last = "its last log line" if len(tail) == 1 else f"its last {len(tail)} log lines"
        said = f"  {owner}{why}" + (f"{self.g.dot}{last}:" if tail else "")
        lines.append(Text(said, "bold red"))
        for line in tail:
            lines.append(Text(f"  {self.g.pipe} " + shorten(line, width - 5, self.g.ellipsis, middle=False), no_wrap=True))
        return lines


class Region:
    """Lines drawn again in place: back to the first line, erase to the end of the screen, draw.

    How far back is counted at the terminal's width of the moment: a terminal
    that narrowed (tmux, VTE, iTerm2 reflow long lines) shows a line of the last
    frame on as many rows as it now takes, so nothing of it stays behind.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._cells: list[int] = []

    def _back(self, width: int) -> str:
        rows = sum(max(1, -(-n // max(width, 1))) for n in self._cells)
        return "\r" + (f"\x1b[{rows - 1}A" if rows > 1 else "") + "\x1b[J"

    def draw(self, lines: list[Text]) -> None:
        with self.console.capture() as cap:
            for i, line in enumerate(lines):
                self.console.print(line, end="" if i == len(lines) - 1 else "\n", soft_wrap=True)
        self._write(self._back(self.console.width) + cap.get())
        self._cells = [line.cell_len for line in lines]

    def clear(self) -> None:
        if self._cells:
            self._write(self._back(self.console.width))
        self._cells = []

    def leave(self) -> None:
        """Keep what is drawn and go below it."""
        if self._cells:
            self._write("\n")
        self._cells = []

    def _write(self, text: str) -> None:
        self.console.file.write(text)
        self.console.file.flush()


class LiveRenderer:
    """The live view (see the module docstring); ``shows_failures``: the failed step's log tail is on screen."""

    shows_failures = True
    interval = 0.1

    def __init__(
        self, out: IO[str], *, title: str = "build", platforms: list[str] | None = None, force: bool = False,
        console: Console | None = None,
    ) -> None:
        self.console = console or Console(file=out, highlight=False, force_terminal=True if force else None)
        utf = (self.console.encoding or "").lower().replace("-", "").startswith("utf")
        self.frame = Frame(title, list(platforms or []), UNICODE if utf else ASCII)
        self.region = Region(self.console)
        self.t0 = time.monotonic()
        self._tracker: ProgressTracker | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False

    def _groups(self, tracker: ProgressTracker) -> list[Group]:
        return build_groups(tracker.lanes(), self.frame.platforms, self.frame.g.arrow)

    def _size(self) -> tuple[int, int]:
        width, height = self.console.size
        return max(width, 20), max(height, 3)

    def draw(self) -> None:
        """Draw the frame once, as the tracker stands (called by the drawing thread)."""
        tracker = self._tracker
        if tracker is None:
            return
        try:
            groups = self._groups(tracker)
        except RuntimeError:  # a vertex's statuses changed while they were read: the next tick draws
            return
        with self._lock:
            if self._closed:
                return
            width, height = self._size()
            self.region.draw(self.frame.lines(groups, width, height, time.time(), time.monotonic() - self.t0))

    def _run(self) -> None:
        while True:
            try:
                self.draw()
            except Exception:  # a bug in the view must not end the build: drawing stops, close() tells
                return
            if self._stop.wait(self.interval):
                return

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        self._tracker = tracker
        if self._thread is None and not self._closed:
            self._cursor(False)
            atexit.register(self._cursor, True)  # also when the process ends without closing the view
            self._thread = threading.Thread(target=self._run, name="buildorch-live-view", daemon=True)
            self._thread.start()

    def close(self, tracker: ProgressTracker) -> None:
        """Erase the frame; after a failed step, leave it with its exit code and log tail; interrupted, leave the frame."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        groups = self._groups(tracker)
        width, height = self._size()
        elapsed = time.monotonic() - self.t0
        failed = tracker.failed()
        failed_row = self._failed_row(tracker, failed) if failed is not None else None
        if failed is not None and failed_row is not None:
            self.region.clear()
            lines = self.frame.failure(groups, failed_row, tracker.step_owner(failed), tracker.log_tail(failed), width, elapsed)
            for line in lines:
                self.console.print(line, soft_wrap=True)
        elif tracker.error_summary() or any(r.state == "running" for g in groups for r in g.rows):
            self.region.draw(self.frame.lines(groups, width, height, time.time(), elapsed, final=True))
            self.region.leave()
        else:
            self.region.clear()
        if self._thread is not None:
            self._cursor(True)
            atexit.unregister(self._cursor)

    def _failed_row(self, tracker: ProgressTracker, failed: Vertex) -> Row | None:
        bare = copy.copy(failed)
        bare.name = tracker.step_name(failed)
        row = make_row(bare, self.frame.platforms, self.frame.g.arrow)
        if row is not None:
            row.state = "error"
        return row

    def _cursor(self, show: bool) -> None:
        if self.console.is_terminal:
            self.console.file.write("\x1b[?25h" if show else "\x1b[?25l")
            self.console.file.flush()
