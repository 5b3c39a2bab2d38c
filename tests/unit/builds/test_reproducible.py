from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.builds import reproducible
from buildorch.builds.plan import plan_build
from buildorch.builds.spec import BuildSpec, CachePolicy


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM scratch\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return app


def spec(ctx: Path, **kw: object) -> BuildSpec:
    return BuildSpec(context=ctx, version="1.0.0", cache=CachePolicy(kind="none"), tags=["127.0.0.1:5000/x:1"], **kw)


def test_push_on_docker_container_rewrites_timestamps(ctx: Path) -> None:
    plan = plan_build(spec(ctx, push=True), driver="docker-container")
    argv = plan.invocations[0].argv
    assert "--push" not in argv
    assert argv[argv.index("--output") + 1] == "type=image,push=true,rewrite-timestamp=true"
    assert reproducible.NOT_REPRODUCIBLE not in plan.warnings


def test_push_on_docker_driver_warns_once_and_keeps_push(ctx: Path) -> None:
    plan = plan_build(spec(ctx, push=True), driver="docker")
    assert "--push" in plan.invocations[0].argv
    assert "rewrite-timestamp" not in " ".join(plan.invocations[0].argv)
    assert plan.warnings.count(reproducible.NOT_REPRODUCIBLE) == 1


def test_unknown_driver_changes_nothing(ctx: Path) -> None:
    plan = plan_build(spec(ctx, push=True))
    assert "--push" in plan.invocations[0].argv and not plan.warnings


def test_oci_output_gets_the_option_local_does_not(ctx: Path) -> None:
    oci = plan_build(spec(ctx, output="type=oci,dest=/tmp/x.tar"), driver="remote").invocations[0].argv
    assert "type=oci,dest=/tmp/x.tar,rewrite-timestamp=true" in oci
    local = plan_build(spec(ctx, output="type=local,dest=/tmp/x"), driver="remote").invocations[0].argv
    assert "type=local,dest=/tmp/x" in local


@pytest.mark.parametrize(
    ("given_", "want"),
    [
        ("type=image,push=true", "type=image,push=true,rewrite-timestamp=true"),
        ("type=registry", "type=registry,rewrite-timestamp=true"),
        ("type=image,rewrite-timestamp=false", "type=image,rewrite-timestamp=false"),  # the user's choice stays
        ("type=tar,dest=x", "type=tar,dest=x"),
        ("type=docker,dest=x.tar", "type=docker,dest=x.tar,rewrite-timestamp=true"),
    ],
)
def test_with_rewrite(given_: str, want: str) -> None:
    assert reproducible.with_rewrite(given_) == want


@given(st.text())
def test_with_rewrite_never_removes_a_field(text: str) -> None:
    out = reproducible.with_rewrite(text)
    assert out == text or out.endswith(",rewrite-timestamp=true") or out == "rewrite-timestamp=true"
    assert out.count("rewrite-timestamp") <= max(1, text.count("rewrite-timestamp"))


def test_oci_on_the_docker_driver_is_rewritten_image_is_not(ctx: Path) -> None:
    oci = plan_build(spec(ctx, output="type=oci,dest=o"), driver="docker")
    assert "type=oci,dest=o,rewrite-timestamp=true" in oci.invocations[0].argv and not oci.warnings
    img = plan_build(spec(ctx, output="type=image,push=true"), driver="docker")
    assert "type=image,push=true" in img.invocations[0].argv and img.warnings == [reproducible.NOT_REPRODUCIBLE]
