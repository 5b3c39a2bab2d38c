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
        "import atexit, signal, sys\n"
        "sys.argv = ['buildorch', 'stages', '--help']\n"
        "atexit.register(lambda: print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN))\n"
        "from buildorch.cli.entry import script\n"
        "script()\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "True"


@pytest.mark.parametrize(
    ("args", "code", "stream", "text"),
    [
        (["build", "--help"], 0, "stdout", "--build-context"),  # the last screenful arrives through a pipe
        (["frobnicate"], 2, "stderr", "No such command"),
        (["build", "/nonexistent-context"], 2, "stderr", "is not a directory"),
    ],
)
def test_the_console_script_ends_with_its_code_its_output_and_its_atexit_functions(
    args: list[str], code: int, stream: str, text: str
) -> None:
    # entry.leave ends the process by os._exit (no module tear-down): nothing else may change.
    program = (
        "import atexit, sys\n"
        f"sys.argv = ['buildorch', *{args!r}]\n"
        "atexit.register(lambda: print('atexit ran', file=sys.stderr))\n"
        "from buildorch.cli.entry import script\n"
        "script()\n"
        "print('after main', file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert done.returncode == code
    assert text in getattr(done, stream)
    assert done.stderr.splitlines()[-1] == "atexit ran"
    assert "after main" not in done.stderr


def test_main_with_sys_argv_still_raises_system_exit_for_who_embeds_it() -> None:
    # make reliability's hostile inputs call main() in forked workers that go on afterwards: no os._exit there.
    program = (
        "import sys\n"
        "sys.argv = ['buildorch', 'frobnicate']\n"
        "from buildorch.cli.entry import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    print('went on after', exc.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "went on after 2"
