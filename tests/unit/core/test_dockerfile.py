from pathlib import Path

import pytest

from buildorch.core import dockerfile
from tests.recorded import ROOT

TEXT = """\
ARG GO_VERSION=1.26
# FROM commented AS nope
FROM --platform=$BUILDPLATFORM golang:${GO_VERSION}-bookworm AS Builder
RUN echo \\
  FROM fake AS continued
FROM builder as test
FROM scratch AS runtime
FROM runtime
"""


def test_parse_stages() -> None:
    stages = dockerfile.parse_stages(TEXT)
    assert [s.name for s in stages] == ["builder", "test", "runtime", None]
    assert stages[0].platform == "$BUILDPLATFORM"
    assert stages[0].base == "golang:${GO_VERSION}-bookworm"


def test_check_target_lists_the_stages() -> None:
    stages = dockerfile.parse_stages(TEXT)
    assert dockerfile.check_target(stages, "TEST", Path("Dockerfile")) == "test"
    with pytest.raises(ValueError) as exc:
        dockerfile.check_target(stages, "buidler", Path("app/Dockerfile"))
    msg = str(exc.value)
    assert "stage 'buidler' not found in app/Dockerfile" in msg
    assert "did you mean 'builder'" in msg
    assert "builder, test, runtime" in msg


def test_the_app_dockerfile_has_the_workshop_stages() -> None:
    root = ROOT
    names = [s.name for s in dockerfile.read_stages(root / "app" / "Dockerfile")]
    assert names[-1] == "runtime"
    assert {"builder", "test", "runtime"} <= set(names)
