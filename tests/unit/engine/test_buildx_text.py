"""The parsers of what docker and buildx print, against real output recorded on the stack (tests/data)."""

import json

from buildorch.engine.buildx_text import (
    containerd_store,
    parse_buildx_inspect,
    parse_buildx_ls,
    parse_du_verbose,
    version_tuple,
)
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


def test_parse_du_verbose_recorded() -> None:
    usage = parse_du_verbose((DATA / "buildx_du_verbose.txt").read_text())
    assert len(usage.records) == 119
    assert usage.total_bytes == 3_031_000_000 and usage.reclaimable_bytes == 2_319_000_000
    first = usage.records[0]
    assert first.description == "[linux/amd64 1/2] ADD rootfs-amd64.tar /"
    assert first.size_bytes == 694_100_000 and first.reclaimable is False and first.last_used_seconds_ago == 360
