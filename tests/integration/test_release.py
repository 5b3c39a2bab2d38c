"""``buildorch release`` against the real stack: push by digest, verify, tag; refusals and failures leave tags alone.

Each test module releases into its own repository (``localhost:5000/rel-<uuid8>/app``)
from a temporary git repository holding a copy of app/, committed at a fixed
time so that the build time (and with it every build step) is the same in every
run: after the first release, builds are cached.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.integration.fault_proxy import TAG_PUT, Rule, fault_proxy
from tests.integration.helpers import APP, buildorch, buildorch_json, docker, free_port

pytestmark = pytest.mark.integration

COMMIT_TIME = "2026-01-02T03:04:05Z"
FAST_RETRY = ("--push-attempts", "2", "--retry-delay", "0.2")
# The app's builder stage, with a runtime whose entrypoint only runs the health check
# and exits: the image builds (from cache) but never serves /health.
BROKEN_RUNTIME = """
FROM scratch AS broken
COPY --from=builder /build/main /app
EXPOSE 8080
ENTRYPOINT ["/app", "-healthcheck"]
"""


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_DATE": COMMIT_TIME, "GIT_COMMITTER_DATE": COMMIT_TIME, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    r = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=release-test", "-c", "user.email=t@example.com", *args],
        capture_output=True, text=True, env=env, check=True,
    )
    return r.stdout.strip()


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean git repository holding app/ plus a Dockerfile whose last stage never serves."""
    d = tmp_path_factory.mktemp("release-repo") / "app"
    shutil.copytree(APP, d)
    (d / "Dockerfile.broken").write_text((APP / "Dockerfile").read_text() + BROKEN_RUNTIME)
    git(d, "init", "-q")
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "app")
    return d


@pytest.fixture(scope="module")
def image() -> str:
    return f"localhost:5000/rel-{uuid.uuid4().hex[:8]}/app"


def registry_url(image: str) -> tuple[str, str]:
    host, _, repo = image.partition("/")
    return f"http://{host}/v2/{repo}", repo


def tags_of(image: str) -> dict[str, str]:
    """Every release tag of ``image`` and the digest it points at, read with the registry API.

    ``buildcache`` is left out: the registry cache is rewritten by every build (by design).
    """
    base, _ = registry_url(image)
    try:
        with urllib.request.urlopen(f"{base}/tags/list") as resp:
            tags = json.loads(resp.read()).get("tags") or []
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return {}
        raise
    out = {}
    accept = ", ".join(f"application/vnd.{t}+json" for t in (
        "oci.image.index.v1", "docker.distribution.manifest.list.v2", "oci.image.manifest.v1", "docker.distribution.manifest.v2"))
    for t in tags:
        if t == "buildcache":
            continue
        req = urllib.request.Request(f"{base}/manifests/{t}", method="HEAD", headers={"Accept": accept})
        with urllib.request.urlopen(req) as resp:
            out[t] = resp.headers["Docker-Content-Digest"]
    return out


