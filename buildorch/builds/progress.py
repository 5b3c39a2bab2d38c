"""BuildKit's ``rawjson`` progress, parsed into steps (shown to people by :mod:`buildorch.builds.display`).

buildx prints one pretty-printed JSON document (a SolveStatus) after another on
stderr, then plain text (``ERROR: failed to solve: ...``) when a build fails.
``ProgressTracker.feed`` takes that stream line by line.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from buildorch.builds.spec import StepResult

# "[linux/arm64 builder 3/6] RUN ..." / "[internal] load ..." / "[builder 2/6] COPY ..."
_NAME = re.compile(
    r"^\[(?:(?P<platform>[a-z0-9]+/[a-z0-9]+(?:/[a-z0-9]+)?(?:->[a-z0-9/]+)?) )?"  # "linux/amd64->arm64" when cross-compiling
    r"(?P<label>[^\]]*)\] ?(?P<rest>.*)$",
    re.S,
)
_STEP_LABEL = re.compile(r"(?:^|\s)\d+/\d+$")
LOG_TAIL = 20


def _ts(value: str | None) -> float | None:
    if not value:
        return None
    # Go prints nanoseconds; Python parses at most microseconds.
    v = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(v).timestamp()
    except ValueError:
        return None


@dataclass
class Status:
    """One entry of a vertex's ``statuses``: a layer pulled or pushed, a blob written, with bytes when BuildKit counts them."""

    id: str
    current: int = 0
    total: int = 0
    started: float | None = None
    completed: float | None = None


@dataclass
class Vertex:
    """One BuildKit vertex as the stream has described it so far."""

    digest: str
    name: str = ""
    inputs: list[str] = field(default_factory=list)  # digests of the vertexes it needs (build order)
    statuses: dict[str, Status] = field(default_factory=dict)
    started: float | None = None
    completed: float | None = None
    cached: bool = False
    error: str | None = None
    logs: deque[str] = field(default_factory=lambda: deque(maxlen=LOG_TAIL))
    log_count: int = 0  # lines ever seen; ``logs`` keeps only the tail
    _partial: str = ""

    @property
    def platform(self) -> str | None:
        m = _NAME.match(self.name)
        return m.group("platform") if m else None

    @property
    def is_step(self) -> bool:
        """A Dockerfile instruction of the build's own: not ``[internal]``, not the export, not ``FROM``.

        ``FROM`` vertexes only resolve a base image and are never reported cached.
        """
        m = _NAME.match(self.name)
        if not m or "internal" in m.group("label").split():
            return False
        if not _STEP_LABEL.search(m.group("label")):
            return False
        return not m.group("rest").upper().startswith("FROM ")

    since: float = 0.0  # when the build that watches this vertex began (wall clock)

    @property
    def reused(self) -> bool:
        """Finished by an earlier build sharing BuildKit's solver graph: no work done now.

        Judged on the latest timestamps: a replayed vertex that then really runs
        gets new ones.
        """
        return self.started is not None and self.completed is not None and self.started < self.since - 1.0

    @property
    def state(self) -> str:
        if self.error:
            return "error"
        if self.cached or self.reused:
            return "cached"
        if self.completed is not None:
            return "done"
        if self.started is not None:
            return "running"
        return "waiting"

    @property
    def duration(self) -> float | None:
        if self.started is None or self.completed is None:
            return None
        return max(0.0, self.completed - self.started)

    def add_log(self, data: bytes) -> None:
        text = self._partial + data.decode("utf-8", errors="replace")
        lines = text.split("\n")
        self._partial = lines.pop()
        for line in lines:
            line = line.rstrip("\r")
            if line.strip():
                self.logs.append(line)
                self.log_count += 1

    def last_line(self) -> str:
        """The latest log line, the one still being written included."""
        partial = self._partial
        if partial.strip():
            return partial
        return self.logs[-1] if self.logs else ""

    def log_tail(self) -> list[str]:
        tail = list(self.logs)
        if self._partial.strip():
            tail.append(self._partial)
        return tail[-LOG_TAIL:]


