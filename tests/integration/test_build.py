"""``buildorch build`` against the real stack: multi-arch, version args, push, cache hits, failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from buildorch.core.elf import elf_facts
from tests.integration.helpers import (
    APP,
    buildorch,
    buildorch_json,
    docker,
    file_from_image,
    free_port,
    unique,
    wait_http,
)

pytestmark = pytest.mark.integration

VERSION = "1.2.3"
BUILD_TIME = "2026-01-02T03:04:05Z"


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {"BUILDORCH_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


@pytest.fixture(scope="module")
def built(cache_env: dict[str, str]) -> dict[str, Any]:
    tag = f"{unique()}:{VERSION}"
    result = buildorch_json(
        "build", "app", "--platform", "linux/amd64,linux/arm64", "-t", tag,
        "--version", VERSION, "--build-time", BUILD_TIME, env=cache_env,
    )
    yield result
    docker("image", "rm", "-f", tag, check=False)


def test_json_has_the_documented_keys(built: dict[str, Any]) -> None:
    for key in ("tags", "platforms", "target", "build_args", "digest", "image_id", "size_bytes",
                "steps_total", "steps_cached", "duration_seconds", "metadata"):
        assert key in built, key
    assert built["platforms"] == ["linux/amd64", "linux/arm64"]
    assert built["build_args"]["VERSION"] == VERSION and built["build_args"]["BUILD_TIME"] == BUILD_TIME
    assert built["build_args"]["SOURCE_DATE_EPOCH"] == "1767323045"
    assert built["loaded"] and built["digest"].startswith("sha256:")
    assert built["metadata"]["containerimage.digest"] == built["digest"]
    assert 0 < built["size_bytes"] < 20_000_000


def test_both_platforms_are_loaded_and_arm64_is_aarch64(built: dict[str, Any], tmp_path: Path) -> None:
    tag = built["tags"][0]
    for platform, machine in (("linux/amd64", "x86-64"), ("linux/arm64", "aarch64")):
        out = docker("run", "--rm", "--platform", platform, tag, "-version")
        assert out.splitlines()[0] == VERSION
        facts = elf_facts(file_from_image(tag, "/app", platform, tmp_path / f"app-{machine}").read_bytes())
        assert facts["machine"] == machine and facts["static"] is True


def test_running_image_reports_version_and_build_time(built: dict[str, Any]) -> None:
    tag = built["tags"][0]
    port = free_port()
    cid = docker("run", "-d", "--platform", "linux/amd64", "-p", f"127.0.0.1:{port}:8080", tag).strip()
    try:
        status, body = wait_http(f"http://127.0.0.1:{port}/api")
        api = json.loads(body)
        assert status == 200 and api["version"] == VERSION and api["build_time"] == BUILD_TIME
    finally:
        docker("rm", "-f", cid, check=False)


def test_oci_labels_carry_the_version(built: dict[str, Any]) -> None:
    labels = json.loads(docker("image", "inspect", "--format", "{{json .Config.Labels}}", built["tags"][0]))
    assert labels["org.opencontainers.image.version"] == VERSION
    assert labels["org.opencontainers.image.created"] == BUILD_TIME


def test_identical_rebuild_is_fully_cached(built: dict[str, Any], cache_env: dict[str, str]) -> None:
    again = buildorch_json(
        "build", "app", "--platform", "linux/amd64,linux/arm64", "-t", built["tags"][0],
        "--version", VERSION, "--build-time", BUILD_TIME, env=cache_env,
    )
    assert again["steps_total"] > 0
    assert again["steps_cached"] == again["steps_total"]
    assert again["cache_hit_ratio"] == 1.0


def test_builder_target(cache_env: dict[str, str]) -> None:
    tag = f"{unique()}:builder"
    try:
        r = buildorch_json("build", "app", "--target", "builder", "-t", tag, "--version", VERSION, env=cache_env)
        assert r["target"] == "builder"
        assert "/build/main" in docker("run", "--rm", tag, "ls", "/build/main")
    finally:
        docker("image", "rm", "-f", tag, check=False)


def test_push_reports_the_index_digest(cache_env: dict[str, str]) -> None:
    ref = f"localhost:5000/{unique()}:test"
    r = buildorch_json("build", "app", "--platform", "linux/amd64,linux/arm64", "--push", "-t", ref,
                       "--version", VERSION, env=cache_env)
    raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", ref))
    plats = {f"{m['platform']['os']}/{m['platform']['architecture']}" for m in raw["manifests"]}
    assert {"linux/amd64", "linux/arm64"} <= plats
    index_digest = docker("buildx", "imagetools", "inspect", ref, "--format", "{{json .Manifest.Digest}}").strip().strip('"')
    assert r["digest"] == index_digest
    assert r["pushed"] and set(r["platform_digests"]) == {"linux/amd64", "linux/arm64"}


def test_a_failing_step_shows_its_log_and_exit_code(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM golang:1.26-bookworm AS broken\nRUN echo 'compiling the thing' && echo 'missing header' >&2 && exit 7\n"
    )
    r = buildorch("build", str(tmp_path), "--cache", "none", "--progress", "quiet")
    assert r.returncode == 1
    assert "error: step [2/2] RUN echo 'compiling the thing'" in r.stderr
    assert "(exit code 7)" in r.stderr
    assert "  | missing header" in r.stderr
    assert "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "linux/arm65"], "did you mean linux/arm64?"),
        (["--target", "runtiem"], "stage 'runtiem' not found"),
        (["-f", "app/Nope.Dockerfile"], "Dockerfile app/Nope.Dockerfile not found"),
        (["--build-arg", "SECRET_KEY=hunter2", "--strict-secrets"], "looks like a secret (--strict-secrets)"),
        (["--build-arg", "REPO_TOKEN=ghp_" + "a1B2c3D4e5" * 4], "looks like a GitHub token"),
        (["--build-arg", "=x"], "malformed build arg"),
    ],
)
def test_bad_input_exits_nonzero_without_traceback(args: list[str], message: str) -> None:
    r = buildorch("build", "app", *args)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_daemon_down_is_one_line() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "buildorch", "build", str(APP), "--platform", "linux/amd64,linux/arm64"],
        capture_output=True, text=True, env={"DOCKER_HOST": "unix:///nonexistent.sock", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        check=False,
    )
    assert r.returncode == 1
    assert "error: the Docker engine is not reachable" in r.stderr and "Traceback" not in r.stderr
