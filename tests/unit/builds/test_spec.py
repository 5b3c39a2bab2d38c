"""BuildSpec validation: each bad input gives its own message."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from buildorch.builds.spec import BuildResult, BuildSpec, CachePolicy, looks_secret, parse_pairs


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS base\nFROM base AS runtime\n")
    return tmp_path


def test_valid_spec(ctx: Path) -> None:
    spec = BuildSpec(context=ctx, platforms=["linux/amd64,linux/arm64/v8"], target="RUNTIME", tags=["app:1"])
    assert spec.platforms == ["linux/amd64", "linux/arm64"]
    assert spec.target == "runtime"
    assert spec.dockerfile_path == ctx / "Dockerfile"


BAD = [
    ({"platforms": ["linux/arm46"]}, "did you mean linux/arm64"),
    ({"target": "tset"}, "stage 'tset' not found"),
    ({"tags": ["Bad:Tag"]}, "lower-case"),
    ({"build_args": {"GITHUB_TOKEN": "x"}, "strict_secrets": True}, "looks like a secret (--strict-secrets)"),
    ({"build_args": {"REPO": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl"}}, "looks like a private key"),
    ({"build_args": {"1BAD": "x"}}, "is not valid"),
    ({"load": True, "push": True, "tags": ["r:5000/a:1"]}, "exclude each other"),
    ({"push": True}, "--push needs a tag"),
    ({"build_time": "yesterday"}, "neither RFC 3339"),
    ({"secrets": ["src=/nonexistent"]}, "has no id"),
    ({"secrets": ["id=npm,src=/nonexistent/file"]}, "does not exist"),
    ({"progress": "fancy"}, "progress"),
    ({"version": "  "}, "--version is empty"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD)
def test_bad_input(ctx: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        BuildSpec(context=ctx, **kwargs)  # type: ignore[arg-type]
    assert message in str(exc.value)


def test_missing_context_and_dockerfile(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="is not a directory"):
        BuildSpec(context=tmp_path / "nope")
    with pytest.raises(ValidationError, match="Dockerfile .* not found"):
        BuildSpec(context=tmp_path)


def test_looks_secret() -> None:
    assert looks_secret("API_KEY") and looks_secret("db_password") and looks_secret("NPM_TOKEN")
    assert not looks_secret("GO_VERSION") and not looks_secret("BUILD_TIME") and not looks_secret("KEYBOARD")


def test_parse_pairs() -> None:
    assert parse_pairs(["A=1", "B=x=y", "C="], "build arg", env={}) == {"A": "1", "B": "x=y", "C": ""}
    assert parse_pairs(["HOME"], "build arg", env={"HOME": "/h"}) == {"HOME": "/h"}
    with pytest.raises(ValueError, match="malformed build arg 'NOPE': use KEY=VALUE"):
        parse_pairs(["NOPE"], "build arg", env={})
    with pytest.raises(ValueError, match="key before '=' is empty"):
        parse_pairs(["=1"], "build arg", env={})


def test_cache_policy_parse() -> None:
    assert CachePolicy.parse("local:/tmp/c").dir == Path("/tmp/c")
    assert CachePolicy.parse("registry:localhost:5000/app:buildcache").ref == "localhost:5000/app:buildcache"
    with pytest.raises(ValueError, match="unknown cache spec 'disk'"):
        CachePolicy.parse("disk")
    with pytest.raises(ValueError, match="takes no argument"):
        CachePolicy.parse("inline:x")


def test_result_ratio() -> None:
    assert BuildResult(steps_total=8, steps_cached=6).cache_hit_ratio == 0.75
    assert BuildResult().model_dump()["cache_hit_ratio"] == 0.0


def test_a_file_for_another_frontend_is_left_to_it(tmp_path: Path) -> None:
    """With `# syntax=`, the frontend reads the file: a line buildorch's parser refuses does not block --target."""
    (tmp_path / "Dockerfile").write_text("# syntax=example.com/frontend:1\nFROM scratch AS App\nNEWINSTRUCTION x\n")
    assert BuildSpec(context=tmp_path, target="App").target == "app"
    (tmp_path / "Dockerfile").write_text("FROM scratch AS App\nNEWINSTRUCTION x\n")
    with pytest.raises(ValueError, match="line 2: unknown instruction: NEWINSTRUCTION"):
        BuildSpec(context=tmp_path, target="App")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("platforms", [""], "empty platform"),
        ("platforms", [" "], "empty platform"),
        ("platforms", ["linux/amd64,,linux/arm64"], "empty platform"),
        ("target", "", "--target is empty"),
        ("target", " ", "--target is empty"),
        ("labels", {"a": "x\ny"}, "holds a newline"),
        ("labels", {"a": "gpj\u202eexe"}, "bidirectional control U+202E"),
        ("labels", {"a\x1b": "x"}, "control character U+001B"),
        ("build_args", {"A": "x\ny"}, "pass multi-line or binary values with --secret"),
    ],
)
def test_blank_or_unprintable_input_is_refused(tmp_path: Path, field: str, value: object, message: str) -> None:
    """Not silently the default (an empty --platform or --target), nor stored in the image as is (control text)."""
    (tmp_path / "Dockerfile").write_text("FROM scratch AS builder\n")
    with pytest.raises(ValidationError, match=re.escape(message)):
        BuildSpec(context=tmp_path, **{field: value})


def test_parse_pairs_refuses_control_characters() -> None:
    with pytest.raises(ValueError, match="holds a newline"):
        parse_pairs(["A=x\ny"], "label")
    assert parse_pairs(["A=tab\there"], "label") == {"A": "tab\there"}
