"""The console script answers ``--version`` without importing typer (start-up time)."""

import subprocess
import sys

import pytest

from buildorch import __version__
from buildorch.cli.entry import main


def test_version_is_answered_without_typer() -> None:
    code = "import sys; from buildorch.cli.entry import main; main(['--version']); print('typer' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == [f"buildorch {__version__}", "False"]


def test_other_arguments_go_to_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err
