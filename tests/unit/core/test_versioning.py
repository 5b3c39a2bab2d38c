import subprocess
from pathlib import Path

import pytest

from buildorch.core import versioning
from buildorch.engine.git import resolve_version


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    git(tmp_path, "config", "user.email", "t@example.invalid")
    git(tmp_path, "config", "user.name", "t")
    (tmp_path / "f").write_text("1")
    git(tmp_path, "add", "f")
    env = {"GIT_COMMITTER_DATE": "2024-05-06T07:08:09Z", "GIT_AUTHOR_DATE": "2024-05-06T07:08:09Z", "PATH": "/usr/bin:/bin"}
    git(tmp_path, "commit", "-q", "-m", "one", env=env)
    return tmp_path


def test_no_tag_uses_the_short_commit_and_commit_time(repo: Path) -> None:
    v = resolve_version(repo, env={})
    assert v.version_source == "git" and len(v.version) >= 7
    assert v.build_time == "2024-05-06T07:08:09Z"
    assert v.source_date_epoch == 1714979289
    assert v.time_source == "git"


def test_tag_drops_the_v(repo: Path) -> None:
    git(repo, "tag", "v1.2.3")
    assert resolve_version(repo, env={}).version == "1.2.3"


def test_dirty_tree(repo: Path) -> None:
    git(repo, "tag", "v1.2.3")
    (repo / "f").write_text("2")
    assert resolve_version(repo, env={}).version == "1.2.3-dirty"


def test_source_date_epoch_wins_over_git(repo: Path) -> None:
    v = resolve_version(repo, env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert (v.build_time, v.time_source) == ("2023-11-14T22:13:20Z", "SOURCE_DATE_EPOCH")


def test_explicit_values_win(repo: Path) -> None:
    v = resolve_version(repo, "9.9.9", "2025-01-01T00:00:00+01:00", env={"SOURCE_DATE_EPOCH": "1"})
    assert (v.version, v.build_time, v.source_date_epoch) == ("9.9.9", "2024-12-31T23:00:00Z", 1735686000)


def test_outside_git(tmp_path: Path) -> None:
    v = resolve_version(tmp_path, env={})
    assert (v.version, v.version_source, v.time_source) == ("0.0.0-dev", "default", "now")


def test_two_resolutions_of_one_commit_agree(repo: Path) -> None:
    assert resolve_version(repo, env={}) == resolve_version(repo, env={})


@pytest.mark.parametrize("bad", ["yesterday", "2024-01-01T00:00:00", "2024-13-01T00:00:00Z"])
def test_bad_build_time(bad: str) -> None:
    with pytest.raises(ValueError, match="build time"):
        versioning.parse_time(bad)


def test_bad_source_date_epoch(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        resolve_version(tmp_path, env={"SOURCE_DATE_EPOCH": "soon"})


def test_tag_safe() -> None:
    assert versioning.tag_safe("1.2.3+build.5") == "1.2.3-build.5"
    assert versioning.tag_safe("abc1234-dirty") == "abc1234-dirty"
