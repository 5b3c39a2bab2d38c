"""What the live view shows, worked out from the progress: rows in build order, grouped, with cells that fit.

Pure: no rich, no terminal. :mod:`buildorch.builds.live` draws the rows; the
summaries' slowest steps (``cli/render.py``) are written with the same cells.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from buildorch.core.units import human_duration

if TYPE_CHECKING:  # the summaries use this module from cli/: it stays light (no pydantic for ``--help``)
    from buildorch.builds.progress import Lane, Vertex
    from buildorch.builds.spec import StepResult

_LABEL = re.compile(r"^\[(?P<label>[^\]]*)\] ?(?P<rest>.*)$", re.S)
_PLATFORM = re.compile(r"^[a-z][a-z0-9]*/[a-z0-9]+(?:/[a-z0-9]+)?(?:->[a-z0-9/]+)?$")  # not a step's "2/2"
_STEP = re.compile(r"^\d+/\d+$")
# RUN --mount=type=cache,target=/go/pkg/mod: the cache mounts say nothing about what runs
_MOUNT = re.compile(r"\s--mount=(?:\"[^\"]*\"|'[^']*'|\S)+")
_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_EXIT = re.compile(r"exit code: (\d+)")


@dataclass
class Name:
    """A vertex name taken apart: ``[linux/amd64->arm64 builder 6/6] RUN ...``."""

    platform: str | None  # "linux/amd64->arm64"
    stage: str  # "builder"; "" for an unnamed stage
    step: str  # "6/6"; "" when BuildKit gave none
    internal: bool  # [internal] and [linux/amd64 internal]
    labelled: bool  # it had a [...] label at all ("exporting to image" has none)
    text: str  # the instruction, --mount flags folded and blanks collapsed


def split_name(name: str) -> Name:
    m = _LABEL.match(name)
    if not m:
        return Name(None, "", "", False, False, fold(name))
    words = m.group("label").split()
    platform = words.pop(0) if words and _PLATFORM.match(words[0]) else None
    step = words.pop() if words and _STEP.match(words[-1]) else ""
    internal = "internal" in words
    return Name(platform, " ".join(w for w in words if w != "internal"), step, internal, True, fold(m.group("rest")))


def fold(instruction: str) -> str:
    """``RUN --mount=type=cache,target=/x   go build`` -> ``RUN go build``: one line, no mount flags."""
    return " ".join(_MOUNT.sub("", " " + instruction).split())


def short_platform(platform: str | None, arrow: str = "→") -> str | None:
    """``linux/arm64`` -> ``arm64``; ``linux/amd64->arm64`` (cross-compiling) -> ``amd64→arm64``; other OSes keep theirs."""
    if not platform:
        return None
    base, _, cross = platform.partition("->")
    short = base[len("linux/") :] if base.startswith("linux/") else base
    return f"{short}{arrow}{cross}" if cross else short


def target_platform(platform: str | None) -> str | None:
    """The platform a step builds for: ``linux/amd64->arm64`` -> ``linux/arm64``."""
    if not platform or "->" not in platform:
        return platform
    base, _, cross = platform.partition("->")
    os_name = base.split("/", 1)[0]
    return cross if cross.startswith(os_name + "/") else f"{os_name}/{cross}"


def cells(text: str) -> int:
    """Terminal columns ``text`` takes (wide East Asian characters take two, combining marks none)."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _take(text: str, width: int) -> str:
    out, used = [], 0
    for c in text:
        w = cells(c)
        if used + w > width:
            break
        out.append(c)
        used += w
    return "".join(out)