@dataclass
class Lane:
    """A group of the live view: a build's vertexes, or one bake target's."""

    name: str | None  # the bake target
    vertexes: list[Vertex]  # the ones to show
    graph: list[Vertex]  # all of the group's, twins included: their inputs give the build order
    platforms: list[str] | None = None  # the target's own, when a bake's targets differ


def _twins(vertexes: list[Vertex]) -> set[int]:
    """The ``id()`` of steps that another build put in this stream, beside this build's own of the same step.

    BuildKit sends the progress of a vertex to every build that shares it, so a
    concurrent build's ``[builder 3/6] COPY ...`` (no platform, or replayed with
    old timestamps) shows up beside this build's ``[linux/amd64 builder 3/6]
    COPY ...``, sometimes under this build's very name with another digest. Of
    steps with one label and instruction, the ones with a platform and run by
    this build win; the amd64 and arm64 rows of one step rank the same and both
    stay; of several with one whole name, one stays (running or failed, else
    run, else the first).
    """
    best: dict[tuple[str, str], tuple[bool, bool]] = {}
    keyed = []
    for v in vertexes:
        m = _NAME.match(v.name)
        if not m or not v.is_step:
            continue
        key, rank = (m.group("label"), m.group("rest")), (v.reused, m.group("platform") is None)
        best[key] = min(best.get(key, rank), rank)
        keyed.append((v, key, rank))
    same_name: dict[str, list[Vertex]] = {}
    for v, key, rank in keyed:
        if rank == best[key]:
            same_name.setdefault(v.name, []).append(v)
    order = {"running": 0, "error": 0, "done": 1}
    kept = {id(min(same, key=lambda v: order.get(v.state, 2))) for same in same_name.values()}
    return {id(v) for v, _, _ in keyed if id(v) not in kept}


