"""Integration tests for the demo payload in app/: its images, built for real.

They drive `docker buildx build` on the running stack (scripts/stack up) and
need no registry: the only bases are the local golang stand-ins and scratch.
Module-scoped fixtures build each image once, tagged buildorch-test-app:<run>-*,
and remove those tags (and any container started here) afterwards.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.helpers import http_get

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
APP = REPO / "app"
IMAGE_REPO = "buildorch-test-app"
VERSION = "1.2.3"
BUILD_TIME = "2026-01-01T00:00:00Z"
SOURCE_DATE_EPOCH = "1767225600"  # 2026-01-01T00:00:00Z
BUILD_ARGS = ["--build-arg", f"VERSION={VERSION}", "--build-arg", f"BUILD_TIME={BUILD_TIME}"]
BUILD_TIMEOUT = 600  # s, per build; a cold cross build takes about a minute
HEALTH_TIMEOUT = 20  # s


# ----------------------------------------------------------------- helpers
def sh(*cmd: str, timeout: float = 120, env: dict[str, str] | None = None) -> str:
    """Run cmd, return its stdout; fail with its output if it exits non-zero."""
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=None if env is None else {**os.environ, **env},
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} exited {proc.returncode}\n--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
        )
    return proc.stdout


def buildx(*args: str, env: dict[str, str] | None = None) -> float:
    """Run `docker buildx build` on app/ with args; return its duration in seconds."""
    start = time.monotonic()
    sh("docker", "buildx", "build", "--progress=plain", *args, str(APP), timeout=BUILD_TIMEOUT, env=env)
    return time.monotonic() - start


def export_size(image: str, platform: str) -> int:
    """Uncompressed size of one platform of image: bytes of `docker export`'s tar."""
    cid = sh("docker", "create", "--platform", platform, image).strip()
    try:
        proc = subprocess.Popen(["docker", "export", cid], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        total = 0
        while chunk := proc.stdout.read(1 << 20):
            total += len(chunk)
        assert proc.wait(timeout=120) == 0, f"docker export {cid} failed"
        return total
    finally:
        sh("docker", "rm", "-f", cid)


def copy_out(image: str, platform: str, src: str, dest: Path) -> Path:
    """Copy file src out of one platform of image to dest."""
    cid = sh("docker", "create", "--platform", platform, image).strip()
    try:
        sh("docker", "cp", f"{cid}:{src}", str(dest))
    finally:
        sh("docker", "rm", "-f", cid)
    return dest


EM_X86_64 = 62
EM_AARCH64 = 183
PT_DYNAMIC = 2
PT_INTERP = 3


@dataclass(frozen=True)
class ElfInfo:
    """What these tests need from an ELF header."""

    bits: int
    little_endian: bool
    machine: int
    program_header_types: tuple[int, ...]

    @property
    def static(self) -> bool:
        """No interpreter (dynamic loader) requested: statically linked."""
        return PT_INTERP not in self.program_header_types


def parse_elf(data: bytes) -> ElfInfo:
    """Parse the ELF file header and program header types from data.

    Deliberately independent of buildorch.core.elf: these tests check the image, not buildorch.
    """
    if data[:4] != b"\x7fELF":
        raise ValueError("not an ELF file")
    ei_class, ei_data = data[4], data[5]
    if ei_class not in (1, 2) or ei_data not in (1, 2):
        raise ValueError(f"bad ELF ident class={ei_class} data={ei_data}")
    end = "<" if ei_data == 1 else ">"
    (machine,) = struct.unpack_from(end + "H", data, 18)
    if ei_class == 2:  # ELF64
        (phoff,) = struct.unpack_from(end + "Q", data, 32)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 54)
    else:  # ELF32
        (phoff,) = struct.unpack_from(end + "I", data, 28)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 42)
    types = tuple(struct.unpack_from(end + "I", data, phoff + i * phentsize)[0] for i in range(phnum))
    return ElfInfo(bits=64 if ei_class == 2 else 32, little_endian=ei_data == 1, machine=machine, program_header_types=types)


def wait_healthy(base: str, cid: str) -> None:
    deadline = time.monotonic() + HEALTH_TIMEOUT
    last: object = None
    while time.monotonic() < deadline:
        try:
            status, _ = http_get(base + "/health", timeout=2)
            if status == 200:
                return
            last = status
        except OSError as e:  # connection refused/reset while starting
            last = e
        time.sleep(0.2)
    logs = subprocess.run(["docker", "logs", cid], capture_output=True, text=True).stdout
    pytest.fail(f"{base}/health not 200 within {HEALTH_TIMEOUT}s (last: {last!r})\n{logs}")


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def docker_ready() -> None:
    """The stack itself is checked once in tests/conftest.py (a failure in CI, a skip locally)."""


@pytest.fixture(scope="module")
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def images(docker_ready: None) -> Iterator[list[str]]:
    """Tags created by this module; removed at teardown (only ours)."""
    created: list[str] = []
    yield created
    for tag in created:
        subprocess.run(["docker", "image", "rm", tag], capture_output=True)


