"""``buildorch release --meta`` in a GitHub tag push: the version comes from the event, and
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY are filled (read back as the runner reads them)."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.integration.helpers import buildorch
from tests.integration.test_release import git, repo, tags_of  # noqa: F401  (repo is a fixture)
from tests.unit.ci.test_outputs import read_github_output

pytestmark = pytest.mark.integration


def test_release_fills_github_output_and_summary(repo: Path, tmp_path: Path) -> None:  # noqa: F811
    image = f"localhost:5000/ci-{uuid.uuid4().hex[:8]}/app"
    sha = git(repo, "rev-parse", "HEAD")
    env = {
        "GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": sha,
        "GITHUB_REPOSITORY": "octocat/app", "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }  # fmt: skip
    r = buildorch("release", "--meta", "--image", image, str(repo), "--output-dir", str(tmp_path / "rel"), "--progress", "quiet",
                  "--json", "--dotenv", str(tmp_path / "release.env"), env=env, timeout=2400)  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    assert result["version"] == "1.2.3"  # from refs/tags/v1.2.3
    got = read_github_output((tmp_path / "output").read_text())
    assert got["digest"] == result["index_digest"] == tags_of(image)["1.2.3"]
    assert got["version"] == "1.2.3" and f"{image}:1.2.3" in got["tags"].splitlines()
    assert json.loads(got["metadata"])["index_digest"] == result["index_digest"]
    summary = (tmp_path / "summary.md").read_text()
    assert "Verification: **passed**" in summary
    for platform, img in result["platforms"].items():
        assert f"| {platform} | `{img['digest']}` |" in summary
    assert "BUILDORCH_VERSION=1.2.3" in (tmp_path / "release.env").read_text().splitlines()


def test_bake_file_is_read_by_buildx_unchanged(tmp_path: Path) -> None:
    """metadata-action's usage: a target inheriting docker-metadata-action, resolved by buildx itself."""
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "docker-bake.hcl").write_text(
        'target "docker-metadata-action" {}\ntarget "build" {\n  inherits = ["docker-metadata-action"]\n  context = "."\n}\n'
    )
    env = {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": "a" * 40}
    r = buildorch("meta", "--images", "name/app", "--tags", "type=semver,pattern={{version}}", "--bake-file", "meta.json",
                  env=env, cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    printed = subprocess.run(["docker", "buildx", "bake", "-f", "docker-bake.hcl", "-f", "meta.json", "--print", "build"],
                             cwd=tmp_path, capture_output=True, text=True, check=True)  # fmt: skip
    target = json.loads(printed.stdout)["target"]["build"]
    assert target["tags"] == ["name/app:1.2.3", "name/app:latest"]
    assert target["args"]["DOCKER_META_VERSION"] == "1.2.3"
    assert target["labels"]["org.opencontainers.image.version"] == "1.2.3"
