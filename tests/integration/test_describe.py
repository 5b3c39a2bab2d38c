"""A loaded image described from the containerd store says what ``docker image inspect`` says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import buildorch_json, docker, unique

pytestmark = pytest.mark.integration


@pytest.fixture
def image(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "a.txt").write_text("a\n")
    (tmp_path / "b.bin").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "Dockerfile").write_text("FROM scratch\nCOPY a.txt /a.txt\nCOPY b.bin /b.bin\n")
    name = f"{unique('describe')}:1"
    yield name
    docker("image", "rm", "-f", name, check=False)


@pytest.mark.parametrize("platforms", ["linux/amd64", "linux/amd64,linux/arm64"])
def test_id_size_and_platform_digests_match_the_engine(image: str, tmp_path: Path, platforms: str) -> None:
    out = buildorch_json("build", str(tmp_path), "--platform", platforms, "-t", image, "--cache", "none", "--progress", "quiet")
    result = out if "image_id" in out else out["results"][0]
    engine = json.loads(docker("image", "inspect", image))[0]
    assert result["image_id"] == engine["Id"] and result["size_bytes"] == engine["Size"]
    assert sorted(result["platform_digests"]) == sorted(platforms.split(","))


def test_a_baked_target_is_described_as_a_build_is(image: str, tmp_path: Path) -> None:
    # bake's results take the same path (builds/describe.describe_loaded), one target at a time
    (tmp_path / "docker-bake.hcl").write_text(
        f'target "one" {{\n  context = "{tmp_path}"\n  platforms = ["linux/amd64"]\n  tags = ["{image}"]\n}}\n'
    )
    out = buildorch_json(
        "bake", "-f", str(tmp_path / "docker-bake.hcl"), "one", "--cache", "none", "--progress", "quiet",
        "--allow", f"fs.read={tmp_path}", "--version", "1.0.0", "--build-time", "2026-01-01T00:00:00Z",
    )  # fmt: skip
    result = out["results"]["one"] if "results" in out else out["one"]
    engine = json.loads(docker("image", "inspect", image))[0]
    assert result["image_id"] == engine["Id"] and result["size_bytes"] == engine["Size"]
    assert sorted(result["platform_digests"]) == ["linux/amd64"]