def release(repo: Path, image: str, version: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return buildorch("release", "--version", version, "--image", image, str(repo), "--output-dir", str(out),
                     "--progress", "quiet", *extra)


@pytest.fixture(scope="module")
def first(repo: Path, image: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("rel-1.2.3")
    result = buildorch_json("release", "--version", "1.2.3", "--image", image, str(repo), "--output-dir", str(out),
                            "--progress", "quiet")
    result["_out"] = out
    return result


def test_release_tags_every_name_on_one_verified_index(first: dict[str, Any], image: str, repo: Path) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    tags = tags_of(image)
    want = {"1.2.3", "1.2", "1", "latest", f"sha-{sha[:7]}"}
    assert want <= set(tags), tags
    assert {tags[t] for t in want} == {first["index_digest"]}
    assert first["status"] == "released" and first["revision"] == sha
    assert set(first["tags"]) == want
    assert [v["platform"] for v in first["verification"]["platforms"]] == ["linux/amd64", "linux/arm64"]
    for v in first["verification"]["platforms"]:
        assert v["ok"] and v["health_ok"] and v["version_output"] == "1.2.3", v


def test_release_json_digests_match_the_registry(first: dict[str, Any], image: str) -> None:
    raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", f"{image}:1.2.3"))
    listed = {
        f"{m['platform']['os']}/{m['platform']['architecture']}": m["digest"]
        for m in raw["manifests"] if m["platform"]["os"] != "unknown"
    }
    saved = json.loads((first["_out"] / "release.json").read_text())
    assert saved["index_digest"] == first["index_digest"]
    assert {p: v["digest"] for p, v in saved["platforms"].items()} == listed
    assert set(listed) == {"linux/amd64", "linux/arm64"}
    attested = {m["annotations"]["vnd.docker.reference.digest"] for m in raw["manifests"] if m["platform"]["os"] == "unknown"}
    assert attested == set()  # no provenance unless --provenance asks: no unknown/unknown entries
    assert len(raw["manifests"]) == len(listed)
    assert raw["annotations"]["org.opencontainers.image.version"] == "1.2.3"
    assert raw["annotations"]["org.opencontainers.image.title"] == "app"
    assert saved["supply"]["provenance"] == "false"
    for p, v in saved["platforms"].items():
        manifest = json.loads(docker("buildx", "imagetools", "inspect", "--raw", f"{image}@{v['digest']}"))
        assert v["size_bytes"] == sum(layer["size"] for layer in manifest["layers"]) > 1_000_000, p
    md = (first["_out"] / "release.md").read_text()
    assert first["index_digest"] in md and "linux/arm64" in md and "1.2.3" in md


def test_labels_carry_the_version_time_and_revision(first: dict[str, Any], image: str) -> None:
    configs = json.loads(docker("buildx", "imagetools", "inspect", f"{image}:1.2.3", "--format", "{{json .Image}}"))
    assert set(configs) == {"linux/amd64", "linux/arm64"}
    for cfg in configs.values():
        labels = cfg["config"]["Labels"]
        assert labels["org.opencontainers.image.version"] == "1.2.3"
        assert labels["org.opencontainers.image.created"] == COMMIT_TIME == first["build_time"]
        assert labels["org.opencontainers.image.revision"] == first["revision"]
        assert labels["org.opencontainers.image.title"] == "app"


def test_same_commit_again_is_a_no_op_retag(first: dict[str, Any], repo: Path, image: str, tmp_path: Path) -> None:
    before = tags_of(image)
    again = buildorch_json("release", "--version", "1.2.3", "--image", image, str(repo), "--output-dir", str(tmp_path),
                           "--progress", "quiet")
    # Reproducible: same commit, same SOURCE_DATE_EPOCH -> the same per-platform manifests.
    assert {p: v["digest"] for p, v in again["platforms"].items()} == {p: v["digest"] for p, v in first["platforms"].items()}
    assert again["index_digest"] == first["index_digest"]  # the tags stay where they were
    assert tags_of(image) == before


def test_prerelease_gets_no_floating_tags(first: dict[str, Any], repo: Path, image: str, tmp_path: Path) -> None:
    rc = buildorch_json("release", "--version", "1.3.0-rc.1", "--image", image, str(repo), "--output-dir", str(tmp_path),
                        "--progress", "quiet")
    tags = tags_of(image)
    assert tags["1.3.0-rc.1"] == rc["index_digest"]
    assert "1.3" not in tags and "1.3.0" not in tags
    assert tags["latest"] == tags["1"] == first["index_digest"]
    assert rc["verification"]["platforms"][1]["version_output"] == "1.3.0-rc.1"


def test_lower_release_does_not_take_latest(first: dict[str, Any], repo: Path, image: str, tmp_path: Path) -> None:
    # 1.3.0 exists (tagged cheaply on the 1.2.3 index): 1.2.4 moves 1.2, not 1 nor latest.
    docker("buildx", "imagetools", "create", "-t", f"{image}:1.3.0", f"{image}@{first['index_digest']}")
    r = release(repo, image, "1.2.4", tmp_path, "--json")
    assert r.returncode == 0, r.stderr[-2000:]
    result = json.loads(r.stdout)
    tags = tags_of(image)
    assert set(result["tags"]) == {"1.2.4", "1.2", f"sha-{result['revision'][:7]}"}
    assert tags["1.2.4"] == tags["1.2"] == result["index_digest"] != first["index_digest"]
    assert tags["latest"] == tags["1"] == first["index_digest"]
    assert any("1.3.0 is higher" in w for w in result["warnings"])


def test_verification_failure_exits_5_and_tags_nothing(first: dict[str, Any], repo: Path, image: str, tmp_path: Path) -> None:
    before = tags_of(image)
    r = release(repo, image, "2.0.0", tmp_path, "-f", str(repo / "Dockerfile.broken"), "--verify-timeout", "20")
    assert r.returncode == 5, r.stderr[-2000:]
    assert "error: release 2.0.0 not tagged: verification failed on linux/amd64" in r.stderr
    assert "Traceback" not in r.stderr
    assert tags_of(image) == before
    report = json.loads((tmp_path / "release.json").read_text())
    assert report["status"] == "failed" and report["verification"]["platforms"][0]["health_ok"] is False


@pytest.mark.parametrize("mode", ["refuse-writes", "refuse-tags"])
def test_registry_failing_mid_release_exits_4_and_tags_nothing(
    first: dict[str, Any], repo: Path, image: str, tmp_path: Path, mode: str
) -> None:
    # The proxy serves the same repository as localhost:5000 but answers 503 to
    # pushes (refuse-writes) or only to tag writes, after verification (refuse-tags).
    before = tags_of(image)
    port = free_port()
    via_proxy = image.replace("localhost:5000", f"localhost:{port}")
    rule = Rule("status", "POST|PUT|PATCH|DELETE", status=503) if mode == "refuse-writes" else Rule("status", "PUT", TAG_PUT)
    with fault_proxy(port, [rule]) as proxy:
        r = release(repo, via_proxy, "1.2.5", tmp_path, *FAST_RETRY)
    assert r.returncode == 4, r.stderr[-2000:]
    assert len(proxy.faults) >= 2  # retried
    last = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    # buildx 0.13 names the status (503 Service Unavailable); current buildx the registry's error (unavailable: ...)
    said = ("503 Service Unavailable", "fault injected by the test proxy")
    assert last and any(s in last[0] for s in said) and "after 2 attempts" in last[0], r.stderr[-2000:]
    assert ("tagging" in last[0]) == (mode == "refuse-tags")
    assert "Traceback" not in r.stderr
    assert tags_of(image) == before


def test_dry_run_prints_the_plan_and_touches_nothing(first: dict[str, Any], repo: Path, image: str, tmp_path: Path) -> None:
    before = tags_of(image)
    out = tmp_path / "never"
    r = release(repo, image, "1.2.9", out, "--dry-run")
    assert r.returncode == 0, r.stderr
    text = r.stdout
    for want in (f"-t {image}:1.2.9", f"-t {image}:1.2 ", "docker buildx build", "--provenance=false",
                 "rewrite-timestamp=true", "GET /health", "`-version` prints 1.2.9"):
        assert want in text, want
    assert tags_of(image) == before and not out.exists()


def test_bad_input_and_a_dirty_tree_exit_2(repo: Path, image: str, tmp_path: Path) -> None:
    r = release(repo, image, "1.2", tmp_path)
    assert r.returncode == 2 and "is not a semantic version" in r.stderr and "Traceback" not in r.stderr
    r = release(repo, f"{image}:1.2.3", "1.2.3", tmp_path)
    assert r.returncode == 2 and "give REGISTRY/NAME only" in r.stderr
    dirty = tmp_path / "dirty"
    shutil.copytree(repo, dirty)
    (dirty / "main.go").write_text((dirty / "main.go").read_text() + "\n// edited\n")
    r = release(dirty, image, "1.2.3", tmp_path, "--dry-run")
    assert r.returncode == 2 and "uncommitted changes (main.go)" in r.stderr and "--allow-dirty" in r.stderr


def test_rerelease_from_another_commit_is_refused_without_force(
    first: dict[str, Any], repo: Path, image: str, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(repo), str(other)], check=True)
    git(other, "commit", "-q", "--allow-empty", "-m", "another commit, same files and time")
    before = tags_of(image)
    r = release(other, image, "1.2.3", tmp_path / "out")
    assert r.returncode == 2, r.stderr[-2000:]
    assert f"{image}:1.2.3 already exists with different content" in r.stderr and "--force" in r.stderr
    assert tags_of(image) == before
    # --force moves the tag (and the sha- tag of the new commit appears).
    forced = release(other, image, "1.2.3", tmp_path / "forced", "--force", "--json")
    assert forced.returncode == 0, forced.stderr[-2000:]
    result = json.loads(forced.stdout)
    after = tags_of(image)
    assert after["1.2.3"] == result["index_digest"] != before["1.2.3"]
    assert after[f"sha-{git(other, 'rev-parse', 'HEAD')[:7]}"] == result["index_digest"]