class ProgressTracker:
    """Accumulates rawjson SolveStatus documents into vertexes, logs and messages."""

    what = "build"  # in "build failed: ..."

    def __init__(self, started_at: float | None = None) -> None:
        # When this build began (wall clock). BuildKit replays vertexes that an
        # earlier, still-live build already ran (same digest) with their old
        # timestamps and no "cached" flag: those did no work now.
        self.started_at = time.time() if started_at is None else started_at
        self.vertexes: dict[str, Vertex] = {}
        self.messages: list[str] = []  # non-JSON lines (buildx's own errors and warnings)
        self.warnings: list[str] = []
        self.exports: list[str] = []  # "exporting manifest sha256:..." and the like
        self._buf: list[str] = []
        self._decoder = json.JSONDecoder()

    def feed(self, line: str) -> list[Vertex]:
        """Take one line of buildx's stderr; return the vertexes it changed."""
        if self._buf:
            self._buf.append(line)
            if line.startswith("}"):
                return self._flush()
            return []
        stripped = line.strip()
        if stripped.startswith("{"):
            self._buf.append(line)
            if stripped.endswith("}"):  # compact one-line JSON
                return self._flush(silent=True)
            return []
        if stripped:
            self.messages.append(stripped)
        return []

    def _flush(self, silent: bool = False) -> list[Vertex]:
        text = "".join(self._buf)
        try:
            doc = json.loads(text)
        except ValueError:
            if silent:  # a one-line document not yet complete: keep buffering
                return []
            self.messages.extend(s.strip() for s in self._buf if s.strip())
            self._buf = []
            return []
        self._buf = []
        return self.apply(doc)

    def apply(self, doc: dict[str, Any]) -> list[Vertex]:
        changed: dict[str, Vertex] = {}
        for v in doc.get("vertexes") or []:
            vx = self.vertexes.setdefault(v["digest"], Vertex(digest=v["digest"], since=self.started_at))
            vx.name = v.get("name", vx.name)
            vx.inputs = v.get("inputs") or vx.inputs
            if "started" in v:  # a new start clears an old completion
                vx.started, vx.completed = _ts(v.get("started")), _ts(v.get("completed"))
            vx.cached = bool(v.get("cached")) or vx.cached
            vx.error = v.get("error") or vx.error
            changed[vx.digest] = vx
        for s in doc.get("statuses") or []:
            sid = s.get("id", "")
            if sid.startswith(("exporting manifest", "exporting attestation", "exporting config")) and sid not in self.exports:
                self.exports.append(sid)
            owner = self.vertexes.get(s.get("vertex", ""))
            if owner is not None and sid:
                owner.statuses[sid] = Status(
                    sid, int(s.get("current") or 0), int(s.get("total") or 0), _ts(s.get("started")), _ts(s.get("completed"))
                )
                changed[owner.digest] = owner
        for log in doc.get("logs") or []:
            vx = self.vertexes.setdefault(log["vertex"], Vertex(digest=log["vertex"], since=self.started_at))
            try:
                vx.add_log(base64.b64decode(log.get("data", "")))
            except ValueError:
                continue
            changed[vx.digest] = vx
        for w in doc.get("warnings") or []:
            short = w.get("short")
            msg = base64.b64decode(short).decode(errors="replace") if short else ""
            if msg and msg not in self.warnings:
                self.warnings.append(msg)
        return list(changed.values())

    def finish(self) -> None:
        if self._buf:
            self._flush()

    def lanes(self) -> list[Lane]:
        """The vertexes to show, in groups: one unnamed group for a build (a bake has one per target).

        Called by the live view from its drawing thread while this tracker is
        fed: ``list()`` copies the dict in one step (under the GIL), where a
        Python loop over it could see it change size.
        """
        vertexes = list(self.vertexes.values())
        twins = _twins(vertexes)
        return [Lane(None, [v for v in vertexes if id(v) not in twins], vertexes)]

    # -- what a BuildResult needs ---------------------------------------------
    @property
    def steps(self) -> list[Vertex]:
        steps = [v for v in self.vertexes.values() if v.is_step]
        twins = _twins(steps)
        return [v for v in steps if id(v) not in twins]

    @property
    def steps_total(self) -> int:
        return len(self.steps)

    @property
    def steps_cached(self) -> int:
        return sum(1 for v in self.steps if v.cached or v.reused)

    def failed(self) -> Vertex | None:
        errs = [v for v in self.vertexes.values() if v.error]
        found = [v for v in errs if self.really_failed(v)] or errs
        return found[0] if found else None

    def really_failed(self, v: Vertex) -> bool:
        """``v`` has an error that failed the build.

        BuildKit marks a canceled sibling with "context canceled", and a cache that cannot be
        imported is an error of its vertex that the build goes on without. (A bake's vertex
        names carry their target: step_name is the name without it.)
        """
        return bool(v.error) and "context canceled" not in (v.error or "") and not self.step_name(v).startswith(
            "importing cache manifest"
        )

    def step_results(self) -> list[StepResult]:
        return [
            StepResult(
                name=_NAME.sub(lambda m: f"[{m.group('label')}] {m.group('rest')}", v.name),
                platform=v.platform,
                cached=v.cached or v.reused,
                duration_seconds=round(v.duration, 3) if v.duration is not None else None,
                error=v.error,
                started=v.started,
                completed=v.completed,
                digest=v.digest,
                inputs=list(v.inputs),
                log_tail=self.log_tail(v),
            )
            for v in self.steps
        ]

    def step_name(self, v: Vertex) -> str:
        """How a failed step is named in its error: as BuildKit names it."""
        return v.name

    def step_owner(self, v: Vertex) -> str:
        """What comes before "step ..." in an error (a bake names the target)."""
        return ""

    def log_tail(self, v: Vertex) -> list[str]:
        """The last log lines of ``v``."""
        return v.log_tail()

    def error_summary(self) -> str | None:
        """buildx's closing ``ERROR: ...`` line, if it printed one."""
        for msg in reversed(self.messages):
            if msg.startswith("ERROR:"):
                return msg[len("ERROR:") :].strip()
        return None
