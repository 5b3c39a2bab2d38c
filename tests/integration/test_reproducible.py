"""#24 against the real stack: the local BuildKit image, docker-container builders offline,
reproducible pushes and ``check-reproducible``.

Everything runs in a private Docker config (``DOCKER_CONFIG``): the builders made here, and
``buildx create --use``, are invisible to anyone else sharing the engine, and each is
removed at the end. Slow: every build here starts from nothing (no cache) on a new builder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import APP, buildorch, unique

# Slow: every test builds from nothing on throwaway docker-container builders (about 10 min): make test-slow.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

REGISTRY = "127.0.0.1:5000"
PLATFORMS = "linux/amd64,linux/arm64"
SLOW = 2400  # seconds: two cold builds with an arm64 leg on a busy 2-core machine


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cfg = tmp_path / "docker-config"
    cfg.mkdir()
    home = Path(os.environ.get("DOCKER_CONFIG", Path.home() / ".docker"))
    if (home / "cli-plugins").is_dir():  # the buildx plugin, wherever this machine keeps it
        shutil.copytree(home / "cli-plugins", cfg / "cli-plugins")
    monkeypatch.setenv("DOCKER_CONFIG", str(cfg))
    yield cfg


def bx(*args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", "buildx", *args], capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def container_builder(docker_config: Path) -> Iterator[str]:
    """A docker-container builder made by ``buildorch builder create`` (host network: the registry is on loopback)."""
    name = unique("i24-dc")
    decl = docker_config / "buildorch.toml"
    decl.write_text(f'[builders.{name}]\ndriver = "docker-container"\n'
                    f'[[builders.{name}.nodes]]\nname = "{name}0"\ndriver_opts = {{ network = "host" }}\n')
    r = buildorch("builder", "create", name, "-c", str(decl))
    assert r.returncode == 0, r.stderr
    try:
        yield name
    finally:
        bx("rm", name)


def test_workshop_buildx_create_use_then_multiplatform_build_works_offline(docker_config: Path) -> None:
    """Exercise 7 of the workshop: a plain ``buildx create --use`` (bridge network, default image), then a build."""
    name = unique("i24-ws")
    r = bx("create", "--use", "--name", name, "--bootstrap")
    try:
        assert r.returncode == 0, r.stderr
        # buildx could not pull moby/buildkit:buildx-stable-1 and used the stack's local one.
        assert "moby/buildkit:buildx-stable-1" in r.stdout + r.stderr
        b = bx("build", "--platform", PLATFORMS, str(APP), timeout=SLOW)
        assert b.returncode == 0, b.stderr[-3000:]
    finally:
        bx("rm", name)


def push(builder: str, ref: str) -> dict[str, str]:
    # One BUILD_TIME for both: by default it is HEAD's commit time, which a commit made while
    # this test runs would move between the two builds.
    r = buildorch("build", str(APP), "--platform", PLATFORMS, "--version", "5.0.0", "--build-time", "2026-11-29T12:00:00Z",
                  "--no-cache", "--cache", "none",
                  "--push", "-t", ref, "--builder", builder, "--progress", "quiet", "--json", timeout=SLOW)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "not be bit-for-bit reproducible" not in r.stderr
    digests: dict[str, str] = json.loads(r.stdout)["platform_digests"]
    assert sorted(digests) == PLATFORMS.split(",")
    return digests


def test_two_no_cache_pushes_on_docker_container_give_the_same_platform_digests(container_builder: str) -> None:
    repo = f"{REGISTRY}/{unique('i24-repro')}"
    assert push(container_builder, f"{repo}:a") == push(container_builder, f"{repo}:b")


def test_check_reproducible_app_exits_0(docker_config: Path) -> None:
    r = buildorch("check-reproducible", str(APP), "--platform", PLATFORMS, "--version", "5.0.0", "--json", timeout=SLOW)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert out["reproducible"] is True and out["first"] == out["second"] and len(out["first"]) == 2


def test_check_reproducible_names_the_file_that_holds_the_date(tmp_path: Path, docker_config: Path) -> None:
    ctx = tmp_path / "dated"
    ctx.mkdir()
    minor = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, check=True).stdout.strip()
    minor = ".".join(minor.removeprefix("go").split(".")[:2])
    (ctx / "Dockerfile").write_text(
        f"FROM golang:{minor}-bookworm AS b\nRUN date +%s%N > /stamp\n"
        "FROM scratch\nCOPY --from=b /stamp /stamp\n"
    )
    r = buildorch("check-reproducible", str(ctx), "--platform", "linux/amd64", "--version", "1.0.0", timeout=SLOW)
    assert r.returncode == 5, r.stderr[-3000:]
    assert "layer 0, file stamp: content differs" in r.stderr


def test_build_on_the_docker_driver_warns_once(tmp_path: Path) -> None:
    ctx = tmp_path / "tiny"
    ctx.mkdir()
    (ctx / "a").write_text("a\n")
    (ctx / "Dockerfile").write_text("FROM scratch\nCOPY a /a\n")
    r = buildorch("build", str(ctx), "--builder", "default", "--push", "-t", f"{REGISTRY}/{unique('i24-tiny')}:1",
                  "--version", "1.0.0", "--progress", "quiet")
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("will not be bit-for-bit reproducible") == 1
