"""The docker-buildx plugin found as the docker CLI finds it, for the questions buildorch asks it directly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from buildorch.engine import docker_cli


def plugin(d: Path, mode: int = 0o755) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    p = d / "docker-buildx"
    p.write_text("#!/bin/sh\n")
    p.chmod(mode)
    return p


@pytest.fixture
def dirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setattr(docker_cli, "SYSTEM_PLUGIN_DIRS", (str(tmp_path / "sys1"), str(tmp_path / "sys2")))
    monkeypatch.setattr(docker_cli.shutil, "which", lambda name: "/usr/bin/docker")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "config"))
    docker_cli._plugin_in.cache_clear()
    yield tmp_path
    docker_cli._plugin_in.cache_clear()


def test_the_docker_cli_order_extra_dirs_then_the_config_directory_then_the_system(dirs: Path) -> None:
    sys2 = plugin(dirs / "sys2")
    assert docker_cli.buildx_plugin() == str(sys2)
    docker_cli._plugin_in.cache_clear()
    sys1 = plugin(dirs / "sys1")
    assert docker_cli.buildx_plugin() == str(sys1)
    docker_cli._plugin_in.cache_clear()
    mine = plugin(dirs / "config" / "cli-plugins")
    assert docker_cli.buildx_plugin() == str(mine)
    docker_cli._plugin_in.cache_clear()
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


@pytest.mark.parametrize(
    ("args", "direct"),
    [
        (["buildx", "version"], True),
        (["buildx", "bake", "--file", "x.hcl", "app", "--print"], True),
        (["buildx", "bake", "--file", "x.hcl", "app"], False),
        (["buildx", "build", "--print", "."], False),  # only bake's --print is known to change nothing
        (["buildx", "inspect"], False),
        (["version"], False),
    ],
)
def test_which_commands_ask_the_plugin_directly(args: list[str], direct: bool) -> None:
    assert docker_cli.answers_only(args) is direct


def test_the_plugin_runs_standalone_with_the_rest_of_the_command(dirs: Path) -> None:
    p = plugin(dirs / "sys1")
    p.write_text('#!/bin/sh\necho "$@"\n')
    assert docker_cli.run(["buildx", "bake", "--file", "a b.hcl", "--print"]) == "bake --file a b.hcl --print"
    assert os.access(p, os.X_OK)
