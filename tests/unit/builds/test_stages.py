"""``buildorch stages`` and the check of --target: BuildKit's answer when it can be asked, else the parser's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from buildorch.builds import frontend, stages
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx

TEXT = """\
ARG GO=1.26
FROM --platform=$BUILDPLATFORM golang:${GO} AS builder
ARG TARGETOS TARGETARCH VERSION=dev
RUN <<EOF
FROM x AS injected
EOF
FROM scratch AS runtime
"""
BUILDKIT = {"targets": [
    {"name": "builder", "base": "golang:${GO}", "platform": "$BUILDPLATFORM", "location": {"ranges": [{"start": {"line": 2}}]}},
    {"name": "runtime", "base": "scratch", "default": True, "description": "the image"},
]}


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(TEXT)
    return tmp_path


def answer(monkeypatch: pytest.MonkeyPatch, result: Any) -> list[tuple[str, str | None, str | None]]:
    """BuildKit's answer to the targets request, faked; the calls made are returned."""
    calls = []

    def fake(context: str, dockerfile: str | None = None, builder: str | None = None) -> Any:
        calls.append((context, dockerfile, builder))
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr(buildx, "dockerfile_targets", fake)
    monkeypatch.setattr(buildx, "image_inspect", lambda ref: None)
    return calls


def test_local_reading(ctx: Path) -> None:
    report = stages.list_stages(ctx, local=True)
    assert report.read_by == "buildorch" and report.names == ["builder", "runtime"]
    assert report.stages[0].args == {"TARGETOS": None, "TARGETARCH": None, "VERSION": "dev"}
    assert report.global_args == {"GO": "1.26"} and report.default == 1 and report.warnings == []


def test_buildkit_answers_and_the_parser_adds_the_args(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = answer(monkeypatch, BUILDKIT)
    report = stages.list_stages(ctx, builder="farm")
    assert calls == [(str(ctx), None, "farm")]
    assert report.read_by == "buildkit" and report.names == ["builder", "runtime"]
    assert report.stages[0].platform == "$BUILDPLATFORM" and report.stages[0].line == 2
    assert report.stages[0].args["VERSION"] == "dev" and report.stages[1].description == "the image"
    assert report.warnings == []


def test_a_disagreement_is_reported_and_buildkit_wins(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, last = BUILDKIT["targets"]
    answer(monkeypatch, {"targets": [first, {**last, "default": False}, {"name": "injected", "base": "x", "default": True}]})
    report = stages.list_stages(ctx)
    assert report.names == ["builder", "runtime", "injected"] and report.default == 2
    assert "buildorch's parser reads other stages than BuildKit (builder, runtime)" in report.warnings[0]


def test_without_an_engine_the_parser_answers_and_says_why(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer(monkeypatch, EngineError("the Docker engine is not reachable"))
    report = stages.list_stages(ctx)
    assert report.read_by == "buildorch"
    assert report.warnings == ["read by buildorch's parser: BuildKit cannot be asked (the Docker engine is not reachable)"]


def test_a_file_buildkit_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS 1st\n")
    answer(monkeypatch, BuildorchError("BuildKit's list of stages failed: ERROR: dockerfile parse error on line 1: invalid name"))
    with pytest.raises(InputError) as exc:
        stages.list_stages(tmp_path)
    assert exc.value.message == f"BuildKit refused {tmp_path}/Dockerfile: dockerfile parse error on line 1: invalid name"
    with pytest.raises(InputError, match="line 1: invalid name for build stage: '1st'"):
        stages.list_stages(tmp_path, local=True)


def test_a_syntax_frontend_that_is_not_here_is_not_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "Dockerfile").write_text("# syntax=docker/dockerfile:1\nFROM scratch AS a\n")
    calls = answer(monkeypatch, BUILDKIT)
    monkeypatch.setattr(frontend, "mirrors", lambda: [])
    report = stages.list_stages(tmp_path)
    assert calls == [] and report.read_by == "buildorch" and report.syntax == "docker/dockerfile:1"
    assert "'# syntax=docker/dockerfile:1' makes BuildKit pull the frontend image" in report.warnings[0]


def test_confirm_target_uses_buildkits_names(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answer(monkeypatch, BUILDKIT)
    stages.confirm_target(ctx, None, "Runtime", None)
    with pytest.raises(InputError) as exc:
        stages.confirm_target(ctx, None, "injected", None)
    assert exc.value.message == f"stage 'injected' not found in {ctx}/Dockerfile by BuildKit; its stages are: builder, runtime"
    answer(monkeypatch, None)  # a buildx that cannot ask: the build goes on, and BuildKit will say
    stages.confirm_target(ctx, None, "injected", None)


@pytest.mark.parametrize(
    ("local", "mirror_has_it", "warned"),
    [(True, False, False), (False, True, False), (False, False, True)],
)
def test_frontend_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, local: bool, mirror_has_it: bool, warned: bool
) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text("#!/usr/bin/env buildkit\n# syntax = docker/dockerfile:1.7 extra\nFROM scratch\n")
    monkeypatch.setattr(buildx, "image_inspect", lambda ref: {"Id": "x"} if local else None)
    monkeypatch.setattr(frontend, "mirrors", lambda: ["https://mirror.example"])
    seen: list[tuple[str, str]] = []

    def has_manifest(mirror: str, ref: str) -> bool:
        seen.append((mirror, ref))
        return mirror_has_it

    from buildorch.engine import registry

    monkeypatch.setattr(registry, "has_manifest", has_manifest)
    warning = frontend.frontend_warning(path)
    assert (warning is not None) == warned
    if warning is not None:
        assert warning.startswith(f"{path} line 2: '# syntax=docker/dockerfile:1.7' makes BuildKit pull")
        assert "not in the local image store or the registry mirrors (https://mirror.example)" in warning
    if not local:
        assert seen == [("https://mirror.example", "docker/dockerfile:1.7")]


def test_no_syntax_line_runs_nothing(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_docker(ref: str) -> None:
        pytest.fail("no docker call without a # syntax= line")

    monkeypatch.setattr(buildx, "image_inspect", no_docker)
    assert frontend.frontend_warning(ctx / "Dockerfile") is None
