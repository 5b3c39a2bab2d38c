"""``buildorch release --bake GROUP`` against the real stack: each target of a group released as its own image."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from buildorch.engine.registry import Client
from tests.integration.release_helpers import TOOL_DOCKERFILE, TOOL_MAIN, cli, git_repo

pytestmark = pytest.mark.integration


BAKE_FILE = """variable "VERSION" {{ default = "0.0.0" }}
group "release" {{ targets = ["tool", "tool-extra"] }}
target "tool" {{
  context = "{ctx}"
  dockerfile = "Dockerfile"
  target = "runtime"
  platforms = ["linux/amd64"]
}}
target "tool-extra" {{
  inherits = ["tool"]
  target = "extra"
}}
"""
EXTRA_STAGE = """
FROM scratch AS extra
COPY --from=build /tool /tool
COPY main.go /src/main.go
ENTRYPOINT ["/tool"]
"""


def test_release_bake_group_releases_each_target(tmp_path: Path) -> None:
    """release --bake: two targets, each its own image, tagged after both were verified; one release.json."""
    repo = git_repo(tmp_path / "bake", {"main.go": TOOL_MAIN, "Dockerfile": TOOL_DOCKERFILE + EXTRA_STAGE})
    (tmp_path / "docker-bake.hcl").write_text(BAKE_FILE.format(ctx=repo))
    prefix = f"localhost:5000/bake-{uuid.uuid4().hex[:8]}"
    r = cli("release", "--version", "2.0.0", "--bake", "release", "--bake-file", str(tmp_path / "docker-bake.hcl"),
            "--image", prefix, "--verify", "run", "--progress", "quiet", "--output-dir", str(tmp_path / "out"),
            "--json", "--", "/tool", "--help")
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    assert result["status"] == "released" and set(result["targets"]) == {"tool", "tool-extra"}
    digests = {}
    for name, target in result["targets"].items():
        assert target["image"] == f"{prefix}/{name}" and target["verification"]["ok"]
        digests[name] = Client(target["image"]).digest_of("2.0.0")
        assert digests[name] == target["index_digest"]
    assert digests["tool"] != digests["tool-extra"]
    saved = json.loads((tmp_path / "out" / "release.json").read_text())
    assert set(saved["targets"]) == {"tool", "tool-extra"} and saved["group"] == "release"
