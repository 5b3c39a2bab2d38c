"""What a report draws, worked out from a build record: lanes of bars, the critical path, the first cache miss, the trend.

Pure: no HTML here (``html.py`` and ``markdown.py`` render it), so it is tested alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from buildorch.builds.history import BuildRecord
from buildorch.builds.spec import StepResult

_INSTRUCTION = re.compile(r"^\[[^\]]*\]\s*")


@dataclass
class Bar:
    """One step on the timeline, in seconds from the start of the record's first step."""

    lane: str
    platform: str
    name: str
    start: float
    end: float
    cached: bool
    row: int = 0  # sub-row of the lane: executed steps that overlap go one under another
    critical: bool = False
    error: str | None = None
    log_tail: list[str] = field(default_factory=list)
    key: str = ""  # the vertex digest (for the build order)
    inputs: list[str] = field(default_factory=list)
    step_platform: str = ""  # as BuildKit named it: linux/amd64->arm64 when cross-compiling

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    @property
    def instruction(self) -> str:
        return _INSTRUCTION.sub("", self.name)


@dataclass
class Lane:
    """A platform of a build (of a bake target): its executed bars packed in rows, its cached bars apart."""

    target: str
    platform: str
    bars: list[Bar]
    rows: int = 1

    @property
    def label(self) -> str:
        return f"{self.target} · {self.platform}" if self.target else self.platform

    @property
    def executed(self) -> list[Bar]:
        return [b for b in self.bars if not b.cached]

    @property
    def cached(self) -> list[Bar]:
        return [b for b in self.bars if b.cached]


@dataclass
class Timeline:
    lanes: list[Lane]
    span: float  # seconds from the first start to the last end

    @property
    def bars(self) -> list[Bar]:
        return [b for lane in self.lanes for b in lane.bars]


def lane_platform(step: StepResult, lane_platforms: list[str]) -> str:
    """The platform a step builds for: ``linux/amd64->arm64`` (cross-compiling for arm64) is linux/arm64's."""
    if step.platform:
        if "->" in step.platform:
            host, _, arch = step.platform.partition("->")
            return f"{host.split('/')[0]}/{arch}"
        return step.platform
    if not lane_platforms:
        return "host platform"
    return lane_platforms[0] if len(lane_platforms) == 1 else "all platforms"


def timeline(rec: BuildRecord) -> Timeline:
    """The record's steps as lanes (one per target and platform), with the critical path marked."""
    steps = [(lane, s) for lane, r in rec.results.items() for s in r.steps if s.started is not None]
    executed = [s.started for _, s in steps if not s.cached and s.started is not None]
    origin = min(executed) if executed else min((s.started for _, s in steps if s.started is not None), default=0.0)
    lanes: dict[tuple[str, str], Lane] = {}
    for lane_name, s in steps:
        assert s.started is not None
        start = max(0.0, s.started - origin)  # a step reused from an earlier build has older timestamps
        end = max(start, (s.completed if s.completed is not None else s.started) - origin)
        platform = lane_platform(s, rec.results[lane_name].platforms)
        bar = Bar(lane_name, platform, s.name, start, end, s.cached, error=None if s.cached else s.error,
                  log_tail=list(s.log_tail), key=(s.digest or "").rsplit(" ", 1)[-1], inputs=list(s.inputs),
                  step_platform=s.platform or platform)
        lanes.setdefault((lane_name, platform), Lane(lane_name, platform, [])).bars.append(bar)
    for lane in lanes.values():
        lane.bars.sort(key=lambda b: (b.start, b.end))
        ends: list[float] = []
        for b in lane.executed:
            for i, end in enumerate(ends):
                if end <= b.start + 1e-3:
                    b.row, ends[i] = i, b.end
                    break
            else:
                b.row = len(ends)
                ends.append(b.end)
        lane.rows = max(1, len(ends))
    ordered = sorted(lanes.values(), key=lambda ln: (ln.target, ln.platform))
    t = Timeline(ordered, max((b.end for ln in ordered for b in ln.bars), default=0.0))
    mark_critical_path(t)
    return t


def mark_critical_path(t: Timeline) -> list[Bar]:
    """Mark the chain of executed steps that ended last: each one's latest-finishing input, back to the start.

    BuildKit gives each vertex its inputs; when an input is not a step of the record
    (the context, a base image), the step of the same lane that finished last before
    this one started stands in for it.
    """
    executed = [b for b in t.bars if not b.cached]
    if not executed:
        return []
    by_key = {b.key: b for b in executed if b.key}
    bar: Bar | None = max(executed, key=lambda b: b.end)
    path: list[Bar] = []
    while bar is not None and bar not in path:
        bar.critical = True
        path.append(bar)
        current = bar
        preds = [by_key[k] for k in current.inputs if k in by_key]
        if not preds:
            preds = [b for b in executed if b.lane == current.lane and b.platform == current.platform
                     and b is not current and b.end <= current.start + 0.05]
        bar = max(preds, key=lambda b: b.end) if preds else None
    return path[::-1]


def _label(name: str) -> str:
    """``[builder 6/6] RUN ...`` -> ``[builder 6/6]``."""
    m = _INSTRUCTION.match(name)
    return m.group(0).strip() if m else name


@dataclass
class CacheMiss:
    bar: Bar
    reasons: list[str]


def first_cache_miss(rec: BuildRecord, previous: BuildRecord | None, t: Timeline | None = None) -> CacheMiss | None:
    """The first executed step (by start time) and what may have changed since ``previous``."""
    t = t or timeline(rec)
    executed = sorted((b for b in t.bars if not b.cached), key=lambda b: (b.start, b.lane, b.platform))
    if not executed:
        return None
    bar = executed[0]
    reasons = [f"instruction: {bar.instruction}"]
    word = bar.instruction.split(" ", 1)[0].upper()
    if word in ("COPY", "ADD"):
        reasons.append("a file it copies from the context changed (or the previous cache was not found)")
    if previous is not None:
        before = previous.results.get(bar.lane) or next(iter(previous.results.values()), None)
        now = rec.results.get(bar.lane)
        if before is not None and now is not None:
            for k in sorted(set(before.build_args) | set(now.build_args)):
                if before.build_args.get(k) != now.build_args.get(k):
                    reasons.append(f"build arg {k}: {before.build_args.get(k)!r} -> {now.build_args.get(k)!r}")
            label = _label(bar.name)
            same_label = [st for st in before.steps if _label(st.name) == label]
            if not same_label:
                reasons.append("this step is new since the previous build")
            elif not any(st.name == bar.name for st in same_label):
                reasons.append("the instruction differs from the previous build's (a build arg's value in it, or its text)")
    else:
        reasons.append("no earlier build of this target is recorded")
    return CacheMiss(bar, reasons)


@dataclass
class TrendPoint:
    id: str
    version: str
    created: str
    duration_seconds: float
    size_bytes: int | None
    steps_cached: int
    steps_total: int


def trend(records: list[BuildRecord]) -> list[TrendPoint]:
    return [
        TrendPoint(r.id, r.version, r.created, r.duration_seconds, r.size_bytes, r.steps_cached, r.steps_total) for r in records
    ]
