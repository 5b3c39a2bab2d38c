import os
import time
from pathlib import Path

import pytest

from buildorch.builds import cache_usage
from buildorch.builds.cache_usage import parse_du_verbose, parse_duration, parse_size
from tests.recorded import DATA


@pytest.mark.parametrize(("text", "n"), [("0B", 0), ("694.1MB", 694_100_000), ("1.5GB", 1_500_000_000),
                                         ("512MiB", 536_870_912), ("10", 10), ("2kB", 2000)])
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize(("text", "n"), [("30m", 1800), ("24h", 86400), ("7d", 604800), ("1h30m", 5400)])
def test_parse_duration(text: str, n: int) -> None:
    assert parse_duration(text) == n


@pytest.mark.parametrize("bad", ["soon", "10x", "h", ""])
def test_bad_duration(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)


def test_parse_du_verbose_recorded() -> None:
    usage = parse_du_verbose((DATA / "buildx_du_verbose.txt").read_text())
    assert len(usage.records) == 119
    assert usage.total_bytes == 3_031_000_000 and usage.reclaimable_bytes == 2_319_000_000
    first = usage.records[0]
    assert first.description == "[linux/amd64 1/2] ADD rootfs-amd64.tar /"
    assert first.size_bytes == 694_100_000 and first.reclaimable is False and first.last_used_seconds_ago == 360


def test_list_and_prune_local(tmp_path: Path) -> None:
    for name, age in (("app-default", 10), ("app-builder", 3 * 86400), ("app-default.new-123", 5)):
        d = tmp_path / name
        (d / "blobs").mkdir(parents=True)
        (d / "blobs" / "x").write_bytes(b"0" * 1000)
        if not name.endswith("123"):
            (d / "index.json").write_text('{"manifests": [{"digest": "sha256:00"}]}')
        t = time.time() - age
        for p in (d, d / "index.json"):
            if p.exists():
                os.utime(p, (t, t))
    listed = {c.name: c for c in cache_usage.list_local(tmp_path)}
    assert listed["app-default"].valid and not listed["app-default.new-123"].valid
    assert listed["app-builder"].size_bytes >= 1000
    doomed = cache_usage.prune_local(older_than=86400, dry_run=True, root=tmp_path)
    assert sorted(c.name for c in doomed) == ["app-builder", "app-default.new-123"]
    assert (tmp_path / "app-builder").exists()  # dry run
    cache_usage.prune_local(older_than=86400, root=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app-default"]


def test_registry_caches_are_remembered(tmp_path: Path) -> None:
    cache_usage.remember_registry_cache("localhost:5000/app:buildcache", root=tmp_path)
    assert [r.ref for r in cache_usage.list_registry(tmp_path)] == ["localhost:5000/app:buildcache"]
