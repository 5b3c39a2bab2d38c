"""Properties of the Dockerfile parser over generated files (hypothesis); BuildKit's own answers are
checked in tests/integration/test_dockerfile_buildkit.py and against the recorded corpus."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildorch.core import dockerfile
from buildorch.core.dockerfile_syntax import BUILDKIT_0_13, CURRENT
from tests.dockerfiles import Drawn, any_dockerfiles, valid_dockerfiles

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(valid_dockerfiles())
def test_the_stages_are_the_from_lines_and_nothing_in_heredocs_or_comments(drawn: Drawn) -> None:
    for dialect in (CURRENT, BUILDKIT_0_13):
        assert [s.name for s in dockerfile.parse(drawn.text, dialect).stages] == drawn.names


@FAST
@given(valid_dockerfiles())
def test_line_endings_and_a_bom_change_nothing(drawn: Drawn) -> None:
    plain = drawn.text.removeprefix("\ufeff").replace("\r\n", "\n")
    names = [s.name for s in dockerfile.parse(plain).stages]
    assert [s.name for s in dockerfile.parse(plain.replace("\n", "\r\n")).stages] == names
    assert [s.name for s in dockerfile.parse("\ufeff" + plain).stages] == names


@FAST
@given(any_dockerfiles())
def test_a_file_is_read_or_refused_with_a_dockerfile_error(drawn: Drawn) -> None:
    for dialect in (CURRENT, BUILDKIT_0_13):
        try:
            parsed = dockerfile.parse(drawn.text, dialect)
        except dockerfile.DockerfileError as exc:
            assert exc.line is None or exc.line >= 1
        else:
            assert len(parsed.stages) == len(drawn.names)  # a FROM line is a stage, or the file is refused


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("FROMASRUN <-'\"`\\#=\n\r\t\ufeffEOF[]{}$x1")), max_size=200))
def test_any_text_is_read_or_refused_never_crashes(text: str) -> None:
    with contextlib.suppress(dockerfile.DockerfileError):
        dockerfile.parse(text)


@FAST
@given(valid_dockerfiles(), st.integers(0, 10))
def test_a_heredoc_hides_any_from_line(drawn: Drawn, n: int) -> None:
    """However many FROM lines a RUN heredoc holds, the stages stay those of the file."""
    text = drawn.text.removeprefix("\ufeff").replace("\r\n", "\n")
    if text.startswith("# escape"):
        return
    body = "".join(f"FROM x AS injected{i}\n" for i in range(n))
    text = text + f"RUN <<EOF\n{body}EOF\n"
    assert [s.name for s in dockerfile.parse(text).stages] == drawn.names


@FAST
@given(valid_dockerfiles())
def test_target_validation_accepts_each_named_stage_whatever_its_case(drawn: Drawn) -> None:
    stages = dockerfile.parse(drawn.text).stages
    for name in filter(None, drawn.names):
        assert dockerfile.check_target(stages, name.upper(), dockerfile.Path("Dockerfile")) == name
