"""``buildorch builder`` against two real BuildKit daemons with TLS (scripts/buildkitd-nodes).

Everything runs in a private Docker config (``DOCKER_CONFIG``) and state folder, so
the builders made here, and ``builder use``, are invisible to anyone else sharing
the engine. Nothing is sent to a non-local address: the one declaration with a
network endpoint is refused before any connection, and the ``--insecure`` case runs
in an empty network namespace (``unshare -n``), or as ``--dry-run`` where that is
not possible.

The first run on a fresh stack is slow: the arm64 node compiles Go under QEMU
(minutes); its cache mount keeps later builds to seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import APP, ROOT, buildorch, buildorch_json, docker, unique

# Slow: the farm builds the app on both buildkitd nodes from nothing (about 5 min): make test-slow.
pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODES = ROOT / "scripts" / "buildkitd-nodes"
BK = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack")) / "buildkit"
TLS = BK / "tls"
COLD_BUILD = 2400  # seconds: a first arm64 Go build under QEMU on a busy 2-core machine


def declaration(name: str, amd64_port: int = 1234, arm64_port: int = 1235) -> str:
    files = f'cacert = "{TLS}/ca.pem", cert = "{TLS}/client.pem", key = "{TLS}/client-key.pem"'
    tls = f'tls = {{ {files}, servername = "127.0.0.1" }}'
    return f"""
[builders.{name}]
driver = "remote"

[[builders.{name}.nodes]]
name = "amd64-1"
endpoint = "tcp://127.0.0.1:{amd64_port}"
platforms = ["linux/amd64"]
{tls}

