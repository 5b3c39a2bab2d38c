"""The --print a bake starts early is the one its plan asks for, when the options need no normalising."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildorch.bakes import plan as bake_plan
from buildorch.bakes import printing, variables
from buildorch.bakes.models import BakeSpec
from buildorch.engine import buildx


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    seen: list[tuple[list[str], dict[str, str]]] = []
    monkeypatch.setattr(buildx, "start_early", lambda args, env=None: seen.append((list(args), dict(env or {}))))
    monkeypatch.setattr(buildx, "ask_buildx_version", lambda: None)
    return seen


OPTIONS: dict[str, Any] = {
    "targets": ["app", "app-test"], "overrides": ["app.args.A=1", "*.labels.x=y"], "platforms": ["linux/amd64"],
    "push": False, "version": "1.2.3", "build_time": "2026-01-01T00:00:00Z", "builder": "farm",
}  # fmt: skip


def test_the_early_print_is_the_planned_one(tmp_path: Path, started: list[tuple[list[str], dict[str, str]]]) -> None:
    hcl = tmp_path / "docker-bake.hcl"
    hcl.write_text('target "app" {}\n')
    printing.start_early(files=[hcl], variables=["TAG=edge"], **OPTIONS)
    spec = BakeSpec(files=[hcl], variables={"TAG": "edge"}, **OPTIONS)
    planned = [*bake_plan._base_flags(spec, [hcl]), *spec.targets, "--print"]
    assert started == [(planned, variables.user_variables(spec))]


def test_a_var_that_reads_the_environment_is_not_guessed(started: list[tuple[list[str], dict[str, str]]]) -> None:
    printing.start_early(files=[], variables=["TAG"], **OPTIONS)
    assert started == []