@pytest.fixture(scope="module")
def multi_image(run_id: str, images: list[str]) -> str:
    tag = f"{IMAGE_REPO}:{run_id}-multi"
    images.append(tag)
    secs = buildx("--platform", "linux/amd64,linux/arm64", "--load", "-t", tag, *BUILD_ARGS)
    print(f"multi-platform build: {secs:.1f}s")
    return tag


@pytest.fixture(scope="module")
def single_image(run_id: str, images: list[str]) -> str:
    # amd64 only: the arm64 single-stage build runs the compiler under QEMU.
    tag = f"{IMAGE_REPO}:{run_id}-single"
    images.append(tag)
    secs = buildx("-f", str(APP / "Dockerfile.single"), "--platform", "linux/amd64", "--load", "-t", tag, *BUILD_ARGS)
    print(f"single-stage build (amd64): {secs:.1f}s")
    return tag


# ----------------------------------------------------------------- tests
def test_multi_platform_image_has_both_platforms(multi_image: str, tmp_path: Path) -> None:
    # `docker create --platform` fails if that platform was not loaded; the
    # binary's ELF machine says which platform the image really holds.
    for platform, machine in (("linux/amd64", EM_X86_64), ("linux/arm64", EM_AARCH64)):
        binary = copy_out(multi_image, platform, "/app", tmp_path / platform.replace("/", "-"))
        assert parse_elf(binary.read_bytes()).machine == machine, platform


def test_arm64_binary_is_static_aarch64_elf(multi_image: str, tmp_path: Path) -> None:
    binary = copy_out(multi_image, "linux/arm64", "/app", tmp_path / "app-arm64")
    elf = parse_elf(binary.read_bytes())
    assert elf.machine == EM_AARCH64, f"e_machine {elf.machine}, want 183 (aarch64)"
    assert elf.bits == 64 and elf.little_endian
    assert elf.static, f"has PT_INTERP: {elf.program_header_types}"
    assert PT_DYNAMIC not in elf.program_header_types


def test_amd64_image_runs_as_nonroot_and_serves(multi_image: str) -> None:
    config = json.loads(sh("docker", "image", "inspect", multi_image))[0]["Config"]
    assert config["User"] == "65532:65532"

    cid = sh("docker", "run", "-d", "--platform", "linux/amd64", "-p", "127.0.0.1:0:8080", multi_image).strip()
    try:
        assert json.loads(sh("docker", "container", "inspect", cid))[0]["Config"]["User"] == "65532:65532"
        host_port = sh("docker", "port", cid, "8080/tcp").splitlines()[0].strip()
        base = f"http://{host_port}"
        wait_healthy(base, cid)

        status, body = http_get(base + "/health")
        assert status == 200
        assert json.loads(body) == {"status": "ok"}

        status, body = http_get(base + "/api")
        assert status == 200
        api = json.loads(body)
        assert api["version"] == VERSION
        assert api["build_time"] == BUILD_TIME
        assert api["platform"] == "linux/amd64"
    finally:
        subprocess.run(["docker", "rm", "-f", cid], capture_output=True)


def test_builder_target_builds(run_id: str, images: list[str]) -> None:
    tag = f"{IMAGE_REPO}:{run_id}-builder"
    images.append(tag)
    buildx("--target", "builder", "--load", "-t", tag, *BUILD_ARGS)
    out = sh("docker", "run", "--rm", tag, "/build/main", "-version")
    assert out.splitlines()[0] == VERSION


def test_test_target_builds(docker_ready: None) -> None:
    # Runs `go test ./...` inside the build; a failing test fails the build.
    buildx("--target", "test")


def test_image_sizes(multi_image: str, single_image: str, tmp_path: Path) -> None:
    platform = "linux/amd64"
    binary = copy_out(multi_image, platform, "/app", tmp_path / "app-amd64").stat().st_size
    runtime = export_size(multi_image, platform)
    single = export_size(single_image, platform)
    print(
        f"binary {binary} B, runtime image {runtime} B ({runtime / binary:.3f}x), "
        f"single-stage image {single} B ({single / runtime:.1f}x runtime)"
    )
    assert runtime <= 1.2 * binary, f"runtime image {runtime} B > 1.2 x binary {binary} B"
    assert single >= 50 * runtime, f"single-stage {single} B < 50 x runtime {runtime} B"


@pytest.mark.slow  # two builds from nothing (73 s warm, the longest of make test): make test-slow runs it
def test_binary_is_reproducible(docker_ready: None, tmp_path: Path) -> None:
    env = {"SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    digests = []
    for i in range(2):
        dest = tmp_path / f"out{i}"
        secs = buildx(
            "--no-cache",
            "--platform",
            "linux/arm64",
            "--build-arg",
            f"SOURCE_DATE_EPOCH={SOURCE_DATE_EPOCH}",
            *BUILD_ARGS,
            "--output",
            f"type=local,dest={dest}",
            env=env,
        )
        print(f"no-cache arm64 build {i + 1}: {secs:.1f}s")
        digests.append((dest / "app").read_bytes())
    assert len(digests[0]) > 0
    assert digests[0] == digests[1], "two no-cache builds gave different /app bytes"
