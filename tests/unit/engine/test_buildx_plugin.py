"""The docker-buildx plugin found as the docker CLI finds it, which buildorch runs directly for every buildx command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildorch.core import dirs as core_dirs
from buildorch.engine import buildx, docker_cli, plugins


def plugin(d: Path, mode: int = 0o755) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / "docker-buildx"
    p.write_text("#!/bin/sh\n")
    p.chmod(mode)
    return p


@pytest.fixture
def dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(plugins, "SYSTEM_PLUGIN_DIRS", (str(tmp_path / "sys1"), str(tmp_path / "sys2")))
    docker = plugin(tmp_path / "bin").rename(tmp_path / "bin" / "docker")  # an executable stand-in
    monkeypatch.setattr(docker_cli.shutil, "which", lambda name: str(docker))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))
    plugins._plugin_in.cache_clear()
    yield tmp_path
    plugins._plugin_in.cache_clear()


def test_the_docker_cli_order_extra_dirs_then_the_config_directory_then_the_system(dirs: Path) -> None:
    sys2 = plugin(dirs / "sys2")
    assert docker_cli.buildx_plugin() == str(sys2)
    plugins._plugin_in.cache_clear()
    sys1 = plugin(dirs / "sys1")
    assert docker_cli.buildx_plugin() == str(sys1)
    plugins._plugin_in.cache_clear()
    mine = plugin(dirs / "config" / "cli-plugins")
    assert docker_cli.buildx_plugin() == str(mine)
    plugins._plugin_in.cache_clear()
    extra = plugin(dirs / "extra")
    (dirs / "config" / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": [str(dirs / "extra")]}))
    assert docker_cli.buildx_plugin() == str(extra)


@pytest.mark.parametrize(
    "why",
    ["no docker on PATH", "a config that is not JSON", "extra dirs that are not a list", "first one not executable", "none"],
)
def test_when_unsure_docker_is_run(dirs: Path, monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    plugin(dirs / "sys2")
    (dirs / "config").mkdir()
    if why == "no docker on PATH":
        monkeypatch.setattr(docker_cli.shutil, "which", lambda name: None)
    elif why == "a config that is not JSON":
        (dirs / "config" / "config.json").write_text("{")
    elif why == "extra dirs that are not a list":
        (dirs / "config" / "config.json").write_text(json.dumps({"cliPluginsExtraDirs": "/x"}))
    elif why == "first one not executable":
        plugin(dirs / "sys1", mode=0o644)
    else:
        (dirs / "sys2" / "docker-buildx").unlink()
    assert docker_cli.buildx_plugin() is None


def test_buildx_commands_run_the_plugin_and_others_the_docker_cli(dirs: Path) -> None:
    sys2 = plugin(dirs / "sys2")
    docker = str(dirs / "bin" / "docker")
    assert docker_cli.argv(["buildx", "build", "--tag", "a", Path(".")]) == [str(sys2), "build", "--tag", "a", "."]
    assert docker_cli.argv(["buildx", "bake", "--print"]) == [str(sys2), "bake", "--print"]
    assert docker_cli.argv(["image", "inspect", "a"]) == [docker, "image", "inspect", "a"]
    assert docker_cli.argv(["version"]) == [docker, "version"]


def test_a_docker_that_is_not_there_is_run_to_fail_as_docker(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A ``docker`` that is not an executable file: its own run reports it (\"the docker CLI was not found\")."""
    plugin(dirs / "sys2")
    monkeypatch.setattr(docker_cli, "docker_cmd", lambda: ["/nonexistent/docker"])
    assert docker_cli.argv(["buildx", "build", "."]) == ["/nonexistent/docker", "buildx", "build", "."]


def version_plugin(d: Path, version: str) -> Path:
    """A docker-buildx that answers ``version`` and counts how often it ran (in ``ran`` beside it)."""
    p = plugin(d)
    p.write_text(f'#!/bin/sh\necho "$1" >> {d / "ran"}\necho "github.com/docker/buildx {version} abc"\n')
    return p


def runs(d: Path) -> int:
    return len((d / "ran").read_text().splitlines()) if (d / "ran").exists() else 0


def test_the_version_is_asked_once_per_plugin_file(dirs: Path) -> None:
    version_plugin(dirs / "sys2", "v0.38.2")
    assert buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc" and runs(dirs / "sys2") == 1
    assert buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc" and runs(dirs / "sys2") == 1  # from disk
    buildx.ask_buildx_version()
    assert not docker_cli._early  # nothing started for an answer already known
    version_plugin(dirs / "sys2", "v0.39.0")  # an upgrade in place: same path, new contents
    assert buildx.buildx_version() == "github.com/docker/buildx v0.39.0 abc" and runs(dirs / "sys2") == 2
    plugins._plugin_in.cache_clear()
    version_plugin(dirs / "sys1", "v0.13.1")  # another plugin first in line: its own entry
    assert buildx.buildx_version() == "github.com/docker/buildx v0.13.1 abc" and runs(dirs / "sys1") == 1
    doc = json.loads((core_dirs.user_cache_dir() / buildx.VERSION_FILE).read_text())
    assert set(doc) == {str(dirs / "sys1" / "docker-buildx"), str(dirs / "sys2" / "docker-buildx")}


def test_a_cache_that_cannot_be_written_or_read_means_asking_each_time(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_plugin(dirs / "sys2", "v0.38.2")
    (dirs / "file").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs / "file"))  # buildorch's folder cannot be made
    assert buildx.buildx_version() == buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc"
    assert runs(dirs / "sys2") == 2
    monkeypatch.setenv("XDG_CACHE_HOME", str(dirs / "xdg"))
    (dirs / "xdg" / "buildorch").mkdir(parents=True)
    (dirs / "xdg" / "buildorch" / buildx.VERSION_FILE).write_text('["not", "a", "map"]')
    assert buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc" and runs(dirs / "sys2") == 3
    assert buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc" and runs(dirs / "sys2") == 3  # rewritten


def test_without_a_plugin_file_nothing_is_kept(dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_cli, "run", lambda args, **kw: "github.com/docker/buildx v0.38.2 abc\n")
    monkeypatch.setattr(buildx, "run", docker_cli.run)
    assert buildx.buildx_version() == "github.com/docker/buildx v0.38.2 abc"  # through `docker buildx`: no file to key on
    assert not (core_dirs.user_cache_dir() / buildx.VERSION_FILE).exists()
