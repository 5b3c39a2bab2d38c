"""The foundation (issue 2): the stack is up and buildorch's buildx module drives it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from buildorch.engine import buildx
from tests.integration.helpers import ROOT, buildorch, buildorch_json, docker, unique

pytestmark = pytest.mark.integration


def test_stack_status_is_all_ok() -> None:
    r = subprocess.run([str(ROOT / "scripts" / "stack"), "status"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "LOCAL STAND-IN" in r.stdout


def test_doctor_json_lists_arm64_and_the_containerd_store() -> None:
    report = buildorch_json("doctor")
    assert report["ok"] is True
    assert "linux/arm64" in report["platforms"] and "linux/amd64" in report["platforms"]
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["containerd-store"]["ok"] and checks["containerd-store"]["detail"] == "on"
    assert checks["registry"]["ok"]


def test_doctor_with_the_daemon_down_is_one_line() -> None:
    r = buildorch("doctor", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert r.returncode == 1
    assert "FAIL engine" in r.stdout and "not reachable" in r.stdout
    assert "Traceback" not in r.stdout + r.stderr
    # The checks that need no engine still run; the others say why they did not (#19).
    assert "ok   buildx" in r.stdout and "skip builder" in r.stdout and "registry" in r.stdout


def test_multiplatform_scratch_build_load_and_push(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch\nARG TARGETARCH\nCOPY hello-${TARGETARCH}.txt /hello.txt\n")
    for arch in ("amd64", "arm64"):
        (tmp_path / f"hello-{arch}.txt").write_text(f"hello from {arch}\n")
    tag = f"{unique()}:scratch"
    ref = f"localhost:5000/{unique()}:scratch"
    try:
        for output in (["--load", "-t", tag], ["--push", "-t", ref]):
            lines = list(buildx.stream(["buildx", "build", "--platform", "linux/amd64,linux/arm64", *output,
                                        "--progress", "plain", str(tmp_path)], what="docker buildx build"))
            assert lines
        raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", ref))
        platforms = {f"{m['platform']['os']}/{m['platform']['architecture']}" for m in raw["manifests"]}
        assert {"linux/amd64", "linux/arm64"} <= platforms
        cid = docker("create", "--platform", "linux/arm64", tag, "x").strip()
        try:
            docker("cp", f"{cid}:/hello.txt", str(tmp_path / "out.txt"))
        finally:
            docker("rm", cid)
        assert (tmp_path / "out.txt").read_text() == "hello from arm64\n"
    finally:
        docker("image", "rm", "-f", tag, check=False)


def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("scripts/stack up needs root")


def test_registry_digest_of_an_image_not_pushed_is_empty_not_fatal() -> None:
    # The first fresh machine died here: curl -f's 404 inside $(...) under set -e.
    nodes = ROOT / "scripts" / "buildkitd-nodes"
    r = subprocess.run(
        ["bash", "-c", f'. "{nodes}"; d=$(registry_digest library/{unique("nosuch")} latest); echo "digest=[$d]"'],
        capture_output=True, text=True, check=False, timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "digest=[]"


def test_stack_up_with_the_registry_port_taken_names_the_step_and_exits_1() -> None:
    _needs_root()
    with socket.socket() as other:  # another program's listener on the registry's port
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        env = {**os.environ, "BUILDORCH_REGISTRY_ADDR": f"127.0.0.1:{port}"}
        stack = str(ROOT / "scripts" / "stack")
        r = subprocess.run([stack, "up"], capture_output=True, text=True, check=False, env=env, timeout=300)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if "error:" in line]
    assert errors == [
        f'[stack] error: step "registry" failed: port {port} is taken by something that is not a registry'
        f" (log: {os.environ.get('BUILDORCH_STACK_DIR', '/var/lib/buildorch-stack')}/log/registry.log)"
    ], r.stderr
    # Nothing the stack had running was touched: the real registry still answers.
    assert subprocess.run(["scripts/stack", "status"], cwd=ROOT, capture_output=True, check=False).returncode == 0


STACK_DIR = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack"))


def test_the_current_buildx_is_the_default_and_debians_is_kept_for_compat() -> None:
    # scripts/lib/buildx.sh: v0.38.2 from its Go module as the default plugin, Debian's 0.13.1 beside it.
    pinned = subprocess.run(["bash", "-c", f". {ROOT}/scripts/lib/common.sh; . {ROOT}/scripts/lib/buildx.sh; "
                             'echo "$BUILDX_VERSION"'], capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    default = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True, check=True,
                             env={k: v for k, v in os.environ.items() if k != "DOCKER_CONFIG"}).stdout  # fmt: skip
    if f" {pinned} " not in default and os.environ.get("BUILDORCH_BUILDX_DEFAULT") == "0":
        pytest.skip("BUILDORCH_BUILDX_DEFAULT=0: the stack left the default plugin alone")
    assert f" {pinned} " in default, default
    compat = docker_with_config(STACK_DIR / "buildx" / "compat-config", "buildx", "version")
    assert " 0.13." in compat, compat


def docker_with_config(config: Path, *args: str) -> str:
    env = {**os.environ, "DOCKER_CONFIG": str(config)}
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True, env=env).stdout


@pytest.mark.parametrize("config", [None, STACK_DIR / "buildx" / "compat-config"], ids=["default", "compat"])
def test_the_plugin_buildorch_asks_directly_is_the_one_docker_runs(config: Path | None) -> None:
    # engine/docker_cli.buildx_plugin: every buildx command (builds and bakes too) skips the docker CLI in front of buildx.
    env = {k: v for k, v in os.environ.items() if k != "DOCKER_CONFIG"} | ({"DOCKER_CONFIG": str(config)} if config else {})
    code = "from buildorch.engine import buildx, docker_cli; print(docker_cli.buildx_plugin()); print(buildx.buildx_version())"
    ours = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    plugin, version = ours.splitlines()
    assert plugin.endswith("/docker-buildx"), ours
    docker = subprocess.run(["docker", "buildx", "version"], capture_output=True, text=True, check=True, env=env).stdout
    assert version == docker.strip()
