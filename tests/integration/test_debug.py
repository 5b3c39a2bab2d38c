"""`buildorch debug` on the real stack: run commands in the app's stages, export a stage, refuse cleanly.

Every run builds its stage through the BuildKit cache (the first one compiles the
app once) and must remove its throwaway image, which these tests check.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from buildorch.core.elf import elf_facts
from tests.integration.helpers import ROOT, docker

pytestmark = pytest.mark.integration

# The values test_app_image.py builds with: the suite shares BuildKit's cache between both files.
VERSION_ARGS = ("--version", "1.2.3", "--build-arg", "BUILD_TIME=2026-01-01T00:00:00Z", "--progress", "plain")


def debug(*args: str) -> subprocess.CompletedProcess[str]:
    """``buildorch debug ...`` with stdin not a terminal (as in CI), output captured."""
    return subprocess.run(
        [sys.executable, "-m", "buildorch", "debug", *args],
        capture_output=True, text=True, cwd=ROOT, stdin=subprocess.DEVNULL, timeout=900, check=False,
    )


def throwaway_tag(stderr: str) -> str:
    m = re.search(r"^debug: built \S+ \(\S+\) as (buildorch-debug/\S+:[0-9a-f]{8})$", stderr, re.M)
    assert m, f"no 'debug: built ... as TAG' line in:\n{stderr[-2000:]}"
    return m.group(1)


def assert_removed(tag: str) -> None:
    assert docker("image", "ls", "-q", tag).strip() == "", f"throwaway image {tag} was left behind"


def test_builder_stage_shows_the_binary() -> None:
    r = debug("app", "--target", "builder", *VERSION_ARGS, "--", "ls", "-la", "/build/main")
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"^-rwx\S* .* /build/main$", r.stdout, re.M), r.stdout
    assert "debug: built builder (linux/amd64)" in r.stderr
    assert_removed(throwaway_tag(r.stderr))


def test_builder_stage_for_arm64() -> None:
    r = debug("app", "--target", "builder", "--platform", "linux/arm64", *VERSION_ARGS, "--", "ls", "-la", "/build/main")
    assert r.returncode == 0, r.stderr[-3000:]
    assert re.search(r"^-rwx\S* .* /build/main$", r.stdout, re.M), r.stdout
    assert "debug: built builder (linux/arm64)" in r.stderr
    assert_removed(throwaway_tag(r.stderr))


def test_repeated_platform_runs_the_command_on_each() -> None:
    # The builder stage runs on the build platform (FROM --platform=$BUILDPLATFORM): its binary, not
    # uname, tells the platforms apart. ELF e_machine (byte 18): 0x3e x86-64, 0xb7 aarch64.
    r = debug("app", "--target", "builder", "--platform", "linux/amd64", "--platform", "linux/aarch64", *VERSION_ARGS,
              "--", "od", "-An", "-tx1", "-j18", "-N1", "/build/main")  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.split() == ["3e", "b7"], r.stdout
    assert "debug: built builder (linux/amd64)" in r.stderr and "debug: built builder (linux/arm64)" in r.stderr
    for tag in re.findall(r"^debug: built \S+ \(\S+\) as (buildorch-debug/\S+:[0-9a-f]{8})$", r.stderr, re.M):
        assert_removed(tag)


def test_arm64_binary_runs_under_qemu() -> None:
    r = debug("app", "--target", "builder", "--platform", "linux/arm64", *VERSION_ARGS, "--", "/build/main", "-version")
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.splitlines()[0] == "1.2.3"


def test_failing_command_passes_its_exit_code() -> None:
    r = debug("app", "--target", "builder", *VERSION_ARGS, "--", "sh", "-c", "echo out; exit 7")
    assert r.returncode == 7, r.stderr[-3000:]
    assert r.stdout.strip() == "out"
    assert "Traceback" not in r.stderr
    assert_removed(throwaway_tag(r.stderr))


def test_export_of_the_runtime_stage(tmp_path: Path) -> None:
    out = tmp_path / "rootfs"
    r = debug("app", "--target", "runtime", "--platform", "linux/arm64", *VERSION_ARGS, "--export", str(out))
    assert r.returncode == 0, r.stderr[-3000:]
    app = out / "app"
    assert app.is_file()
    assert (out / "etc/ssl/certs/ca-certificates.crt").is_file()
    facts = elf_facts(app.read_bytes())
    assert facts is not None and facts["machine"] == "aarch64" and facts["static"]
    assert f"to {out}: 2 files" in r.stdout


def test_runtime_stage_without_command_suggests_export() -> None:
    r = debug("app", "--target", "runtime", *VERSION_ARGS)
    assert r.returncode == 2, r.stderr[-3000:]
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith(("error:", "  hint:"))]
    assert errors[0] == "error: stage 'runtime' has no shell (/bin/sh), so there is nothing to open"
    assert "--export DIR" in errors[1]
    assert "Traceback" not in r.stderr
    assert_removed(throwaway_tag(r.stderr))


def test_builder_stage_without_command_and_no_terminal() -> None:
    r = debug("app", "--target", "builder", *VERSION_ARGS)
    assert r.returncode == 2
    assert "error: no command given and stdin is not a terminal" in r.stderr
    assert_removed(throwaway_tag(r.stderr))
    assert "-- ls -la /" in r.stderr


def test_unknown_stage_lists_the_stages() -> None:
    r = debug("app", "--target", "runtim", "--", "ls")
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "error: stage 'runtim' not found in app/Dockerfile (did you mean 'runtime'?); "
        "its stages are: builder, test, runtime"
    ]