[[builders.{name}.nodes]]
name = "arm64-1"
endpoint = "tcp://127.0.0.1:{arm64_port}"
platforms = ["linux/arm64"]
{tls}
"""


def nodes_script(*args: str) -> None:
    r = subprocess.run([str(NODES), *args], capture_output=True, text=True, timeout=1800, check=False)
    assert r.returncode == 0, f"scripts/buildkitd-nodes {' '.join(args)} failed:\n{r.stderr[-3000:]}"


def buildctl_histories(port: int) -> list[dict[str, Any]]:
    """The build records a daemon keeps (BuildKit's history API), straight from it."""
    r = subprocess.run(
        [str(BK / "bin" / "buildctl"), "--addr", f"tcp://127.0.0.1:{port}", "--tlsservername", "127.0.0.1",
         "--tlscacert", str(TLS / "ca.pem"), "--tlscert", str(TLS / "client.pem"), "--tlskey", str(TLS / "client-key.pem"),
         "debug", "histories", "--format", "json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return [json.loads(line)["record"] for line in r.stdout.splitlines() if line.strip().startswith("{")]


def built_here(port: int, repo: str) -> set[str]:
    """Platforms this daemon built for images pushed to ``repo``."""
    out = set()
    for rec in buildctl_histories(port):
        names = [e.get("Attrs", {}).get("name", "") for e in rec.get("Exporters") or []]
        if any(repo in n for n in names):
            out.add(rec.get("FrontendAttrs", {}).get("platform", ""))
    return out


@pytest.fixture(scope="module", autouse=True)
def private_docker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Builders, the current builder and buildorch's list of them, all private to this module."""
    if os.geteuid() != 0:
        pytest.skip("scripts/buildkitd-nodes needs root")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCKER_CONFIG", str(tmp_path_factory.mktemp("docker-config")))
        mp.setenv("BUILDORCH_STATE_DIR", str(tmp_path_factory.mktemp("buildorch-state")))
        yield


@pytest.fixture(scope="module")
def farm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The two-node builder, created from configuration by ``buildorch builder create``."""
    nodes_script("up")
    name = unique("bo-farm")
    cfg = tmp_path_factory.mktemp("farm") / "buildorch.toml"
    cfg.write_text(declaration(name))
    out = buildorch_json("builder", "create", name, "-c", str(cfg))
    assert out["action"] == "created" and len(out["commands"]) == 2 and "--append" in out["commands"][1]
    yield name, cfg
    buildorch("builder", "rm", name)
    docker("buildx", "rm", name, check=False)


@pytest.fixture(scope="module")
def pushed(farm: tuple[str, Path]) -> dict[str, Any]:
    """The app, built for both platforms on the farm and pushed: the result."""
    name, _ = farm
    repo = f"localhost:5000/{unique('bo-farm-app')}"
    r = buildorch(
        "build", str(APP), "--builder", name, "--platform", "linux/amd64,linux/arm64", "--push", "-t", f"{repo}:1",
        "--cache", "none", "--progress", "quiet", "--json", timeout=COLD_BUILD,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    return {"repo": repo, "result": json.loads(r.stdout)}


def test_create_again_keeps_a_matching_builder_and_reports_a_different_one(farm: tuple[str, Path], tmp_path: Path) -> None:
    name, cfg = farm
    assert buildorch_json("builder", "create", name, "-c", str(cfg))["action"] == "exists"
    other = tmp_path / "buildorch.toml"
    other.write_text(declaration(name, arm64_port=2235))
    r = buildorch("builder", "create", name, "-c", str(other), "--json")
    assert r.returncode == 1
    out = json.loads(r.stdout)
    assert out["action"] == "differs"
    assert out["differences"] == ["node arm64-1: endpoint is tcp://127.0.0.1:1235, declared tcp://127.0.0.1:2235"]
    # left as it was
    assert buildorch_json("builder", "inspect", name)["nodes"][1]["endpoint"] == "tcp://127.0.0.1:1235"


def test_doctor_reports_both_nodes_with_platforms_and_tls(farm: tuple[str, Path]) -> None:
    name, _ = farm
    report = buildorch_json("builder", "doctor", name)
    assert report["ok"] is True and report["driver"] == "remote"
    amd, arm = report["nodes"]
    assert (amd["name"], amd["pinned_platforms"], amd["platforms"][0]) == ("amd64-1", ["linux/amd64"], "linux/amd64")
    assert (arm["name"], arm["pinned_platforms"], arm["platforms"][0]) == ("arm64-1", ["linux/arm64"], "linux/arm64")
    for n in (amd, arm):
        assert n["reachable"] and n["status"] == "running" and n["buildkit"].startswith("v0.")
        assert n["tls"] == "mutual" and n["tls_detail"].startswith("mutual TLS TLSv1.")
    text = buildorch("builder", "doctor", name).stdout
    assert "ok   arm64-1" in text and "TLS mutual" in text


def test_each_platform_is_built_by_its_own_node(pushed: dict[str, Any]) -> None:
    result, repo = pushed["result"], pushed["repo"]
    assert result["nodes"] == {"linux/amd64": "amd64-1", "linux/arm64": "arm64-1"}
    assert set(result["platform_digests"]) == {"linux/amd64", "linux/arm64"}
    # what the daemons themselves recorded: each built exactly its platform
    assert built_here(1234, repo) == {"linux/amd64"}
    assert built_here(1235, repo) == {"linux/arm64"}
    index = json.loads(docker("buildx", "imagetools", "inspect", "--raw", f"{repo}:1"))
    plats = {f"{m['platform']['os']}/{m['platform']['architecture']}" for m in index["manifests"]}
    assert {"linux/amd64", "linux/arm64"} <= plats


@pytest.mark.timeout(COLD_BUILD)
def test_a_node_down_is_named_and_the_build_works_once_it_is_back(farm: tuple[str, Path], pushed: dict[str, Any]) -> None:
    name, _ = farm
    repo = pushed["repo"]
    args = ["build", str(APP), "--builder", name, "--platform", "linux/amd64,linux/arm64", "--push", "--cache", "none",
            "--progress", "quiet"]  # fmt: skip
    nodes_script("down", "arm64")
    try:
        r = buildorch(*args, "-t", f"{repo}:2")
        assert r.returncode == 1
        assert "error: node arm64-1 at tcp://127.0.0.1:1235: connection refused (it builds linux/arm64 on builder" in r.stderr
        assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
        d = buildorch("builder", "doctor", name)
        assert d.returncode == 1 and "FAIL arm64-1" in d.stdout and "connection refused" in d.stdout
    finally:
        nodes_script("up", "arm64")
    r = buildorch(*args, "-t", f"{repo}:3", "--json", timeout=COLD_BUILD)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout)["nodes"] == {"linux/amd64": "amd64-1", "linux/arm64": "arm64-1"}


def _no_network() -> list[str]:
    """A prefix that runs a command in an empty network namespace, or [] where that is not allowed."""
    try:
        ok = subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    return ["unshare", "-n"] if ok else []


def test_network_endpoint_without_tls_is_refused_and_insecure_warns(tmp_path: Path) -> None:
    name = unique("bo-insecure")
    cfg = tmp_path / "buildorch.toml"
    cfg.write_text(f'[builders.{name}]\ndriver = "remote"\n[[builders.{name}.nodes]]\nname = "far-1"\nendpoint = "tcp://192.0.2.10:1234"\n')
    # In an empty network namespace nothing can reach 192.0.2.10, whatever buildorch or buildx try.
    # Without one, only the policy is checked (--dry-run runs no docker command at all).
    jail = _no_network()
    dry = [] if jail else ["--dry-run"]

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*jail, sys.executable, "-m", "buildorch", "builder", *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=120, check=False)  # fmt: skip

    r = cli("create", name, "-c", str(cfg), *dry)
    assert r.returncode == 2
    assert r.stderr.startswith("error: refused: node far-1 at tcp://192.0.2.10:1234 is not on loopback and has no TLS")
    assert "--insecure" in r.stderr and "Traceback" not in r.stderr
    r = cli("create", name, "-c", str(cfg), "--insecure", *dry)
    try:
        assert r.returncode == 0, r.stderr
        assert "warning: --insecure: node far-1 at tcp://192.0.2.10:1234 is not on loopback" in r.stderr
        assert r.stdout.startswith(f"created builder {name}" if jail else "docker buildx create --name")
    finally:
        if jail:
            cli("rm", name)
            gone = subprocess.run([*jail, "docker", "buildx", "inspect", name], capture_output=True, timeout=60, check=False)
            assert gone.returncode != 0


def test_use_switches_the_current_builder_and_back(farm: tuple[str, Path]) -> None:
    name, _ = farm
    before = buildorch_json("builder", "use", name)["previous"]
    try:
        current = [b["name"] for b in buildorch_json("builder", "ls") if b["current"]]
        assert current == [name]
    finally:
        buildorch_json("builder", "use", before)
    assert [b["name"] for b in buildorch_json("builder", "ls") if b["current"]] == [before]


def test_rm_removes_only_what_buildorch_created(farm: tuple[str, Path]) -> None:
    name, _ = farm
    foreign = unique("bo-foreign")
    docker("buildx", "create", "--name", foreign, "--driver", "remote", "--node", "f-1", "tcp://127.0.0.1:1234")
    try:
        rows = {b["name"]: b for b in buildorch_json("builder", "ls")}
        assert rows[name]["created_by_buildorch"] is True and rows[foreign]["created_by_buildorch"] is False
        r = buildorch("builder", "rm", foreign)
        assert r.returncode == 2 and f"error: builder {foreign} was not created by buildorch" in r.stderr
        assert docker("buildx", "inspect", foreign).startswith(f"Name:          {foreign}")  # still there
    finally:
        docker("buildx", "rm", foreign, check=False)
    r = buildorch("builder", "rm", "default")
    assert r.returncode == 2
    assert buildorch("builder", "rm", name).stdout.strip() == f"removed builder {name}"
    assert docker("buildx", "inspect", name, check=False) == ""
    assert name not in {b["name"] for b in buildorch_json("builder", "ls")}
