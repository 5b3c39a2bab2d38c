"""Ctrl-C: one line, ``interrupted``, exit 130 (typer turns it into a silent ``Exit(130)`` of its own)."""

from pathlib import Path

import pytest

from buildorch.builds import runner
from buildorch.cli.app import main


def test_ctrl_c_during_a_build_says_interrupted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_plan", interrupted)
    code = main(["build", str(tmp_path), "--platform", "linux/amd64", "--cache", "none", "--version", "1.0.0"])
    err = capsys.readouterr().err
    assert code == 130
    assert err == "interrupted\n"
