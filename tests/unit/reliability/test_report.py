"""The reliability suite's results: a goal is met only when the figure satisfies it, and a scenario that could not run fails."""

from __future__ import annotations

import json
from pathlib import Path

from reliability import report
from reliability.common import Outcome


def test_goal_met_follows_the_operator() -> None:
    assert report.Figure("a", "A", 30, 30, ">=").goal_met
    assert not report.Figure("a", "A", 29, 30, ">=").goal_met
    assert report.Figure("b", "B", 0, 0, "==").goal_met and not report.Figure("b", "B", 1, 0, "==").goal_met
    assert not report.Figure("c", "C", 12.5, 10, "<=", unit="s").goal_met


def test_written_results_carry_goal_met_and_a_failed_scenario_misses(tmp_path: Path) -> None:
    data: dict[str, object] = {}
    report.record(data, "ok", [report.Figure("x", "X", 1, 1, "==", trials=3)], 1.0, ["note"])
    assert report.all_met(data)
    report.record_failure(data, "broken", "the registry did not start", 2.0)
    assert not report.all_met(data)
    report.record(data, "short", [report.Figure("y", "Y kills", 29, 30, ">=", trials=29)], 1.0, [])
    missed = report.missed(data)
    assert missed[0] == "broken: could not run: the registry did not start"
    assert missed[1].startswith("short: Y kills: 29 (goal >= 30, ") and len(missed) == 2
    json_path, md_path = report.write(data, tmp_path)
    written = json.loads(json_path.read_text())
    assert written["scenarios"]["ok"]["figures"][0]["goal_met"] is True and written["all_goals_met"] is False
    assert "could not run" in md_path.read_text()


def test_outcome_wants_one_error_line_and_no_traceback() -> None:
    assert Outcome(2, "error: unknown platform 'x'\n  hint: use linux/amd64\n").one_line_error
    assert not Outcome(3, "Traceback (most recent call last):\n  ...\nerror: internal\n").one_line_error
    assert not Outcome(1, "error: a\nerror: b\n").one_line_error
    assert not Outcome(9, "error: a\n").documented
