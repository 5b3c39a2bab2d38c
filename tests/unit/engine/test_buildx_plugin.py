"""The docker-buildx plugin found as the docker CLI finds it, which buildorch runs directly for every buildx command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildorch.engine import docker_cli, plugins


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
