"""Several --image, the verify modes, the version check and secrets: the spec, the plan and the dry-run text."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from buildorch.engine.git import GitState
from buildorch.releases.models import ReleaseResult, ReleaseSpec
from buildorch.releases.plan import plan_release
from buildorch.releases.report import plan_lines, summary_lines

GIT = GitState(repo=True, revision="0123456789abcdef", dirty_files=[], remote=None)


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS runtime\n")
    return tmp_path


def spec(ctx: Path, **kw: object) -> ReleaseSpec:
    return ReleaseSpec(version="1.0.0", image="127.0.0.1:5001/t/app", context=ctx, build_time="0", **kw)  # type: ignore[arg-type]


def test_several_destinations_are_tagged_alike(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_TOKEN", "x")
    s = spec(ctx, images=["127.0.0.1:5002/t/app"], secrets=["id=npm,env=NPM_TOKEN"])
    plan = plan_release(s, existing_tags=[], push_method="upload", git=GIT)
    assert s.destinations == ["127.0.0.1:5001/t/app", "127.0.0.1:5002/t/app"]
    assert plan.references_of("127.0.0.1:5002/t/app")[0] == "127.0.0.1:5002/t/app:1.0.0"
    assert len(plan.references) == 2 * len(plan.tags)
    assert plan.build.secrets == ["id=npm,env=NPM_TOKEN"]
    text = "\n".join(plan_lines(plan, ["docker buildx build ..."]))
    assert "then push the same index to 127.0.0.1:5002/t/app by digest" in text
    assert "-t 127.0.0.1:5002/t/app:1.0.0" in text and "127.0.0.1:5002/t/app@<index digest>" in text
    assert plan.report()["images"] == s.destinations


def test_verify_run_runs_the_command_without_a_version_check(ctx: Path) -> None:
    s = spec(ctx, verify="run", run_command=["/tool", "--help"], expect_output="^usage")
    assert s.version_command == []
    steps = plan_release(s, existing_tags=[], push_method="upload", git=GIT).verification_steps()
    assert "run `/tool --help`: exit 0, output matches /^usage/" in steps[1] and "-version" not in steps[1]
    assert spec(ctx, verify="run", run_command=["/tool"], version_args=["--version"]).version_command == [
        "--version"
    ]


def test_verify_none_and_http_defaults(ctx: Path) -> None:
    assert spec(ctx).version_command == ["-version"]
    assert spec(ctx, version_args=[]).version_command == []
    steps = plan_release(spec(ctx, verify="none"), existing_tags=[], push_method="upload", git=GIT).verification_steps()
    assert steps[-1] == "--verify none: no platform is run (the report says so)"


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"verify": "run"}, "--verify run needs the command after --"),
        ({"run_command": ["/tool"]}, "go with --verify run"),
        ({"verify": "run", "run_command": ["/t"], "expect_output": "("}, "is not a regular expression"),
        ({"images": ["127.0.0.1:5001/t/app"]}, "an --image is given twice"),
        ({"images": ["127.0.0.1:5002/t/app:1.0"]}, "carries a tag"),
        ({"verify": "smoke"}, "verify"),
    ],
)
def test_bad_combinations_are_refused(ctx: Path, kw: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        spec(ctx, **kw)


def test_summary_names_every_destination_and_verify_none() -> None:
    r = ReleaseResult(image="r1/a", images=["r1/a", "r2/a"], version="1.0.0", tags=["1.0.0"],
                      warnings=["--verify none: the images were not run before tagging"])
    lines = summary_lines(r)
    assert "  also in: r2/a (same index, same tags)" in lines
    assert "  warning: --verify none: the images were not run before tagging" in lines
