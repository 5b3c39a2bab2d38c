"""The commands that read a Dockerfile, through the CLI: build --dry-run, debug, stages (no engine needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from buildorch.cli.app import main
from buildorch.engine import buildx

INJECTED = """\
FROM scratch AS builder
FROM scratch AS app
RUN <<EOF
FROM x AS injected
EOF
"""


@pytest.fixture
def ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "Dockerfile").write_text(INJECTED)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")

    def no_engine(*args: object, **kwargs: object) -> None:
        pytest.fail("no docker command should run here")

    monkeypatch.setattr(buildx, "run", no_engine)
    return tmp_path


def test_a_target_only_in_a_heredoc_is_refused_with_the_real_stages(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(ctx), "--target", "injected", "--dry-run", "--cache", "none"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: stage 'injected' not found in {ctx}/Dockerfile; its stages are: builder, app\n"


def test_the_real_last_stage_gives_the_default_tag(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(ctx), "--target", "APP", "--dry-run", "--cache", "none", "--version", "1.0.0"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"--target app --tag {ctx.name.lower()}:1.0.0 " in out.splitlines()[0]


def test_debug_checks_the_target_before_creating_anything(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = ctx / "out" / "rootfs"
    code = main(["debug", str(ctx), "--target", "injected", "--export", str(export)])
    err = capsys.readouterr().err
    assert code == 2
    assert err == f"error: stage 'injected' not found in {ctx}/Dockerfile; its stages are: builder, app\n"
    assert not (ctx / "out").exists()


def test_debug_of_a_stage_whose_name_is_no_image_name_gets_past_validation(
    ctx: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (ctx / "Dockerfile").write_text("FROM scratch AS a..b\nFROM scratch AS runtime\n")
    seen = []
    import buildorch.inspect.debug

    def debug_stage(spec: object, command: list[str], **kwargs: object) -> None:
        seen.append(spec)
        raise SystemExit(0)

    monkeypatch.setattr(buildorch.inspect.debug, "debug_stage", debug_stage)
    with pytest.raises(SystemExit):
        main(["debug", str(ctx), "--target", "A..B", "--", "ls"])
    (spec,) = seen
    assert spec.target == "a..b"  # type: ignore[attr-defined]
    assert spec.tags[0].startswith(f"buildorch-debug/{ctx.name.lower()}-a-b:")  # type: ignore[attr-defined]


def test_stages_local(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stages", str(ctx), "--local"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{ctx}/Dockerfile: 2 stages, read by buildorch's parser",
        "  #  STAGE    BASE     PLATFORM  LINE  ARGS",
        "  0  builder  scratch            1",
        "  1  app      scratch            2",
        "default: app (the last stage)",
    ]


def test_stages_of_a_refused_file_is_one_line(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ctx / "Dockerfile").write_text("FROM scratch AS my/stage\n")
    assert main(["stages", str(ctx), "--local"]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {ctx}/Dockerfile line 1: invalid name for build stage: 'my/stage', "
                   "name can't start with a number or contain symbols\n")


def test_a_duplicate_stage_name_is_warned_about_before_the_build(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ctx / "Dockerfile").write_text("FROM scratch AS x\nFROM scratch AS X\nFROM scratch AS final\n")
    assert main(["build", str(ctx), "--target", "x", "--dry-run", "--cache", "none"]) == 0
    assert capsys.readouterr().err.splitlines()[0] == (
        f"warning: {ctx}/Dockerfile line 2: duplicate stage name 'x' (first on line 1); "
        "--target builds the last stage of that name, as BuildKit does"
    )
