"""buildorch's Dockerfile parser against the engine's BuildKit, on files hypothesis writes (issue 21).

Each generated file goes to BuildKit's targets request (what ``buildorch stages`` asks) and to
the parser with the dialect of the engine's BuildKit: both refuse it, or both read the same
stage names in the same order. Few examples (each asks BuildKit once, 0.2 s); the recorded
corpus (tests/data/dockerfiles/) is the larger check, in the unit tests.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from buildorch.core import dockerfile
from buildorch.core.dockerfile_syntax import BUILDKIT_0_13, CURRENT, Dialect
from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx
from tests.dockerfiles import Drawn, any_dockerfiles
from tests.integration.helpers import buildorch, buildorch_json, docker

pytestmark = pytest.mark.integration


def engine_dialect() -> Dialect:
    """Docker Engine 26.1 carries BuildKit 0.13; later engines read as current BuildKit does."""
    version = docker("version", "--format", "{{.Server.Version}}").strip()
    return BUILDKIT_0_13 if int(version.split(".")[0]) <= 26 else CURRENT


def buildkit_names(text: str) -> list[str | None] | str:
    """BuildKit's stage names for ``text``, or its error message."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Dockerfile"
        path.write_bytes(text.encode("utf-8"))
        try:
            doc = buildx.dockerfile_targets(tmp)
        except BuildorchError as exc:
            return exc.message
    assert doc is not None, "this buildx cannot ask BuildKit for targets"
    return [t.get("name") or None for t in doc["targets"]]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(any_dockerfiles())
def test_generated_dockerfiles_read_as_buildkit_reads_them(drawn: Drawn) -> None:
    theirs = buildkit_names(drawn.text)
    try:
        mine: list[str | None] | str = [s.name for s in dockerfile.parse(drawn.text, engine_dialect()).stages]
    except dockerfile.DockerfileError as exc:
        mine = str(exc)
    if isinstance(theirs, str):
        assert isinstance(mine, str), f"BuildKit refused it ({theirs}); the parser read {mine}:\n{drawn.text}"
    else:
        assert mine == theirs, f"\n{drawn.text}"


def test_stages_of_the_app_lists_bases_as_buildkit_reads_them() -> None:
    report = buildorch_json("stages", "app")
    assert report["read_by"] == "buildkit"
    assert [(s["name"], s["base"]) for s in report["stages"]] == [
        ("builder", "golang:${GO_VERSION}-bookworm"), ("test", "builder"), ("runtime", "scratch")
    ]
    assert report["stages"][0]["platform"] == "$BUILDPLATFORM" and "VERSION" in report["stages"][0]["args"]
    text = buildorch("stages", "app").stdout
    assert text.splitlines()[0] == "app/Dockerfile: 3 stages, read by BuildKit"


def test_a_target_checked_by_buildkit_builds(tmp_path: Path) -> None:
    """A real build of a heredoc stage with --target: BuildKit's list is asked first, then the build runs."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch AS files\nCOPY <<EOF /from-heredoc\nFROM x AS injected\nEOF\n"
                                    "FROM files AS last\n")
    out = tmp_path / "out"
    r = buildorch("build", str(ctx), "--target", "files", "--output", f"type=local,dest={out}", "--cache", "none",
                  "--version", "1.0.0", "--progress", "quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    assert (out / "from-heredoc").read_text() == "FROM x AS injected\n"
    r = buildorch("build", str(ctx), "--target", "injected", "--output", f"type=local,dest={out}")
    assert r.returncode == 2 and "its stages are: files, last" in r.stderr
