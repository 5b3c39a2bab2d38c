"""``buildorch meta`` through the CLI: what a workflow step sees, and bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildorch.cli.app import main
from tests.unit.ci.test_outputs import read_github_output

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for k, v in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_REF": "refs/tags/v1.2.3",
        "GITHUB_SHA": SHA,
        "GITHUB_REPOSITORY": "octocat/Hello-World",
        "SOURCE_DATE_EPOCH": "1578616200",
    }.items():
        monkeypatch.setenv(k, v)
    out = tmp_path / "github_output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    monkeypatch.chdir(tmp_path)
    return out


def test_outputs_and_bake_file(github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.buildorch.meta]\nimages = ["name/app"]\n'
        'tags = """\ntype=semver,pattern={{version}}\n# a comment\ntype=semver,pattern={{major}}.{{minor}}\n"""\n'
    )
    code = main(["meta", "--json", "--bake-file", "meta.json"])
    assert code == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["tags"] == ["name/app:1.2.3", "name/app:1.2", "name/app:latest"]
    assert shown["labels"]["org.opencontainers.image.created"] == "2020-01-10T00:30:00.000Z"  # SOURCE_DATE_EPOCH
    got = read_github_output(github.read_text())
    assert got["version"] == "1.2.3" and got["tags"].splitlines() == shown["tags"]
    assert got["bake-file"] == str(tmp_path / "meta.json")
    bake = json.loads((tmp_path / "meta.json").read_text())
    assert bake["target"]["docker-metadata-action"]["tags"] == shown["tags"]


def test_flags_replace_the_config(github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "buildorch.toml").write_text('[meta]\nimages = ["name/app"]\ntags = ["type=raw,value=fromfile"]\n')
    assert main(["meta", "--tags", "type=sha", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == ["name/app:sha-860c190"]


@pytest.mark.parametrize(
    ("args", "config", "message"),
    [
        (["--tags", "type=semver"], "", "error: missing pattern attribute in 'type=semver'"),
        (["--flavor", "latest=maybe"], "", "error: invalid latest flavor"),
        ([], '[meta]\ntagz = ["x"]\n', "unknown meta key 'tagz'"),
        ([], "[meta\n", "cannot read it as TOML"),
    ],
)
def test_bad_input_exit_2(
    github: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], config: str, message: str
) -> None:
    if config:
        (tmp_path / "buildorch.toml").write_text(config)
    code = main(["meta", *args, *(["--config", "buildorch.toml"] if config else [])])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_dotenv(github: Path, tmp_path: Path) -> None:
    assert main(["meta", "--images", "name/app", "--dotenv", "meta.env"]) == 0
    lines = (tmp_path / "meta.env").read_text().splitlines()
    assert "DOCKER_METADATA_OUTPUT_VERSION=v1.2.3" in lines
    assert "DOCKER_METADATA_OUTPUT_TAGS=name/app:v1.2.3,name/app:latest" in lines


def test_release_meta_needs_a_semver_event(
    github: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    code = main(["release", "--image", "127.0.0.1:5000/i18-app", "--meta", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "not a semantic version" in err


def test_bake_meta_needs_a_file(github: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bake", "--meta", "--dry-run"]) == 2
    assert "bake --meta needs the bake file" in capsys.readouterr().err
