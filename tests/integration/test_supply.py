"""The supply chain against the real stack: keys, a signed release with SBOMs, verify, a tampered tag, scan.

Real cosign, syft and govulncheck (built by ``scripts/stack up --all``), the stack's
registry on 127.0.0.1:5000, nothing from the network: signing skips the transparency
log, and the scan reads a vulnerability database written here in the Go vulndb format.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import APP, ROOT, buildorch, docker
from tests.integration.test_release import git

pytestmark = pytest.mark.integration

PASSWORD = f"i17-pw-{uuid.uuid4().hex}"  # must never show up in any output or report
STACK_BIN = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack")) / "go" / "bin"
VULNDB = ROOT / "tests" / "data" / "supply" / "vulndb"
PLANTED = "GO-2026-9001"  # golang.org/x/mod < 0.43.0, semver.Compare


def tool(name: str) -> str:
    path = shutil.which(name) or str(STACK_BIN / name)
    if not Path(path).is_file():
        pytest.fail(f"{name} is missing: run scripts/stack up --all")
    return path


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("keys")
    r = buildorch("keys", "generate", "--output-prefix", str(d / "k"), env={"COSIGN_PASSWORD": PASSWORD})
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    again = buildorch("keys", "generate", "--output-prefix", str(d / "k"), env={"COSIGN_PASSWORD": PASSWORD})
    assert again.returncode == 2 and "not overwritten" in again.stderr
    return d / "k.key", d / "k.pub"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("supply-repo") / "app"
    shutil.copytree(APP, d)
    git(d, "init", "-q")
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "app")
    return d


@pytest.fixture(scope="module")
def image() -> str:
    return f"127.0.0.1:5000/i17-{uuid.uuid4().hex[:8]}/app"


@pytest.fixture(scope="module")
def released(repo: Path, image: str, keys: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("rel-1.3.0")
    r = buildorch(
        "release", "--version", "1.3.0", "--image", image, str(repo), "--output-dir", str(out), "--progress", "quiet",
        "--sbom", "--sign", "--key", str(keys[0]), "--annotation", "index:org.example.team=supply", "--json",
        env={"COSIGN_PASSWORD": PASSWORD},
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert PASSWORD not in r.stdout + r.stderr
    result: dict[str, Any] = json.loads(r.stdout)
    result["_out"] = out
    return result


def test_release_writes_an_sbom_per_platform_and_says_what_it_did(released: dict[str, Any]) -> None:
    supply = released["supply"]
    assert supply["signed"] and supply["attested"] and supply["provenance"] == "false"
    assert set(supply["sboms"]) == {"linux/amd64", "linux/arm64"}
    for name in supply["sboms"].values():
        doc = json.loads((released["_out"] / name).read_text())
        assert doc["spdxVersion"].startswith("SPDX-")
    for f in released["_out"].iterdir():
        assert PASSWORD not in f.read_text(errors="replace"), f


def test_index_carries_the_annotations_and_no_unknown_entries(released: dict[str, Any], image: str) -> None:
    raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", f"{image}:1.3.0"))
    ann = raw["annotations"]
    assert ann["org.opencontainers.image.version"] == "1.3.0"
    assert ann["org.opencontainers.image.title"] == "app"
    assert ann["org.opencontainers.image.revision"] == released["revision"]
    assert ann["org.opencontainers.image.created"] and ann["org.opencontainers.image.description"]
    assert ann["org.example.team"] == "supply"
    assert all(m["platform"]["os"] != "unknown" for m in raw["manifests"])


def test_buildorch_verify_and_cosign_verify_pass(released: dict[str, Any], image: str, keys: tuple[Path, Path]) -> None:
    r = buildorch("verify", f"{image}:1.3.0", "--key", str(keys[1]), "--sbom")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("signature ok") == 3 and r.stdout.count("SBOM attestation ok") == 2, r.stdout
    c = subprocess.run(
        [tool("cosign"), "verify", "--key", str(keys[1]), "--insecure-ignore-tlog", "--allow-insecure-registry",
         f"{image}:1.3.0"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert c.returncode == 0, c.stderr


def test_sbom_table_from_the_release_file(released: dict[str, Any]) -> None:
    path = released["_out"] / released["supply"]["sboms"]["linux/amd64"]
    r = buildorch("inspect", "--sbom", str(path))
    assert r.returncode == 0, r.stderr
    assert "github.com/buildorch/app" in r.stdout and "stdlib" in r.stdout


def test_a_tampered_tag_fails_verify_in_one_line(released: dict[str, Any], image: str, keys: tuple[Path, Path]) -> None:
    # the same platform images under a new, unsigned index, and the tag moved to it
    docker("buildx", "imagetools", "create", "--annotation", "index:org.example.tampered=yes",
           "-t", f"{image}:1.3.0", f"{image}@{released['index_digest']}")
    r = buildorch("verify", f"{image}:1.3.0", "--key", str(keys[1]))
    assert r.returncode == 6, r.stdout + r.stderr
    errors = [line for line in r.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no valid signature" in errors[0] and "Traceback" not in r.stderr
    # the signed index itself still verifies by digest
    assert buildorch("verify", f"{image}@{released['index_digest']}", "--key", str(keys[1])).returncode == 0


def test_wrong_password_fails_without_showing_it(repo: Path, image: str, keys: tuple[Path, Path], tmp_path: Path) -> None:
    wrong = f"wrong-{PASSWORD}"
    r = buildorch(
        "release", "--version", "1.3.1", "--image", image, str(repo), "--output-dir", str(tmp_path), "--progress", "quiet",
        "--sign", "--key", str(keys[0]), env={"COSIGN_PASSWORD": wrong},
    )
    # checked before the build: a wrong password costs no build, and is never shown
    assert r.returncode == 2 and "cannot use the signing key" in r.stderr, r.stderr
    assert wrong not in r.stdout + r.stderr and PASSWORD not in r.stdout + r.stderr
    assert "1.3.1" not in docker("buildx", "imagetools", "inspect", f"{image}:1.3.1", check=False)  # never tagged


# -- scan --------------------------------------------------------------------------------------

VULN_MAIN = """package main

