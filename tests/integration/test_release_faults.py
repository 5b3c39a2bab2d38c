"""Every class of registry failure at every step of a release ends with a documented exit code and one error line.

The release goes through tests/integration/fault_proxy.py, in front of the stack's open
registry, which fails one kind of request with one kind of error: 401, 403, 404, 500, a
dropped connection, or no answer (the client's timeout is cut to 1.5 s). The steps are
told apart by request (all of them are buildorch's own registry client's, User-Agent
``buildorch``: the tags too are moved by it). Exit codes are the README's table: 4 for a
registry failure; a 404 on the tag list is a new repository, not a failure.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.integration.fault_proxy import TAG_PUT, Rule, fault_proxy
from tests.integration.helpers import free_port
from tests.integration.release_helpers import cli, tool_repo

pytestmark = pytest.mark.integration

KINDS = ["401", "403", "404", "500", "drop", "hang"]
# step -> (method, path pattern); every step is a request of buildorch's own client (User-Agent buildorch)
STEPS = {
    "tags": ("GET", r"^/v2/.+/tags/list$"),  # before the build: the tags, the push check
    "push": ("PUT", r"^/v2/.+/manifests/sha256:"),  # the upload by digest
    "read": ("GET", r"^/v2/.+/manifests/sha256:"),  # reading back what was pushed
    "tag": ("PUT", TAG_PUT),  # moving the tags
}


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_repo(tmp_path_factory.mktemp("fault-tool") / "tool")


def _one_error(stderr: str) -> str:
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-3000:]
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, stderr[-3000:]
    return errors[0]


def _release(tool: Path, image: str, out: Path) -> tuple[int, str]:
    r = cli("release", "--version", "1.0.0", "--image", image, "--platform", "linux/amd64", "--verify", "run",
            "--push-attempts", "1", "--retry-delay", "0.1", "--progress", "quiet", "--output-dir", str(out), str(tool),
            "--", "/tool", "--help", env={"BUILDORCH_REGISTRY_TIMEOUT": "1.5"})
    return r.returncode, r.stderr


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", list(STEPS))
def test_registry_failure(step: str, kind: str, tool: Path, tmp_path: Path) -> None:
    method, pattern = STEPS[step]
    rule = Rule("status", method, pattern, "^buildorch", status=int(kind)) if kind.isdigit() else \
        Rule(kind, method, pattern, "^buildorch", delay=4.0)
    port = free_port()
    with fault_proxy(port, [rule]) as proxy:
        code, stderr = _release(tool, f"127.0.0.1:{port}/fault-{uuid.uuid4().hex[:8]}/tool", tmp_path / "out")
    if step == "tags" and kind == "404":
        assert code == 0, stderr[-3000:]  # no tag list: a repository's first release
        return
    assert proxy.faults, f"the {step} step never ran into the fault"
    assert code == 4, f"{step}/{kind}: exit {code}\n{stderr[-3000:]}"
    line = _one_error(stderr)
    if kind in ("401", "403"):  # the tags too are moved by buildorch's client, which names the login
        assert f"buildorch login 127.0.0.1:{port}" in stderr, line


def test_connection_refused(tool: Path, tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    code, stderr = _release(tool, f"127.0.0.1:{port}/fault/tool", tmp_path / "out")
    assert code == 4, stderr
    assert "does not answer" in _one_error(stderr) and "Connection refused" in stderr


def test_tags_move_on_every_image_or_none(tool: Path, tmp_path: Path) -> None:
    """Two --image; the second registry refuses tag writes: the tags already moved in the first are put back."""
    from buildorch.engine.registry import Client

    first = f"localhost:5000/fault-{uuid.uuid4().hex[:8]}/tool"
    r = cli("release", "--version", "1.0.0", "--image", first, "--platform", "linux/amd64", "--verify", "none",
            "--progress", "quiet", "--output-dir", str(tmp_path / "1.0.0"), str(tool))
    assert r.returncode == 0, r.stderr[-3000:]
    client = Client(first)
    before = {t: client.digest_of(t) for t in ("1.0.0", "1.0", "1", "latest")}
    port = free_port()
    second = f"127.0.0.1:{port}/fault-{uuid.uuid4().hex[:8]}/tool"
    with fault_proxy(port, [Rule("status", "PUT", TAG_PUT, status=503)]):
        r = cli("release", "--version", "1.0.1", "--image", first, "--image", second, "--platform", "linux/amd64",
                "--verify", "none", "--push-attempts", "2", "--retry-delay", "0.1", "--progress", "quiet",
                "--output-dir", str(tmp_path / "1.0.1"), str(tool))
    assert r.returncode == 4, r.stderr[-3000:]
    assert f"error: tagging {second} failed after 2 attempts" in _one_error(r.stderr)
    assert {t: client.digest_of(t) for t in before} == before  # the floating tags are back on 1.0.0
    assert f"{first}:1.0: moved back to {before['1.0']}" in r.stderr
    assert f"{first}:1.0.1: created and cannot be removed" in r.stderr  # said, not hidden
