"""``buildorch login`` and ``release``'s new arguments: bad input is one line, exit 2, before anything runs."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from buildorch.cli.app import main


def test_login_reads_the_password_from_stdin_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["login", "127.0.0.1:5001", "-u", "ci"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the password is read from stdin only (--password-stdin)")


def test_login_with_an_empty_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main(["login", "127.0.0.1:5001", "-u", "ci", "--password-stdin"]) == 2
    assert capsys.readouterr().err.startswith("error: no password on stdin")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "error: --image is required (or --bake GROUP)"),
        (["--image", "r:5000/a", "--verify", "run"], "--verify run needs the command after --"),
        (["--image", "r:5000/a", "--image", "r:5000/a"], "an --image is given twice"),
        (["--bake", "release", "--target", "x"], "error: --bake takes the context, Dockerfile, stage and build args"),
    ],
)
def test_release_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    assert main(["release", "--version", "1.0.0", *args, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
