import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from buildorch.core.elf import elf_facts


def test_not_elf() -> None:
    assert elf_facts(b"#!/bin/sh\n" + b"x" * 100) is None


def test_python_interpreter_is_dynamic() -> None:
    facts = elf_facts(Path(sys.executable).resolve().read_bytes())
    assert facts is not None and facts["machine"] == "x86-64" and facts["static"] is False


@pytest.mark.skipif(shutil.which("go") is None, reason="needs the Go toolchain to make binaries")
def test_static_cross_compiled_go(tmp_path: Path) -> None:
    (tmp_path / "main.go").write_text("package main\nfunc main() {}\n")
    (tmp_path / "go.mod").write_text("module x\ngo 1.22\n")
    out = tmp_path / "bin"
    env = {"CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": "arm64", "GOFLAGS": "", "GOTOOLCHAIN": "local",
           "HOME": str(Path.home()), "PATH": "/usr/local/go/bin:/usr/bin:/bin"}
    subprocess.run(["go", "build", "-ldflags", "-s -w", "-o", str(out), "."], cwd=tmp_path, env=env, check=True)
    assert elf_facts(out.read_bytes()) == {"machine": "aarch64", "bits": 64, "static": True, "stripped": True}
