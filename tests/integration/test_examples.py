"""actionlint (built by ``scripts/stack up --all`` from its Go module, v1.7.12) over examples/github-actions/."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.recorded import ROOT

pytestmark = pytest.mark.integration

STACK_DIR = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack"))
ACTIONLINT = STACK_DIR / "go" / "bin" / "actionlint"
WORKFLOWS = sorted((ROOT / "examples" / "github-actions").glob("*.yml"))


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if not ACTIONLINT.is_file():
        pytest.fail(f"{ACTIONLINT} is missing: run `scripts/stack up --all` (or `scripts/stack actionlint`)")
    version = subprocess.run([str(ACTIONLINT), "-version"], capture_output=True, text=True, check=True).stdout.split()[0]
    assert version == "1.7.12"
    return ACTIONLINT


def test_actionlint_passes_on_the_examples(actionlint: Path) -> None:
    assert len(WORKFLOWS) == 2
    r = subprocess.run([str(actionlint), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr


def test_actionlint_catches_a_broken_workflow(actionlint: Path, tmp_path: Path) -> None:
    """The check can fail: an undefined step output and a bad runner label are reported."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        (ROOT / "examples" / "github-actions" / "release.yml")
        .read_text()
        .replace("steps.meta.outputs.version", "steps.nope.outputs.version")
        .replace("runs-on: ubuntu-24.04", "runs-on: ubuntu-9.04")
    )
    r = subprocess.run([str(actionlint), "-no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert "nope" in r.stdout and "ubuntu-9.04" in r.stdout
