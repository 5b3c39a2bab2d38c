"""Existing builders as ``docker buildx inspect`` shows them (recorded from the stack's two-node remote builder)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from buildorch.builders.config import BuilderSpec
from buildorch.builders.live import assign_platforms, differences, tls_state
from buildorch.builders.state import created_by_buildorch, remember
from buildorch.engine.buildx_text import BuilderNode as LiveNode
from buildorch.engine.buildx_text import parse_buildx_inspect
from buildorch.engine.buildx_text import parse_buildx_inspect as parse_inspect
from buildorch.engine.probes import probe_reachable

TLS = "/var/lib/buildorch-stack/buildkit/tls"
OPTS = {"cacert": f"{TLS}/ca.pem", "cert": f"{TLS}/client.pem", "key": f"{TLS}/client-key.pem", "servername": "127.0.0.1"}


def farm_spec(**changes: object) -> BuilderSpec:
    nodes = [
        {"name": "amd64-1", "endpoint": "tcp://127.0.0.1:1234", "platforms": ["linux/amd64"], "tls": OPTS},
        {"name": "arm64-1", "endpoint": "tcp://127.0.0.1:1235", "platforms": ["linux/arm64"], "tls": OPTS},
    ]
    return BuilderSpec(**{"name": "farm", "driver": "remote", "nodes": nodes, **changes})


def test_parse_two_node_remote_builder(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect_remote.txt").read_text())
    assert (live.name, live.driver) == ("farm", "remote")
    amd, arm = live.nodes
    assert (amd.name, amd.endpoint, amd.status, amd.buildkit) == ("amd64-1", "tcp://127.0.0.1:1234", "running", "v0.34.2")
    assert amd.pinned_platforms == ["linux/amd64"]
    assert amd.platforms[:2] == ["linux/amd64", "linux/amd64/v2"] and "linux/arm64" in amd.platforms  # QEMU
    assert arm.pinned_platforms == ["linux/arm64"] and arm.platforms[0] == "linux/arm64"
    assert amd.driver_opts == OPTS == arm.driver_opts  # arm64-1's options come in another order
    assert tls_state(amd) == "mutual"


def test_parse_with_a_node_down(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect_remote_node_down.txt").read_text())
    amd, arm = live.nodes
    assert amd.status == "running"
    assert (arm.status, arm.buildkit, arm.platforms, arm.pinned_platforms) == ("inactive", "", ["linux/arm64"], ["linux/arm64"])


def test_doctor_parser_still_reads_the_default_builder(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect.txt").read_text())
    assert parse_buildx_inspect((data_dir / "buildx_inspect.txt").read_text()).name == live.name == "default"
    assert live.nodes[0].pinned_platforms == [] and live.nodes[0].driver_opts == {}
    assert tls_state(live.nodes[0]) == "none"


def test_a_matching_builder_has_no_differences(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect_remote.txt").read_text())
    assert differences(farm_spec(), live) == []


def test_differences_say_what_differs(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect_remote.txt").read_text())
    spec = farm_spec(
        nodes=[
            {"name": "amd64-1", "endpoint": "tcp://127.0.0.1:2234", "platforms": ["linux/amd64"], "tls": OPTS},
            {"name": "arm64-1", "endpoint": "tcp://127.0.0.1:1235", "platforms": ["linux/arm/v7"]},
        ]
    )
    assert differences(spec, live) == [
        "node amd64-1: endpoint is tcp://127.0.0.1:1234, declared tcp://127.0.0.1:2234",
        "node arm64-1: platforms are linux/arm64, declared linux/arm/v7",
        "node arm64-1: driver options differ (cacert, cert, key, servername)",
    ]
    assert differences(farm_spec(driver="kubernetes", nodes=[]), live) == ["driver is remote, declared kubernetes"]
    assert differences(farm_spec(nodes=[farm_spec().nodes[0]]), live) == ["nodes are amd64-1, arm64-1, declared amd64-1"]


def test_each_platform_goes_to_the_node_created_with_it(data_dir: Path) -> None:
    live = parse_inspect((data_dir / "buildx_inspect_remote.txt").read_text())
    # amd64-1 also lists linux/arm64 (QEMU), but buildx picks the node created with --platform linux/arm64
    assert assign_platforms(["linux/amd64", "linux/arm64"], live.nodes) == {"linux/amd64": "amd64-1", "linux/arm64": "arm64-1"}
    # not pinned anywhere: the first node that reports it; else the first node
    assert assign_platforms(["linux/386", "linux/riscv64"], live.nodes) == {"linux/386": "arm64-1", "linux/riscv64": "amd64-1"}
    assert assign_platforms(["linux/amd64"], []) == {}


def test_single_node_builder_builds_everything() -> None:
    node = LiveNode(name="default", platforms=["linux/amd64", "linux/arm64"])
    assert assign_platforms(["linux/amd64", "linux/arm64"], [node]) == {"linux/amd64": "default", "linux/arm64": "default"}


def test_probe_names_the_reason() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: refused
        assert probe_reachable(f"tcp://127.0.0.1:{port}") == (False, "connection refused")
        s.listen()
        assert probe_reachable(f"tcp://127.0.0.1:{port}")[0] is True
    assert probe_reachable("unix:///nonexistent/buildkitd.sock")[0] is False
    assert probe_reachable("kube-pod://buildkitd-0")[0] is True  # not ours to probe


def test_state_remembers_per_docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILDORCH_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-a"))
    remember("farm", farm_spec())
    assert created_by_buildorch() == {"farm"}
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-b"))
    assert created_by_buildorch() == set()  # another Docker config: another set of builders
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-a"))
    remember("farm", None)
    assert created_by_buildorch() == set()


def test_a_build_failure_names_the_node_that_did_not_answer(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from buildorch.builders import ops as builder_ops
    from buildorch.core.errors import BuildFailed

    text = (data_dir / "buildx_inspect_remote_node_down.txt").read_text()
    monkeypatch.setattr(builder_ops.buildx, "buildx_inspect", lambda name=None: text)
    monkeypatch.setattr(builder_ops, "probe_reachable", lambda endpoint: (False, "connection refused"))
    failed = BuildFailed("build failed: context deadline exceeded")
    named = builder_ops.explain_failure("farm", ["linux/amd64", "linux/arm64"], failed)
    assert named.message == "node arm64-1 at tcp://127.0.0.1:1235: connection refused (it builds linux/arm64 on builder farm)"
    assert "buildorch builder doctor farm" in (named.hint or "")
    # a failing step is not a node problem: the error stays as it was
    step = BuildFailed("step [builder 6/6] RUN go build failed (exit code 1)")
    assert builder_ops.explain_failure("farm", ["linux/arm64"], step) is step
