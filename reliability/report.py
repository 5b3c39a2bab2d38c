"""Results of the reliability suite: figures with goals, written as ``latest.json`` and ``latest.md``."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from bench import report as bench_report
from bench.report import machine, now

RESULTS = Path(__file__).resolve().parent / "results"

Op = Literal[">=", "<=", "=="]
_OPS: dict[str, Callable[[Any, Any], bool]] = {">=": operator.ge, "<=": operator.le, "==": operator.eq}


@dataclass
class Figure:
    """One measured figure and its goal: ``value OP goal`` must hold (``trials`` says how many runs it summarises)."""

    name: str
    title: str
    value: float
    goal: float
    op: Op
    unit: str = ""
    trials: int = 0
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def goal_met(self) -> bool:
        return bool(_OPS[self.op](self.value, self.goal))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "goal_met": self.goal_met}


def load(path: Path = RESULTS / "latest.json") -> dict[str, Any]:
    """The previous results, so that ``--only NAME`` replaces one scenario and keeps the others."""
    return bench_report.load(path)


def record(data: dict[str, Any], scenario: str, figures: list[Figure], duration_s: float, notes: list[str]) -> None:
    data.setdefault("scenarios", {})[scenario] = {
        "date": now(),
        "duration_s": round(duration_s, 1),
        "notes": notes,
        "figures": [f.to_json() for f in figures],
    }


def record_failure(data: dict[str, Any], scenario: str, reason: str, duration_s: float) -> None:
    """A scenario that could not run to the end: recorded with its reason and counted as a missed goal."""
    data.setdefault("scenarios", {})[scenario] = {
        "date": now(),
        "duration_s": round(duration_s, 1),
        "status": "failed",
        "reason": reason,
        "figures": [],
    }


def missed(data: dict[str, Any]) -> list[str]:
    """One line per missed goal and per scenario that could not run: what a CI log's last lines must show."""
    out = []
    for name, s in data.get("scenarios", {}).items():
        if s.get("status") == "failed":
            out.append(f"{name}: could not run: {s.get('reason', '')}")
        out += [f"{name}: {f['title']}: {f['value']:g}{f['unit']} (goal {f['op']} {f['goal']:g}, {s.get('date', '')})"
                for f in s["figures"] if not f["goal_met"]]  # fmt: skip
    return out


def all_met(data: dict[str, Any]) -> bool:
    return not missed(data)


def _fmt(x: float, unit: str) -> str:
    if unit == "%":
        return f"{x:.1f} %"
    if unit == "s":
        return f"{x:.2f} s"
    return f"{x:g}{' ' + unit if unit else ''}"


def markdown(data: dict[str, Any]) -> str:
    m = data.get("machine", {})
    lines = [
        "# buildorch reliability",
        "",
        f"Updated {data.get('updated', '?')} on {m.get('nproc')} CPUs, {m.get('memory_gib')} GiB, Docker engine "
        f"{m.get('docker_engine')}, {m.get('buildx')}, buildorch {m.get('buildorch_commit')}.",
        "",
        "| scenario | figure | value | goal | met | trials |",
        "|---|---|---|---|---|---|",
    ]
    notes: list[str] = []
    for name, sc in data.get("scenarios", {}).items():
        if sc.get("status") == "failed":
            lines.append(f"| {name} | **could not run**: {sc.get('reason', '')[:300]} | | | **no** | |")
            continue
        for f in sc["figures"]:
            op = {">=": "≥", "<=": "≤", "==": "="}[f["op"]]
            met = "yes" if f["goal_met"] else "**no**"
            lines.append(
                f"| {name} | {f['title']} | {_fmt(f['value'], f['unit'])} | {op} {_fmt(f['goal'], f['unit'])} | {met} | "
                f"{f['trials'] or ''} |"
            )
        extra = [n for f in sc["figures"] for n in f.get("notes", [])]
        notes.append(f"- **{name}** ({sc['date']}, {sc['duration_s']:.0f} s): " + " ".join([*sc.get("notes", []), *extra]))
    lines += ["", "## Notes", "", *notes, ""]
    return "\n".join(lines)


def write(data: dict[str, Any], out: Path = RESULTS) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    data["updated"] = now()
    data["machine"] = machine()
    data["all_goals_met"] = all_met(data)
    paths = [out / "latest.json", out / "latest.md"]
    paths[0].write_text(json.dumps(data, indent=2) + "\n")
    paths[1].write_text(markdown(data))
    return paths