def shorten(text: str, width: int, ellipsis: str = "…", middle: bool = True) -> str:
    """``text`` in at most ``width`` columns: cut in the middle (or at the end), the cut marked with ``ellipsis``."""
    if cells(text) <= width:
        return text
    room = width - cells(ellipsis)
    if room <= 0:
        return _take(ellipsis, max(width, 0))
    if not middle:
        return _take(text, room) + ellipsis
    head = _take(text, room - room // 3)  # the start of an instruction says more than its end
    tail = _take(text[::-1], room - cells(head))[::-1]
    return head + ellipsis + tail


def clean_log(line: str) -> str:
    """A log line as one line of plain text: what a terminal would show last after ``\\r``, no escape codes."""
    line = _ESCAPE.sub("", line).rsplit("\r", 1)[-1].expandtabs(4)
    return "".join(c for c in line if c.isprintable()).strip()


def exit_code(error: str | None) -> int | None:
    m = _EXIT.search(error or "")
    return int(m.group(1)) if m else None


@dataclass
class Transfer:
    """A vertex's ``statuses`` summed: layers pulled or pushed, blobs written."""

    label: str  # the latest one still going, else the last one
    done: int
    count: int
    current: int  # bytes so far
    total: int  # bytes expected, 0 when BuildKit does not say


@dataclass
class Row:
    """One line of the live view."""

    kind: str  # "step" (a Dockerfile instruction), "setup" ([internal] loads), "output" (export, push, cache)
    state: str  # waiting, running, done, cached, error or canceled
    platform: str  # short: "amd64", "amd64→arm64"; "host" or "all" for a step without one; "" for the rest
    lane: str  # the platform it builds for, in full: rows are grouped by it
    stage: str
    step: str
    text: str
    started: float | None
    duration: float | None
    log: str  # the latest log line
    exit_code: int | None
    error: str | None
    transfer: Transfer | None
    counted: bool  # one of the build's steps (FROM and [internal] are not)
    depth: int = 0  # how many vertexes come before it in the build graph


@dataclass
class Group:
    """The rows of one build, or of one bake target (``name``)."""

    name: str | None
    rows: list[Row] = field(default_factory=list)

    def count(self, state: str) -> int:
        return sum(1 for r in self.rows if r.counted and r.state == state)

    @property
    def total(self) -> int:
        return sum(1 for r in self.rows if r.counted)


def _state(v: Vertex) -> str:
    if v.error and "context canceled" in v.error:
        return "canceled"  # BuildKit stopped it because a sibling failed
    return v.state


def _transfer(v: Vertex) -> Transfer | None:
    statuses = list(v.statuses.values())
    if not statuses:
        return None
    active = [s for s in statuses if s.completed is None]
    return Transfer(
        label=(active or statuses)[-1].id,
        done=len(statuses) - len(active),
        count=len(statuses),
        current=sum(s.current for s in statuses),
        total=sum(s.total for s in statuses),
    )


def make_row(v: Vertex, platforms: list[str], arrow: str = "→") -> Row | None:
    """The row of ``v``, or None when it is not worth a line (a finished ``[internal]`` load, a FROM that did nothing)."""
    if not v.name:
        return None
    n = split_name(v.name)
    state = _state(v)
    transfer = _transfer(v)
    moved = transfer is not None and (transfer.current > 0 or transfer.total > 0)
    if n.step and not n.internal:
        kind = "step"
        is_from = n.text.upper().startswith("FROM ")
        if is_from and state not in ("running", "error") and not moved and (v.duration or 0.0) < 1.0:
            return None
    elif n.labelled:
        kind = "setup"
        if state not in ("running", "error"):
            return None
    else:
        kind = "output"
        if state == "waiting":
            return None
    if n.platform:
        shown = short_platform(n.platform, arrow) or ""
    elif kind == "step" and len(platforms) == 1:
        shown = short_platform(platforms[0], arrow) or ""
    elif kind == "step":
        shown = "all" if platforms else "host"
    else:
        shown = ""
    lane = target_platform(n.platform) or (platforms[0] if len(platforms) == 1 else "")
    last = v.last_line()
    return Row(
        kind=kind,
        state=state,
        platform=shown,
        lane=lane,
        stage=n.stage,
        step=n.step,
        text=n.text,
        started=v.started,
        duration=v.duration,
        log=clean_log(last) if last else "",
        exit_code=exit_code(v.error),
        error=v.error,
        transfer=transfer,
        counted=v.is_step,
    )


def _depths(vertexes: list[Vertex]) -> dict[str, int]:
    """Longest path from a source to each vertex, by digest (a bake's keys are ``TARGET DIGEST``)."""
    by_digest = {v.digest.rsplit(" ", 1)[-1]: v for v in vertexes}
    depth: dict[str, int] = {}

    def visit(d: str, seen: frozenset[str]) -> int:
        if d in depth:
            return depth[d]
        v = by_digest.get(d)
        if v is None or d in seen:
            return -1
        depth[d] = 1 + max((visit(i, seen | {d}) for i in v.inputs), default=-1)
        return depth[d]

    for d in by_digest:
        visit(d, frozenset())
    return depth


def build_groups(lanes: list[Lane], platforms: list[str], arrow: str = "→") -> list[Group]:
    """The rows of every lane a tracker reports (:meth:`ProgressTracker.lanes`), in build order.

    In a group: the ``[internal]`` loads still going, then the steps by platform
    (in the order of ``platforms``, a cross-compiling step with the platform it
    builds for), each platform's in build order, then the export and push.
    """
    return [Group(lane.name, _ordered(lane, platforms if lane.platforms is None else lane.platforms, arrow)) for lane in lanes]


def _ordered(lane: Lane, platforms: list[str], arrow: str) -> list[Row]:
    """A lane's rows, sorted.

    Build order is the graph's: a stage comes after the stages it copies from,
    a step after the one before it. A stage's place is the largest ``depth - n``
    of its steps: a chain of inputs broken by a left-out twin only lowers a
    depth, so the largest is the true one.
    """
    depth = _depths(lane.graph)
    rows = []
    for v in lane.vertexes:
        row = make_row(v, platforms, arrow)
        if row is not None:
            row.depth = depth.get(v.digest.rsplit(" ", 1)[-1], 0)
            rows.append(row)
    by_platform = len(platforms) > 1  # one platform: a twin may carry another target's platform, so one lane
    order = {p: i for i, p in enumerate(platforms)}

    def lane_of(r: Row) -> tuple[int, str]:
        if not by_platform:
            return (0, "")
        return (order.get(r.lane, len(order)) if r.lane else -1, r.lane)  # a step of no platform is shared: first

    place: dict[tuple[tuple[int, str], str], int] = {}
    for r in rows:
        if r.kind == "step":
            k = (lane_of(r), r.stage)
            place[k] = max(place.get(k, r.depth - _n(r)), r.depth - _n(r))

    def key(r: Row) -> tuple[int, tuple[int, str], int, str, int, float]:
        started = r.started if r.started is not None else float("inf")
        if r.kind != "step":
            return (0 if r.kind == "setup" else 2, (0, ""), 0, "", 0, started)
        return (1, lane_of(r), place[(lane_of(r), r.stage)], r.stage, _n(r), started)

    return sorted(rows, key=key)


def _n(r: Row) -> int:
    return int(r.step.split("/")[0]) if r.step else 0


def slowest(steps: Iterable[tuple[str | None, StepResult]], n: int = 3) -> list[tuple[str | None, StepResult]]:
    """The ``n`` steps that took longest (run, not cached), each once: ``(owner, step)`` pairs, owner a bake target or None."""
    seen: set[tuple[str, str | None]] = set()
    ran = []
    for owner, s in sorted(steps, key=lambda p: -(p[1].duration_seconds or 0.0)):
        if s.cached or not s.duration_seconds or (s.name, s.platform) in seen:
            continue
        seen.add((s.name, s.platform))
        ran.append((owner, s))
    return ran[:n]


def slowest_lines(steps: Iterable[tuple[str | None, StepResult]], indent: str = "  ", width: int = 80) -> list[str]:
    """``slowest steps:`` and one aligned line each (duration, owner, platform, stage, step, instruction), within ``width``."""
    top = slowest(steps)
    if not top:
        return []
    cols = []
    for owner, s in top:
        n = split_name(s.name)
        where = " ".join(w for w in (n.stage, n.step) if w)
        cols.append([human_duration(s.duration_seconds), owner or "", short_platform(s.platform) or "", where, n.text])
    widths = [max(cells(c[i]) for c in cols) for i in range(4)]
    lines = [f"{indent}slowest steps:"]
    for c in cols:
        head = f"{indent}  {c[0]:>{widths[0]}}"
        for i in (1, 2, 3):
            if widths[i]:
                head += "  " + c[i] + " " * (widths[i] - cells(c[i]))
        lines.append(f"{head}  {shorten(c[4], max(width - 1 - cells(head) - 2, 10))}")
    return lines
