"""doctor's parsers against real output recorded on the stack (tests/data)."""

import json

from buildorch.diagnosis import containerd_store, parse_buildx_inspect, parse_buildx_ls, version_tuple
from tests.recorded import DATA


def test_parse_buildx_inspect() -> None:
    b = parse_buildx_inspect((DATA / "buildx_inspect.txt").read_text())
    assert (b.name, b.driver) == ("default", "docker")
    assert len(b.nodes) == 1 and b.nodes[0].status == "running"
    assert "linux/arm64" in b.platforms and "linux/amd64" in b.platforms


def test_parse_buildx_ls_dedupes_the_default_builder() -> None:
    docs = [json.loads(line) for line in (DATA / "buildx_ls.json").read_text().splitlines() if line.strip()]
    assert len(docs) == 2  # buildx 0.13.1 really prints it twice
    builders = parse_buildx_ls(docs)
    assert [b.name for b in builders] == ["default"]
    assert builders[0].nodes[0].platforms[-1] == "linux/arm64"


def test_containerd_store_from_docker_info() -> None:
    info = json.loads((DATA / "docker_info.json").read_text())
    assert containerd_store(info) is True
    assert containerd_store({"DriverStatus": [["Backing Filesystem", "extfs"]]}) is False


def test_version_tuple() -> None:
    assert version_tuple("github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3") == (0, 13, 1)
    assert version_tuple("github.com/docker/buildx v0.19.2 1b1b") == (0, 19, 2)
    assert version_tuple("nothing here") == ()
