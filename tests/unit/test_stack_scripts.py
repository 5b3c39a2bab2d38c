"""The stack scripts' error report (scripts/lib/common.sh): every failure names its step and log.

These run bash on the shared library alone: no root, no Docker.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
COMMON = ROOT / "scripts" / "lib" / "common.sh"


def run_bash(body: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = f'PROG=t\nBUILDORCH_STACK_DIR="{tmp_path}/stack"\n. "{COMMON}"\n{body}\n'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=False, timeout=30)


def error_lines(r: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in r.stderr.splitlines() if line.startswith("[t] error:")]


def test_a_failing_command_names_the_step_and_its_log(tmp_path: Path) -> None:
    log = tmp_path / "step.log"
    r = run_bash(f'step download "{log}"\necho "the cause is here" >"{log}"\nfalse\necho not reached', tmp_path)
    assert r.returncode == 1
    assert error_lines(r) == [f"[t] error: step \"download\" failed: 'false' exited 1 (bash line 6) (log: {log})"]
    assert "the cause is here" in r.stderr  # the log's tail is shown
    assert "not reached" not in r.stdout


def test_a_failure_inside_command_substitution_is_reported_once(tmp_path: Path) -> None:
    # The class of bug that broke the first fresh machine: curl -f in $(...) under set -e.
    r = run_bash('step probe\nf() { curl -fsS -m 2 http://127.0.0.1:9/nothing; }\nx=$(f)\necho "got $x"', tmp_path)
    assert r.returncode != 0
    lines = error_lines(r)
    assert len(lines) == 1, r.stderr
    assert 'step "probe" failed' in lines[0]
    assert "got" not in r.stdout


def test_a_failing_pipeline_stage_is_reported(tmp_path: Path) -> None:
    r = run_bash("step parse\nfalse | cat\necho after", tmp_path)
    assert r.returncode == 1
    assert len(error_lines(r)) == 1 and 'step "parse" failed' in error_lines(r)[0]
    assert "after" not in r.stdout


def test_die_gives_the_message_and_hints(tmp_path: Path) -> None:
    r = run_bash('step registry\ndie "port 5000 is taken" "free it"', tmp_path)
    assert r.returncode == 1
    assert r.stderr.splitlines() == ['[t] error: step "registry" failed: port 5000 is taken', "[t]   free it"]


def test_a_guarded_failure_is_not_an_error(tmp_path: Path) -> None:
    r = run_bash("step x\nif false; then :; fi\nfalse || true\ny=$(false || true)\necho done", tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "done"
    assert r.stderr == ""
