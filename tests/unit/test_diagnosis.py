"""``buildorch doctor`` without an engine: every check that does not need it runs, the rest say "skip".

The engine is never stopped for this: DOCKER_HOST points at a socket file in tmp_path that
nothing listens on (the real docker CLI and buildx plugin answer the client-side checks).
"""

from __future__ import annotations

import base64
import json
import shutil
import socket
from pathlib import Path

import pytest

from buildorch import diagnosis
from buildorch.cli.app import main

ENGINE_CHECKS = {"builder", "containerd-store", "platforms", "buildkit-image", "reproducible"}
FREE_CHECKS = {"buildx", "qemu", "pulls", "registry", "docker-config", "supply-tools"}


@pytest.fixture
def dead_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DOCKER_HOST at a unix socket that exists but where nothing listens (connection refused)."""
    if shutil.which("docker") is None:
        pytest.skip("the docker CLI is not installed (the client-side checks run it)")
    path = tmp_path / "docker.sock"
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # bound, never listening
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    return path


def test_engine_down_runs_every_check_that_does_not_need_it(dead_engine: Path) -> None:
    report = diagnosis.doctor(registry="127.0.0.1:9")  # the discard port: refused at once
    checks = {c.name: c for c in report.checks}
    assert not checks["engine"].ok and checks["engine"].required
    assert "not reachable" in checks["engine"].detail
    assert not report.ok
    for name in ENGINE_CHECKS:
        assert checks[name].skipped, name
        assert "needs" in checks[name].detail
        assert not checks[name].required  # the engine's line is the failure, not five more
    for name in FREE_CHECKS:
        assert not checks[name].skipped, name
    assert checks["buildx"].ok and "buildx" in checks["buildx"].detail
    assert not checks["registry"].ok and "127.0.0.1:9" in checks["registry"].detail
    assert "mirrors are unknown" in checks["pulls"].detail or checks["pulls"].ok


def test_cli_engine_down_one_line_per_check_exit_1(dead_engine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--registry", "127.0.0.1:9"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in out + err
    marks = {line.split()[1]: line.split()[0] for line in out.splitlines() if not line.startswith(" ")}
    assert marks["engine"] == "FAIL"
    assert {marks[n] for n in ENGINE_CHECKS} == {"skip"}
    assert marks["buildx"] == "ok" and marks["registry"] == "warn"
    assert set(marks) == {"engine"} | ENGINE_CHECKS | FREE_CHECKS


def test_cli_engine_down_json(dead_engine: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["doctor", "--json", "--registry", "127.0.0.1:9"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["ok"] is False
    assert {c["name"] for c in doc["checks"] if c["skipped"]} == ENGINE_CHECKS


def test_qemu_check_reads_binfmt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagnosis, "BINFMT", tmp_path)
    monkeypatch.setattr(diagnosis.platform, "machine", lambda: "x86_64")
    assert "not mounted" in diagnosis.qemu_check().detail
    (tmp_path / "register").write_text("")
    assert "not registered" in diagnosis.qemu_check().detail
    (tmp_path / "qemu-aarch64").write_text("enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: PF\n")
    check = diagnosis.qemu_check()
    assert check.ok and check.detail == "qemu-aarch64 enabled (flags PF)"
    (tmp_path / "qemu-aarch64").write_text("disabled\nflags: F\n")
    check = diagnosis.qemu_check()
    assert not check.ok and "update-binfmts --enable qemu-aarch64" in check.fix


def test_docker_config_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert diagnosis.docker_config_check().ok
    cfg = tmp_path / "config.json"
    cfg.write_text("{not json")
    check = diagnosis.docker_config_check()
    assert not check.ok and "cannot read" in check.detail and not check.required
    auth = base64.b64encode(b"u:p").decode()
    cfg.write_text(json.dumps({"auths": {"127.0.0.1:5001": {"auth": auth}}, "credHelpers": {"ghcr.io": "r3-no-such"}}))
    check = diagnosis.docker_config_check()
    assert not check.ok and "docker-credential-r3-no-such" in check.detail
    assert "u:p" not in check.detail and auth not in check.detail  # never a credential
    cfg.write_text(json.dumps({"auths": {"127.0.0.1:5001": {"auth": auth}}}))
    check = diagnosis.docker_config_check()
    assert check.ok and "1 registry configured" in check.detail


def test_supply_tools_check_names_the_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("BUILDORCH_STACK_DIR", str(tmp_path / "stack"))
    check = diagnosis.supply_tools_check()
    assert not check.ok and "cosign (buildorch sign/verify)" in check.detail and not check.required
