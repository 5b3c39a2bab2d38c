"""`buildorch inspect`, `compare` and `smoke` on the real stack, against the app's images.

Module fixtures build the multi-platform runtime image and the single-stage image
(amd64 only: its compiler would run under QEMU for arm64) once, with the values
test_app_image.py uses so the suite shares BuildKit's cache, and remove them after.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.integration.helpers import ROOT, docker, unique

pytestmark = pytest.mark.integration

ARGS = ("--version", "1.2.3", "--build-arg", "BUILD_TIME=2026-01-01T00:00:00Z", "--progress", "plain")


def cli(*args: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "buildorch", *args],
        capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=timeout, check=False,
    )


def cli_json(*args: str) -> dict[str, object]:
    r = cli(*args, "--json")
    assert r.returncode == 0, f"buildorch {' '.join(args)} exited {r.returncode}:\n{r.stderr[-3000:]}"
    doc = json.loads(r.stdout)
    assert isinstance(doc, dict)
    return doc


def containers_of(image: str) -> list[str]:
    return docker("ps", "-a", "--filter", f"ancestor={image}", "--format", "{{.Names}}").split()


@pytest.fixture(scope="module")
def made() -> Iterator[list[str]]:
    """Images this module created; removed at teardown (only ours)."""
    tags: list[str] = []
    yield tags
    for tag in tags:
        docker("image", "rm", tag, check=False)


@pytest.fixture(scope="module")
def runtime_image(made: list[str]) -> str:
    tag = f"{unique('buildorch-it-inspect')}:multi"
    r = cli("build", "app", "--platform", "linux/amd64,linux/arm64", "-t", tag, *ARGS)
    assert r.returncode == 0, r.stderr[-3000:]
    made.append(tag)
    return tag


@pytest.fixture(scope="module")
def single_image(made: list[str]) -> str:
    tag = f"{unique('buildorch-it-inspect')}:single"
    r = cli("build", "app", "-f", "app/Dockerfile.single", "--platform", "linux/amd64", "-t", tag, *ARGS)
    assert r.returncode == 0, r.stderr[-3000:]
    made.append(tag)
    return tag


@pytest.fixture(scope="module")
def broken_images(made: list[str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Images whose server never answers: one sleeps (FROM the golang stand-in), one's entrypoint does not exist."""
    d = tmp_path_factory.mktemp("broken")
    (d / "Dockerfile.sleep").write_text('FROM golang:1.26-bookworm\nCMD ["sleep", "3600"]\n')
    (d / "Dockerfile.exit").write_text('FROM scratch\nENTRYPOINT ["/no-such-server"]\n')
    out = {}
    for kind in ("sleep", "exit"):
        tag = f"{unique('buildorch-it-smoke')}:{kind}"
        docker("buildx", "build", "--platform", "linux/amd64", "--load", "-t", tag, "-f", str(d / f"Dockerfile.{kind}"), str(d))
        made.append(tag)
        out[kind] = tag
    return out


# -- inspect -----------------------------------------------------------------------


def test_inspect_arm64_runtime_image(runtime_image: str) -> None:
    rep = cli_json("inspect", runtime_image, "--platform", "linux/arm64")
    assert rep["platform"] == "linux/arm64" and rep["architecture"] == "arm64"
    main = rep["main_executable"]
    assert isinstance(main, dict) and main["resolved"] == "/app"
    assert main["elf"] == {"machine": "aarch64", "bits": 64, "static": True, "stripped": True}
    config = rep["config"]
    assert isinstance(config, dict) and config["user"] == "65532:65532" and config["entrypoint"] == ["/app"]
    assert config["healthcheck"] == ["CMD", "/app", "-healthcheck"] and config["exposed_ports"] == ["8080/tcp"]
    assert rep["runs_as_root"] is False and rep["shell"] is None
    assert rep["packages"] == {"manager": None, "count": 0}
    assert rep["file_count"] == 2  # /app and the CA bundle: docker's own /etc/hosts etc. are not counted
    # arm64 is not the engine's default platform here: layers come from the image's own config
    layers = [la for la in rep["layers"] if not la["empty"]]  # type: ignore[union-attr]
    assert [la["created_by"] for la in layers][-1] == "COPY /build/main /app # buildkit"
    assert isinstance(main["size"], int) and rep["size_uncompressed"] <= 1.2 * main["size"]  # type: ignore[operator]


def test_inspect_size_is_the_exported_filesystem(runtime_image: str) -> None:
    rep = cli_json("inspect", runtime_image, "--platform", "linux/amd64")
    cid = docker("create", "--platform", "linux/amd64", runtime_image).strip()
    try:
        proc = subprocess.run(["docker", "export", cid], capture_output=True, check=True)
    finally:
        docker("rm", "-f", cid)
    assert rep["size_uncompressed"] == len(proc.stdout)
    main = rep["main_executable"]
    assert isinstance(main, dict) and main["elf"]["machine"] == "x86-64"