import (
\t"fmt"
\t"os"

\t"golang.org/x/mod/semver"
)

func main() { fmt.Println(semver.Compare(os.Args[0], "v1.0.0")) }
"""
VULN_GOMOD = "module example.com/i17vuln\n\ngo 1.26.0\n\nrequire golang.org/x/mod v0.42.0\n"
VULN_GOSUM = (
    "golang.org/x/mod v0.42.0 h1:ICeL3t2L30ljSPHHxDnR4fqVcBt/zR2zJAb9juavmQg=\n"
    "golang.org/x/mod v0.42.0/go.mod h1:u5fzIrRInkL8MaO1cbRkUHT64v303YIT5KEqpNr7jRs=\n"
)


@pytest.fixture(scope="module")
def vulnerable_image(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A FROM-scratch image holding a program linking golang.org/x/mod v0.42.0 (in the stack's module cache: govulncheck's)."""
    d = tmp_path_factory.mktemp("vulnprog")
    (d / "main.go").write_text(VULN_MAIN)
    (d / "go.mod").write_text(VULN_GOMOD)
    (d / "go.sum").write_text(VULN_GOSUM)
    modcache = STACK_BIN.parent / "mod"
    env = {**os.environ, "GOMODCACHE": str(modcache), "GOPROXY": f"file://{modcache}/cache/download", "GOFLAGS": "-modcacherw",
           "GOSUMDB": "off", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOCACHE": str(d / "gocache")}
    built = subprocess.run(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", "vulnprog", "."], cwd=d, env=env,
                           capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stderr
    (d / "Dockerfile").write_text("FROM scratch\nCOPY vulnprog /vulnprog\nENTRYPOINT [\"/vulnprog\"]\n")
    tag = f"i17-vulnprog:{uuid.uuid4().hex[:8]}"
    docker("buildx", "build", "--load", "--provenance=false", "-t", tag, str(d), timeout=600)
    yield tag
    docker("image", "rm", tag, check=False)


def test_scan_finds_the_planted_advisory(vulnerable_image: str) -> None:
    r = buildorch("scan", vulnerable_image, "--db", str(VULNDB), "--platform", "linux/amd64")
    assert r.returncode == 7, r.stdout + r.stderr
    assert PLANTED in r.stdout and "golang.org/x/mod@v0.42.0" in r.stdout and "called" in r.stdout
    assert f"error: 1 known vulnerability in {vulnerable_image}: {PLANTED}" in r.stderr


def test_scan_of_the_demo_app_is_clean(released: dict[str, Any], image: str) -> None:
    r = buildorch("scan", f"{image}@{released['index_digest']}", "--db", str(VULNDB), "--platform", "linux/amd64")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "linux/amd64: 1 Go binary /app" in r.stdout and "no known vulnerabilities" in r.stdout


def test_scan_without_a_database_says_so_in_one_line(vulnerable_image: str) -> None:
    r = buildorch("scan", vulnerable_image, env={"BUILDORCH_VULNDB": ""})
    assert r.returncode == 2 and r.stderr.startswith("error: no vulnerability database"), r.stderr
