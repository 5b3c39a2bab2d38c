"""``build --push-by-digest`` and ``merge``: bad input is one line and exit 2, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildorch.cli.app import main


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "linux/amd64,linux/arm64", "-t", "r:5000/x"], "--push-by-digest builds one platform"),
        (["--platform", "linux/amd64"], "--push-by-digest needs the image"),
        (["--platform", "linux/amd64", "-t", "app"], "--push-by-digest needs the image"),
        (["--platform", "linux/amd64", "-t", "r:5000/x", "--push"], "drop --push"),
    ],
)
def test_push_by_digest_bad_input(ctx: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["build", str(ctx), "--push-by-digest", "--dry-run", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_digest_dir_needs_push_by_digest(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(ctx), "--digest-dir", "d", "--dry-run"]) == 2
    assert "--digest-dir goes with --push-by-digest" in capsys.readouterr().err


def test_push_by_digest_plan(ctx: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(ctx / "cache"))
    code = main(["build", str(ctx), "--push-by-digest", "--platform", "linux/arm64", "-t", "r:5000/x:ignored", "--dry-run",
                 "--version", "1.0.0"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "--output type=image,name=r:5000/x,push-by-digest=true,name-canonical=true,push=true" in out
    assert "linux-arm64" in out  # the platform's own cache scope
    assert "--tag" not in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--image", "r:5000/x", "--digest-dir", "nowhere", "--tag", "1"], "digest directory nowhere does not exist"),
        (["--image", "r:5000/x:1", "--digest-dir", "d", "--tag", "1"], "without a tag"),
        (["--image", "r:5000/x", "--digest-dir", "d", "--platform", "linux/arm46", "--tag", "1"], "linux/arm64"),
    ],
)
def test_merge_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str,
                         monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    assert main(["merge", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_merge_needs_tags(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / ("ab" * 32)).touch()
    assert main(["merge", "--image", "r:5000/x", "--digest-dir", "d"]) == 2
    assert "merge needs tags" in capsys.readouterr().err
