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
from buildorch.core.units import human_size


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


class BuildKitPlainRenderer:
    """BuildKit's own plain progress (``--progress plain``): ``#N name``, ``#N 0.512 log``, ``#N DONE 1.2s``.

    The lines people grep in CI logs, as ``docker buildx build --progress plain`` prints them,
    drawn from the rawjson buildorch reads anyway. Vertexes are numbered in the order they
    first start; a log line is stamped with the seconds since its vertex started. ``DONE``
    waits until another vertex moves: BuildKit completes some vertexes, then starts them again.
    """

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._num: dict[str, int] = {}
        self._ended: set[str] = set()
        self._logged: dict[str, int] = {}
        self._statuses: dict[str, set[str]] = {}
        self._last: str | None = None
        self._done: dict[str, Vertex] = {}  # completed, DONE not yet printed

    def _head(self, v: Vertex) -> str:
        if v.digest not in self._num:
            self._num[v.digest] = len(self._num) + 1
            self.out.write(f"\n#{self._num[v.digest]} {v.name}\n")
            self._last = v.digest
        elif self._last != v.digest:
            self.out.write("\n")
            self._last = v.digest
        return f"#{self._num[v.digest]}"

    def _flush_done(self, keep: set[str]) -> None:
        for digest in [d for d in self._done if d not in keep]:
            v = self._done.pop(digest)
            if v.completed is not None and v.started is not None and digest not in self._ended:
                self._ended.add(digest)
                self.out.write(f"{self._head(v)} DONE {v.completed - v.started:.1f}s\n")

    def update(self, tracker: ProgressTracker, changed: list[Vertex], raw: str) -> None:
        if changed:  # most lines of a multi-line document change nothing
            self._flush_done({v.digest for v in changed})
        for v in changed:
            if v.started is None and not v.cached and not v.error:
                continue
            n = self._head(v)
            new = min(v.log_count - self._logged.get(v.digest, 0), len(v.logs))
            if new > 0:
                offset = max(time.time() - v.started, 0.0) if v.started else 0.0
                for line in list(v.logs)[-new:]:
                    self.out.write(f"{n} {offset:.3f} {line}\n")
                self._logged[v.digest] = v.log_count
            said = self._statuses.setdefault(v.digest, set())
            for sid, st in v.statuses.items():
                if st.completed is not None and sid not in said:
                    said.add(sid)
                    size = f" {human_size(st.current).replace(' ', '')}" if st.current else ""
                    self.out.write(f"{n} {sid}{size} done\n")
            if v.digest in self._ended:
                continue
            if v.error:
                self._ended.add(v.digest)
                self.out.write(f"{n} ERROR: {v.error}\n")
            elif v.cached:
                self._ended.add(v.digest)
                self.out.write(f"{n} CACHED\n")
            elif v.completed is not None and v.started is not None:
                self._done[v.digest] = v
            else:
                self._done.pop(v.digest, None)  # started again
        self.out.flush()

    def close(self, tracker: ProgressTracker) -> None:
        self._flush_done(set())
        for w in tracker.warnings:
            self.out.write(f"WARNING: {w}\n")
        self.out.flush()


def shown_failure(err: BuildorchError, tracker: ProgressTracker, renderer: Renderer) -> BuildorchError:
    """``err``, marked ``details_shown`` when ``renderer`` left the failed step's log tail on screen (the live view does)."""
    if getattr(renderer, "shows_failures", False) and tracker.failed() is not None:
        err.details_shown = True
    return err


def make_renderer(
    mode: str, out: IO[str] | None = None, *, title: str = "build", platforms: list[str] | None = None
) -> Renderer:
    """``auto`` is a live view on a terminal and buildorch's plain lines elsewhere; ``tty`` is the live view anyway.

    ``plain`` is BuildKit's own ``#N ...`` lines; ``quiet`` and ``none`` show nothing.

    A terminal that says it can do nothing (``TERM=dumb``: no cursor movement)
    gets plain lines in both. ``title`` and ``platforms`` head the live view.
    """
    stream = out or sys.stderr
    if mode in ("quiet", "none"):
        return QuietRenderer()
    if mode == "plain":
        return BuildKitPlainRenderer(stream)
    if mode == "rawjson":
        return RawRenderer(stream)
    dumb = os.environ.get("TERM") == "dumb"
    if not dumb and (mode == "tty" or (mode == "auto" and stream.isatty())):
        from buildorch.builds.live import LiveRenderer  # imports rich: only for a live view

        return LiveRenderer(stream, title=title, platforms=platforms, force=mode == "tty")
    return PlainRenderer(stream)