def test_inspect_single_stage_image_counts_packages(single_image: str) -> None:
    rep = cli_json("inspect", single_image)
    packages = rep["packages"]
    assert isinstance(packages, dict) and packages["manager"] == "dpkg" and packages["count"] > 50
    assert rep["shell"] == "/bin/sh" and rep["runs_as_root"] is True
    assert rep["file_count"] > 10_000  # Debian, Go and the sources


def test_inspect_table_for_people(runtime_image: str) -> None:
    r = cli("inspect", runtime_image, "--platform", "linux/arm64")
    assert r.returncode == 0, r.stderr
    assert "/app: aarch64 64-bit, static, stripped" in r.stdout
    assert "0 (no dpkg or apk database)" in r.stdout


def test_inspect_platform_the_image_lacks(runtime_image: str) -> None:
    r = cli("inspect", runtime_image, "--platform", "linux/s390x")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines[0] == f"error: image '{runtime_image}' has no linux/s390x variant; it has: linux/amd64, linux/arm64"
    assert containers_of(runtime_image) == []


def test_inspect_unknown_image() -> None:
    r = cli("inspect", "buildorch-it-no-such-image:1")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == "error: no image 'buildorch-it-no-such-image:1' in the local image store"
    assert "Traceback" not in r.stderr


# -- compare -----------------------------------------------------------------------


def test_compare_dockerfiles_size_ratio() -> None:
    doc = cli_json("compare", "--dockerfiles", "app/Dockerfile", "app/Dockerfile.single", "app",
                   "--platform", "linux/amd64", *ARGS)
    assert isinstance(doc["size_ratio"], float) and doc["size_ratio"] >= 50, doc["size_ratio"]
    a, b = doc["a"], doc["b"]
    assert isinstance(a, dict) and isinstance(b, dict)
    assert a["packages"]["count"] == 0 and b["packages"]["count"] > 50
    assert a["runs_as_root"] is False and b["runs_as_root"] is True
    assert a["shell"] is None and b["shell"] == "/bin/sh"
    assert doc["size_ratio"] == round(b["size_uncompressed"] / a["size_uncompressed"], 2)
    for image in (a["image"], b["image"]):  # the throwaway images are gone
        assert image.startswith("buildorch-compare/") and docker("image", "ls", "-q", image).strip() == ""


def test_compare_two_images(runtime_image: str, single_image: str) -> None:
    r = cli("compare", runtime_image, single_image, "--platform", "linux/amd64")
    assert r.returncode == 0, r.stderr
    assert "B/A size:" in r.stdout and " (dpkg)" in r.stdout


# -- smoke ---------------------------------------------------------------------------


def test_smoke_passes_on_both_platforms(runtime_image: str) -> None:
    doc = cli_json("smoke", runtime_image, "--platform", "linux/amd64", "--platform", "linux/arm64",
                   "--path", "/health", "--path", "/api")
    assert doc["ok"] is True
    plats = doc["platforms"]
    assert isinstance(plats, list) and [p["platform"] for p in plats] == ["linux/amd64", "linux/arm64"]
    for p in plats:
        assert [(c["path"], c["status"]) for c in p["checks"]] == [("/health", 200), ("/api", 200)]
    assert containers_of(runtime_image) == []


def test_smoke_fails_cleanly_when_the_server_never_answers(broken_images: dict[str, str]) -> None:
    image = broken_images["sleep"]
    r = cli("smoke", image, "--timeout", "5")
    assert r.returncode == 5, r.stderr
    assert f"error: smoke test of {image} failed on linux/amd64: port 8080 (127.0.0.1:" in r.stderr
    assert ") did not answer HTTP within 5s" in r.stderr
    assert "Traceback" not in r.stderr
    assert containers_of(image) == []


def test_smoke_fails_cleanly_when_the_server_cannot_start(broken_images: dict[str, str]) -> None:
    image = broken_images["exit"]
    r = cli("smoke", image, "--json")
    assert r.returncode == 5
    doc = json.loads(r.stdout)
    assert doc["ok"] is False
    assert "the container did not start" in doc["platforms"][0]["error"]
    assert "/no-such-server" in doc["platforms"][0]["error"]
    assert containers_of(image) == []


def test_smoke_platform_the_image_lacks(broken_images: dict[str, str]) -> None:
    image = broken_images["exit"]
    r = cli("smoke", image, "--platform", "linux/arm64")
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == f"error: image '{image}' has no linux/arm64 variant; it has: linux/amd64"
    assert containers_of(image) == []
