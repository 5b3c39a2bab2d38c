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


def test_a_finished_command_ignores_a_late_ctrl_c() -> None:
    # Python's shutdown restores SIGINT's default action: a Ctrl-C then killed a finished build silently (exit -2).
    code = (
        "import signal, sys\n"
        "sys.argv = ['buildorch', 'stages', '--help']\n"
        "from buildorch.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "True"
