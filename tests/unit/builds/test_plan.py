import shlex
from pathlib import Path

import pytest

from buildorch.builds.plan import plan_build
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core.errors import InputError


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    app = tmp_path / "app"
    app.mkdir()
    (app / "Dockerfile").write_text("FROM scratch AS builder\nFROM scratch AS runtime\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return app


def argv_of(spec: BuildSpec, **kw: bool) -> list[str]:
    plan = plan_build(spec, metadata_dir=Path("/m"), **kw)
    assert len(plan.invocations) == 1
    return plan.invocations[0].argv


def test_version_args_are_always_passed(ctx: Path) -> None:
    plan = plan_build(BuildSpec(context=ctx, version="1.2.3", cache=CachePolicy(kind="none")))
    assert plan.build_args == {
        "VERSION": "1.2.3",
        "BUILD_TIME": "2023-11-14T22:13:20Z",
        "SOURCE_DATE_EPOCH": "1700000000",
    }


def test_explicit_build_arg_wins(ctx: Path) -> None:
    plan = plan_build(BuildSpec(context=ctx, version="1", build_args={"VERSION": "2"}))
    assert plan.build_args["VERSION"] == "2"


def test_full_command_line(ctx: Path) -> None:
    spec = BuildSpec(
        context=ctx,
        target="builder",
        platforms=["linux/amd64", "linux/arm64"],
        tags=["localhost:5000/app:t"],
        version="1.2.3",
        push=True,
        labels={"a": "b"},
        cache=CachePolicy(kind="none"),
    )
    argv = argv_of(spec)
    line = shlex.join(argv)
    assert argv[:2] == ["buildx", "build"]
    assert "--target builder --platform linux/amd64,linux/arm64 --tag localhost:5000/app:t" in line
    assert "--build-arg VERSION=1.2.3" in line and "--label a=b" in line
    assert "--push" in argv and "--load" not in argv
    assert argv[-1] == str(ctx)
    assert "--progress rawjson --metadata-file" in line


def test_default_output_and_tag(ctx: Path) -> None:
    plan = plan_build(BuildSpec(context=ctx, version="1.2.3", target="builder"))
    assert plan.output == "load" and plan.tags == ["app-builder:1.2.3"]
    plan = plan_build(BuildSpec(context=ctx, version="1.2.3", target="runtime"))
    assert plan.tags == ["app:1.2.3"]


def test_several_platforms_without_containerd_store(ctx: Path) -> None:
    spec = BuildSpec(context=ctx, platforms=["linux/amd64", "linux/arm64"], load=True)
    with pytest.raises(InputError) as exc:
        plan_build(spec, containerd_store=False)
    assert "containerd image store" in exc.value.message and "--load-per-platform" in (exc.value.hint or "")
    plan = plan_build(BuildSpec(context=ctx, platforms=["linux/amd64", "linux/arm64"]), containerd_store=False)
    assert plan.output == "cache-only" and plan.warnings


def test_load_per_platform(ctx: Path) -> None:
    spec = BuildSpec(context=ctx, platforms=["linux/amd64", "linux/arm64"], version="1.2.3", load_per_platform=True)
    plan = plan_build(spec, containerd_store=False)
    assert [inv.tags for inv in plan.invocations] == [["app:1.2.3-amd64"], ["app:1.2.3-arm64"]]
    assert [inv.platforms for inv in plan.invocations] == [["linux/amd64"], ["linux/arm64"]]


def test_auto_cache_is_local_per_target(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUILDORCH_CACHE_DIR")
    argv = argv_of(BuildSpec(context=ctx, target="builder"))
    to = argv[argv.index("--cache-to") + 1]
    assert to.startswith("type=local,dest=.buildorch/cache/app-builder.new-") and to.endswith(",mode=min")
    assert "--cache-from" not in argv  # nothing to import yet


def test_auto_cache_when_pushing_is_the_registry(ctx: Path) -> None:
    argv = argv_of(BuildSpec(context=ctx, push=True, tags=["localhost:5000/app:1"]))
    assert argv[argv.index("--cache-from") + 1] == "type=registry,ref=localhost:5000/app:buildcache"
    assert argv[argv.index("--cache-to") + 1] == (
        "type=registry,ref=localhost:5000/app:buildcache,mode=max,image-manifest=true,oci-mediatypes=true"
    )


def test_a_stage_name_that_is_no_image_name_gives_a_valid_default_tag_and_says_so(tmp_path: Path) -> None:
    ctx = tmp_path / "My App"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch AS a..b\nFROM scratch AS x_\nFROM scratch AS runtime\n")
    plan = plan_build(BuildSpec(context=ctx, version="1.0.0", target="a..b", cache=CachePolicy(kind="none")))
    assert plan.tags == ["my-app-a-b:1.0.0"]
    assert plan.warnings == [
        "default tag my-app-a-b:1.0.0: the directory name 'My App' and the stage name 'a..b' cannot be part "
        "of an image name as written; pass -t NAME:TAG to choose the tag"
    ]
    plan = plan_build(BuildSpec(context=ctx, version="1.0.0", target="X_", cache=CachePolicy(kind="none")))
    assert plan.tags == ["my-app-x:1.0.0"]


def test_the_default_tag_follows_the_last_stage_as_buildkit_reads_it(ctx: Path) -> None:
    """A heredoc holding `FROM x AS injected` after the last stage does not make another last stage."""
    (ctx / "Dockerfile").write_text("FROM scratch AS builder\nFROM scratch AS app\nRUN <<EOF\nFROM x AS injected\nEOF\n")
    plan = plan_build(BuildSpec(context=ctx, version="1.2.3", target="app", cache=CachePolicy(kind="none")))
    assert plan.tags == ["app:1.2.3"]
