"""Build progress for people: a live table on a terminal, plain lines in logs, rawjson passed through, or nothing.

These renderers belong to the build capability, not to cli/, because the library
draws progress too: ``build(spec)`` called from a release script shows the same
live table as ``buildorch build``. The live table imports rich when it starts,
so nothing else pays for it.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any, Protocol

from buildorch.builds.progress import ProgressTracker, Vertex


class Renderer(Protocol):
    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None: ...
    def close(self, tracker: ProgressTracker) -> None: ...


class QuietRenderer:
    """Shows nothing (``--progress quiet``)."""

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        pass

    def close(self, tracker: ProgressTracker) -> None:
        pass


class RawRenderer:
    """Passes BuildKit's rawjson through (``--progress rawjson``)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        self.out.write(raw)

    def close(self, tracker: ProgressTracker) -> None:
        self.out.flush()


class PlainRenderer:
    """One line per step state change and per log line: for logs and CI."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.t0 = time.monotonic()
        self._said: dict[str, str] = {}
        self._logged: dict[str, int] = {}

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        for v in changed:
            state = v.state
            new = min(v.log_count - self._logged.get(v.digest, 0), len(v.logs))
            if new > 0:
                for line in list(v.logs)[-new:]:
                    self.out.write(f"  | {line}\n")
                self._logged[v.digest] = v.log_count
            if self._said.get(v.digest) == state or state == "waiting":
                continue
            self._said[v.digest] = state
            el = time.monotonic() - self.t0
            dur = f" {v.duration:.1f}s" if v.duration is not None and state == "done" else ""
            word = {"running": "RUN  ", "done": "DONE ", "cached": "CACHED", "error": "ERROR"}[state]
            self.out.write(f"[{el:6.1f}s] {word} {v.name}{dur}\n")
        self.out.flush()

    def close(self, tracker: ProgressTracker) -> None:
        self.out.flush()


class LiveRenderer:
    """A live table of steps on a terminal (rich), with the latest log line."""

    def __init__(self, out: IO[str]) -> None:
        from rich.console import Console
        from rich.live import Live

        self.console = Console(file=out)
        self.t0 = time.monotonic()
        self.live = Live(console=self.console, refresh_per_second=8, transient=False)
        self.live.start()
        self._last_log = ""

    def _table(self, tracker: ProgressTracker) -> Any:
        from rich.table import Table

        t = Table.grid(padding=(0, 1))
        t.add_column(width=8)
        t.add_column(justify="right", width=7)
        t.add_column(overflow="ellipsis", no_wrap=True)
        style = {"cached": "cyan", "done": "green", "running": "yellow", "error": "bold red", "waiting": "dim"}
        shown = [v for v in tracker.vertexes.values() if v.name and (v.is_step or v.state in ("running", "error"))]
        for v in shown[-25:]:
            if v.state == "running" and v.started is not None:
                d = f"{max(0.0, time.time() - v.started):.1f}s"
            else:
                d = f"{v.duration:.1f}s" if v.duration is not None else ""
            t.add_row(f"[{style[v.state]}]{v.state}[/]", d, v.name)
        el = time.monotonic() - self.t0
        t.add_row("", f"{el:.1f}s", f"[dim]{self._last_log}[/]")
        return t

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        for v in changed:
            if v.logs:
                self._last_log = v.logs[-1][:160]
        self.live.update(self._table(tracker))

    def close(self, tracker: ProgressTracker) -> None:
        self.live.update(self._table(tracker))
        self.live.stop()


def make_renderer(mode: str, out: IO[str] | None = None) -> Renderer:
    """``auto`` is a live view on a terminal and plain text elsewhere."""
    stream = out or sys.stderr
    if mode == "quiet":
        return QuietRenderer()
    if mode == "rawjson":
        return RawRenderer(stream)
    if mode == "tty" or (mode == "auto" and stream.isatty()):
        return LiveRenderer(stream)
    return PlainRenderer(stream)
