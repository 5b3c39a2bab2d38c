"""Pure logic of ``buildorch release``: tag rules, the spec, plans and reports, retries."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from buildorch.core.errors import BuildFailed, PushFailed
from buildorch.core.retry import Backoff, is_transient, with_retries
from buildorch.core.semver import SemVer
from buildorch.engine.git import GitState, public_url
from buildorch.engine.registry import RegistryError
from buildorch.releases.models import PlatformImage, PlatformVerification, ReleaseResult, ReleaseSpec, Verification
from buildorch.releases.plan import plan_release, plan_tags
from buildorch.releases.report import plan_lines, render_markdown
from buildorch.releases.runner import transient_registry_failure

# -- tag rules ----------------------------------------------------------------------


def tags(version: str, existing: list[str], **kw: object) -> list[str]:
    return plan_tags(SemVer.parse(version), existing, **kw).tags  # type: ignore[arg-type]


def test_first_stable_release_gets_every_tag() -> None:
    assert tags("1.2.3", [], revision="0123456789abcdef") == ["1.2.3", "1.2", "1", "latest", "sha-0123456"]


def test_prerelease_gets_its_own_tag_only() -> None:
    plan = plan_tags(SemVer.parse("1.3.0-rc.1"), ["1.2.3"], revision="abcdef0123")
    assert plan.tags == ["1.3.0-rc.1", "sha-abcdef0"]
    assert "pre-release" in plan.notes[0]


def test_a_lower_release_moves_only_its_minor_tag() -> None:
    plan = plan_tags(SemVer.parse("1.2.4"), ["1.2.3", "1.3.0", "latest", "1", "1.3", "buildcache", "sha-abc"])
    assert plan.tags == ["1.2.4", "1.2"]
    assert "no 1 tag: 1.3.0 is already released" in plan.notes
    assert any("1.3.0 is higher" in n for n in plan.notes)


def test_prereleases_in_the_registry_do_not_block_latest() -> None:
    assert tags("1.2.4", ["1.2.3", "1.3.0-rc.1"]) == ["1.2.4", "1.2", "1", "latest"]


def test_a_hotfix_below_the_newest_patch_moves_nothing_floating() -> None:
    assert tags("1.2.2", ["1.2.3", "2.0.0"]) == ["1.2.2"]


def test_rereleasing_the_same_version_keeps_its_floating_tags() -> None:
    assert tags("1.2.3", ["1.2.3", "1.2", "1", "latest"]) == ["1.2.3", "1.2", "1", "latest"]


def test_latest_flag_forces_or_forbids() -> None:
    assert "latest" in tags("1.2.4", ["1.3.0"], latest=True)
    assert "latest" not in tags("1.2.3", [], latest=False)


def test_build_metadata_version_is_tagged_with_a_dash() -> None:
    assert tags("1.2.3+build.7", []) == ["1.2.3-build.7", "1.2", "1", "latest"]


# -- the spec -------------------------------------------------------------------------


def test_spec_defaults_and_normalisation(tmp_path: Path) -> None:
    spec = ReleaseSpec(version="1.2.3", image="localhost:5000/team/app", context=tmp_path)
    assert spec.platforms == ["linux/amd64", "linux/arm64"]
    assert spec.reports_dir == Path(".buildorch/releases/1.2.3")
    assert ReleaseSpec(version="1.2.3", image="r:5000/a", context=tmp_path, platforms=["arm64"]).platforms == ["linux/arm64"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("image", "localhost:5000/app:1.2.3", "give REGISTRY/NAME only"),
        ("image", "app", "names no registry"),
        ("image", "Localhost:5000/App", "lower-case"),
        ("version", "1.2", "not a semantic version"),
        ("build_args", {"VERSION": "x"}, "set by the release"),
        ("build_args", {"NPM_TOKEN": "x"}, "looks like a secret"),
        ("push_attempts", 0, "at least 1"),
    ],
)
def test_spec_refuses_bad_input(tmp_path: Path, field: str, value: object, message: str) -> None:
    kw: dict[str, object] = {"version": "1.2.3", "image": "localhost:5000/app", "context": tmp_path, field: value}
    with pytest.raises(ValidationError, match=message):
        ReleaseSpec(**kw)  # type: ignore[arg-type]


def test_public_url_drops_credentials() -> None:
    assert public_url("https://ci:s3cret@git.example.com/org/app.git") == "https://git.example.com/org/app"
    assert public_url("git@github.com:org/app.git") == "https://github.com/org/app"


# -- plan and reports -------------------------------------------------------------------


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS runtime\n")
    return tmp_path


def test_plan_builds_by_digest_with_cache_labels_and_index_annotations(ctx: Path) -> None:
    spec = ReleaseSpec(version="1.2.4", image="localhost:5000/team/app", context=ctx, build_time="2026-01-02T03:04:05Z")
    git = GitState(repo=True, revision="0123456789abcdef", dirty_files=[], remote="https://example.com/team/app")
    plan = plan_release(spec, existing_tags=["1.3.0"], push_method="upload", git=git, layout_dir=Path("/tmp/x/oci"))
    assert plan.tags == ["1.2.4", "1.2", "sha-0123456"]
    b = plan.build
    assert b.output == (
        "type=oci,tar=false,dest=/tmp/x/oci,rewrite-timestamp=true,"
        "annotation-index.org.opencontainers.image.title=app,annotation-index.org.opencontainers.image.version=1.2.4,"
        "annotation-index.org.opencontainers.image.created=2026-01-02T03:04:05Z,"
        "annotation-index.org.opencontainers.image.source=https://example.com/team/app,"
        "annotation-index.org.opencontainers.image.revision=0123456789abcdef,"
        "annotation-index.org.opencontainers.image.description=app 1.2.4"
    )
    # provenance is off unless asked for: no unknown/unknown attestation entries in the index
    assert b.provenance is False and b.cache.kind == "registry" and b.cache.ref == "localhost:5000/team/app:buildcache"
    # buildx's metadata file lives in the release's scratch directory, which is removed (or swept after a kill)
    assert b.metadata_file == Path("/tmp/x/build-metadata.json")
    assert b.labels == {
        "org.opencontainers.image.version": "1.2.4",
        "org.opencontainers.image.created": "2026-01-02T03:04:05Z",
        "org.opencontainers.image.title": "app",
        "org.opencontainers.image.revision": "0123456789abcdef",
        "org.opencontainers.image.source": "https://example.com/team/app",
    }
    maxed = spec.model_copy(update={"provenance": "max", "annotations": ["index,manifest:org.example.team=a, b"]})
    mplan = plan_release(maxed, existing_tags=[], push_method="upload", git=git, layout_dir=Path("/o"))
    assert mplan.build.provenance == "mode=max"
    assert mplan.build.output is not None and mplan.build.output.endswith(
        '"annotation-index.org.example.team=a, b","annotation-manifest.org.example.team=a, b"'
    )
    native = plan_release(spec, existing_tags=[], push_method="buildkit", git=git)
    assert "push-by-digest=true" in str(native.build.output) and "rewrite-timestamp=true" in str(native.build.output)
    lines = "\n".join(plan_lines(plan, ["docker buildx build ..."]))
    assert "-t localhost:5000/team/app:1.2.4 -t localhost:5000/team/app:1.2 -t localhost:5000/team/app:sha-0123456" in lines
    assert "note: no 1 tag: 1.3.0 is already released" in lines
    assert "linux/arm64: docker pull --platform linux/arm64" in lines and "`-version` prints 1.2.4" in lines


def test_dirty_tree_gets_no_sha_tag(ctx: Path) -> None:
    spec = ReleaseSpec(version="1.0.0", image="localhost:5000/app", context=ctx, allow_dirty=True, build_time="0")
    git = GitState(repo=True, revision="abc1234def", dirty_files=["main.go"], remote=None)
    plan = plan_release(spec, existing_tags=[], push_method="upload", git=git)
    assert plan.tags == ["1.0.0", "1.0", "1", "latest"]
    assert any("dirty tree" in w for w in plan.warnings)


def sample_result(**kw: object) -> ReleaseResult:
    base: dict[str, object] = {
        "image": "localhost:5000/team/app",
        "version": "1.2.3",
        "tags": ["1.2.3", "latest"],
        "references": ["localhost:5000/team/app:1.2.3", "localhost:5000/team/app:latest"],
        "previous_tags": {"1.2.3": None, "latest": "sha256:" + "a" * 64},
        "index_digest": "sha256:" + "1" * 64,
        "platforms": {"linux/amd64": PlatformImage(digest="sha256:" + "2" * 64, size_bytes=3_100_000)},
        "build_time": "2026-01-02T03:04:05Z",
        "revision": "0123456789",
        "push_method": "upload",
        "verification": Verification(ok=True, platforms=[
            PlatformVerification(platform="linux/amd64", ok=True, health_ok=True, health={"ready_seconds": 0.4},
                                 version_output="1.2.3", version_ok=True),
        ]),
    }
    base.update(kw)
    return ReleaseResult(**base)  # type: ignore[arg-type]


def test_release_md_lists_tags_platforms_and_checks() -> None:
    md = render_markdown(sample_result())
    assert md.startswith("# localhost:5000/team/app 1.2.3\n")
    assert "- `localhost:5000/team/app:1.2.3` (new)" in md
    assert "- `localhost:5000/team/app:latest` (moved from `sha256:aaaaaaaaaaaa`)" in md
    assert "| linux/amd64 | `sha256:2222" in md and "| 3.1 MB | yes |" in md
    assert "- linux/amd64: health ok, ready after 0.4s; `-version` printed `1.2.3`" in md
    assert md.endswith("\n") and not md.endswith("\n\n")


def test_release_md_of_a_failed_release_says_no_tag_changed() -> None:
    failed = PlatformVerification(platform="linux/arm64", error="the container exited with code 1 after 0.3s")
    md = render_markdown(sample_result(status="failed", error="verification failed: linux/arm64: exited",
                                       verification=Verification(platforms=[failed])))
    assert "**Release failed:** verification failed" in md and "No tag was changed." in md
    assert "## Tags" not in md and "health failed" in md


# -- retries ------------------------------------------------------------------------------

# Recorded from real failures on the stack (buildx 0.13.1, the registry behind a 503 proxy).
TRANSIENT = [
    'ERROR: failed commit on ref "index-sha256:f18d": unexpected status from PUT request to '
    "http://localhost:38637/v2/rel-caf75eb1/app/manifests/1.2.4: 503 Service Unavailable",
    "step exporting cache to registry failed: error writing config blob: failed to open writer: unexpected status "
    "from POST request to http://localhost:44841/v2/rel-caf75eb1/app/blobs/uploads/: 503 Service Unavailable",
    'failed to do request: Head "http://localhost:5999/v2/a/manifests/1": dial tcp 127.0.0.1:5999: connect: connection refused',
    "HTTP 502 Bad Gateway from PUT http://r/v2/a/blobs/uploads/x",
    "GET http://localhost:5000/v2/a/tags/list: timed out",
    "429 Too Many Requests",
]
PERMANENT = [
    "unexpected status from PUT request to https://r/v2/a/manifests/1: 401 Unauthorized",
    "HTTP 404 Not Found from GET http://r/v2/a/tags/list: NAME_UNKNOWN repository name not known to registry",
    "denied: requested access to the resource is denied",
    "step [builder 5/5] RUN go build failed (exit code 1)",
    "dial tcp 10.0.0.1:443: connect: no such host",
]


@pytest.mark.parametrize("text", TRANSIENT)
def test_transient_failures_are_retried(text: str) -> None:
    assert is_transient(text)


@pytest.mark.parametrize("text", PERMANENT)
def test_permanent_failures_are_not(text: str) -> None:
    assert not is_transient(text)


def test_build_failures_are_retried_only_when_the_registry_failed() -> None:
    assert transient_registry_failure(BuildFailed(TRANSIENT[1]))
    assert transient_registry_failure(PushFailed("push failed: failed to push x: 503 Service Unavailable"))
    assert not transient_registry_failure(BuildFailed("step [builder 5/5] RUN go build failed (exit code 1): timeout in test"))


def test_backoff_doubles_up_to_the_cap() -> None:
    assert Backoff(attempts=5, base=1, cap=5).delays() == [1, 2, 4, 5]
    assert Backoff(attempts=1).delays() == []


def test_with_retries_retries_transient_then_gives_up() -> None:
    calls: list[int] = []
    slept: list[float] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise RegistryError("HTTP 503 Service Unavailable from PUT x", 503)
        return "ok"

    log: list[str] = []

    class Out:
        def write(self, s: str) -> None:
            log.append(s)

    transient = lambda e: isinstance(e, RegistryError) and e.transient  # noqa: E731
    assert with_retries(flaky, what="push", backoff=Backoff(4, 0.5), transient=transient, sleep=slept.append, log=Out()) == "ok"  # type: ignore[arg-type]
    assert slept == [0.5, 1.0] and "retry 1/3 in 0.5s" in log[0]
    calls.clear()
    with pytest.raises(RegistryError):
        with_retries(flaky, what="push", backoff=Backoff(2, 0.5), transient=transient, sleep=slept.append, log=Out())  # type: ignore[arg-type]
    with pytest.raises(RegistryError, match="401"):
        with_retries(lambda: (_ for _ in ()).throw(RegistryError("HTTP 401", 401)), what="x", backoff=Backoff(4),
                     transient=transient, sleep=lambda s: pytest.fail("a 401 is not retried"))


def test_dry_run_says_what_the_supply_chain_adds(ctx: Path) -> None:
    spec = ReleaseSpec(version="1.3.0", image="localhost:5000/team/app", context=ctx, build_time="2026-01-02T03:04:05Z",
                       provenance="max", supply={"sbom": True, "sign": True, "key": Path("k.key")})
    git = GitState(repo=True, revision="0123456789abcdef", dirty_files=[], remote=None)
    text = "\n".join(plan_lines(plan_release(spec, existing_tags=[], push_method="buildkit", git=git), []))
    assert "a provenance attestation (mode=max)" in text
    assert "an SPDX SBOM per platform (syft); cosign signatures of the index and its platforms (key k.key)" in text
