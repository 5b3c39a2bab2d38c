"""Build progress for people: a live view on a terminal, plain lines in logs, rawjson passed through, or nothing.

These renderers belong to the build capability, not to cli/, because the library
draws progress too: ``build(spec)`` called from a release script shows the same
live view as ``buildorch build``. The live view (:mod:`buildorch.builds.live`)
imports rich, and is imported only when it starts, so nothing else pays for it.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Protocol

from buildorch.builds.progress import ProgressTracker, Vertex
from buildorch.core.errors import BuildorchError


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


def shown_failure(err: BuildorchError, tracker: ProgressTracker, renderer: Renderer) -> BuildorchError:
    """``err``, marked ``details_shown`` when ``renderer`` left the failed step's log tail on screen (the live view does)."""
    if getattr(renderer, "shows_failures", False) and tracker.failed() is not None:
        err.details_shown = True
    return err


def make_renderer(
    mode: str, out: IO[str] | None = None, *, title: str = "build", platforms: list[str] | None = None
) -> Renderer:
    """``auto`` is a live view on a terminal and plain lines elsewhere; ``tty`` is the live view anyway.

    A terminal that says it can do nothing (``TERM=dumb``: no cursor movement)
    gets plain lines in both. ``title`` and ``platforms`` head the live view.
    """
    stream = out or sys.stderr
    if mode == "quiet":
        return QuietRenderer()
    if mode == "rawjson":
        return RawRenderer(stream)
    dumb = os.environ.get("TERM") == "dumb"
    if not dumb and (mode == "tty" or (mode == "auto" and stream.isatty())):
        from buildorch.builds.live import LiveRenderer  # imports rich: only for a live view

        return LiveRenderer(stream, title=title, platforms=platforms, force=mode == "tty")
    return PlainRenderer(stream)
