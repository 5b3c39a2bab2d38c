"""Split and merge against the stack: two buildx builders stand in for two runners (one buildkitd
node each), each pushes its platform by digest; ``buildorch merge`` makes one index, refuses it
(exit 5, no tag) while a platform is missing, and tags it from the CI event once both are there.
The builds also write GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / --dotenv, read back here.
"""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.helpers import APP, ROOT, buildorch, docker, unique
from tests.integration.test_release import tags_of
from tests.unit.ci.test_outputs import read_github_output

pytestmark = pytest.mark.integration

BK = Path(os.environ.get("BUILDORCH_STACK_DIR", "/var/lib/buildorch-stack")) / "buildkit"
TLS = BK / "tls"
RUNNERS = {"linux/amd64": 1234, "linux/arm64": 1235}
SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One remote builder per platform, in a private docker config (nothing leaks into the machine's)."""
    if os.geteuid() != 0:
        pytest.skip("scripts/buildkitd-nodes needs root")
    r = subprocess.run([str(ROOT / "scripts" / "buildkitd-nodes"), "up"], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DOCKER_CONFIG", str(tmp_path_factory.mktemp("docker-config")))
        builders = {}
        for platform, port in RUNNERS.items():
            name = unique(f"runner-{platform.split('/')[1]}")
            opts = f"cacert={TLS}/ca.pem,cert={TLS}/client.pem,key={TLS}/client-key.pem,servername=127.0.0.1"
            docker("buildx", "create", "--name", name, "--driver", "remote", "--driver-opt", opts, f"tcp://127.0.0.1:{port}")
            builders[platform] = name
        yield builders
        for name in builders.values():
            docker("buildx", "rm", name, check=False)


@pytest.fixture(scope="module")
def image() -> str:
    return f"127.0.0.1:5000/split-{uuid.uuid4().hex[:8]}/app"


def split_build(
    platform: str, builder: str, image: str, digest_dir: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    args = ["--platform", platform, "--builder", builder, "--tag", image, "--push-by-digest", "--digest-dir", str(digest_dir)]
    return buildorch("build", str(APP), *args, "--version", "1.2.3", "--progress", "quiet", env=env, timeout=2400)


def github_tag_event(tmp: Path) -> dict[str, str]:
    return {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/tags/v1.2.3", "GITHUB_SHA": SHA,
            "GITHUB_REPOSITORY": "octocat/app", "GITHUB_OUTPUT": str(tmp / "output"),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"), "BUILDORCH_CACHE_DIR": str(tmp / "cache")}  # fmt: skip


@pytest.fixture(scope="module")
def digest_dirs(runners: dict[str, str], image: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each runner's digest directory after its build (the artifacts CI would upload)."""
    out = {}
    for platform, builder in runners.items():
        tmp = tmp_path_factory.mktemp(platform.replace("/", "-"))
        r = split_build(platform, builder, image, tmp / "digests", github_tag_event(tmp))
        assert r.returncode == 0, r.stderr[-3000:]
        got = read_github_output((tmp / "output").read_text())
        files = list((tmp / "digests").iterdir())
        assert len(files) == 1 and got["digest"] == f"sha256:{files[0].name}"
        assert json.loads(files[0].read_text()) == {"digest": got["digest"], "platform": platform, "image": image}
        assert got["tags"] == f"{image}@{got['digest']}" and got["version"] == "1.2.3"
        summary = (tmp / "summary.md").read_text()
        assert platform in summary and got["digest"] in summary and "steps cached" in summary
        out[platform] = tmp / "digests"
    return out


def test_split_builds_push_no_tag(digest_dirs: dict[str, Path], image: str) -> None:
    assert tags_of(image) == {}  # pushed by digest only


def test_a_missing_platform_fails_with_5_and_moves_no_tag(digest_dirs: dict[str, Path], image: str, tmp_path: Path) -> None:
    r = buildorch("merge", "--digest-dir", str(digest_dirs["linux/amd64"]), "--image", image, "--tag", "1.2.3")
    assert r.returncode == 5, r.stderr
    assert "error: the merged index lacks linux/arm64 (it has linux/amd64): no tag was moved" in r.stderr
    assert tags_of(image) == {}


def test_merge_tags_one_index_with_both_platforms(digest_dirs: dict[str, Path], image: str, tmp_path: Path) -> None:
    merged = tmp_path / "digests"
    merged.mkdir()
    for d in digest_dirs.values():  # download-artifact with merge-multiple: one directory
        for f in d.iterdir():
            (merged / f.name).write_bytes(f.read_bytes())
    env = {**github_tag_event(tmp_path), "GITHUB_OUTPUT": str(tmp_path / "merge-output")}
    args = ["--digest-dir", str(merged), "--image", image, "--meta", "--verify", "--json", "--dotenv", str(tmp_path / "m.env")]
    r = buildorch("merge", *args, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    tags = tags_of(image)
    assert set(tags) == {"v1.2.3", "latest"}  # metadata-action's defaults for a tag push
    assert set(tags.values()) == {result["index_digest"]}
    raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", f"{image}@{result['index_digest']}"))
    plats = {f"{m['platform']['os']}/{m['platform']['architecture']}" for m in raw["manifests"]}
    assert {"linux/amd64", "linux/arm64"} <= plats
    assert result["verification"]["missing_platforms"] == [] and set(result["platforms"]) == {"linux/amd64", "linux/arm64"}
    checked = {v["platform"]: v for v in result["verification"]["platforms"]}  # --verify: each platform ran
    assert set(checked) == {"linux/amd64", "linux/arm64"}
    assert all(v["ok"] and v["health_ok"] and v["version_output"] == "1.2.3" for v in checked.values()), checked
    got = read_github_output((tmp_path / "merge-output").read_text())
    assert got["digest"] == result["index_digest"] and f"{image}:v1.2.3" in got["tags"].splitlines()
    assert f"BUILDORCH_DIGEST={result['index_digest']}" in (tmp_path / "m.env").read_text().splitlines()
