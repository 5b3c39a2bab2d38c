import fcntl
import os
import time
from pathlib import Path

import pytest

from buildorch.builds import cache_usage


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


def test_cache_ls_shows_the_state_and_mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from buildorch.cli.cache import app

    live = tmp_path / "app-default"
    (live / "blobs").mkdir(parents=True)
    (live / "index.json").write_text('{"manifests": [{"digest": "sha256:00"}]}')
    (live / "buildorch-cache.json").write_text('{"mode": "min", "exported_at": 1}')
    (tmp_path / f"app-default.new-{os.getpid()}").mkdir()  # this process: a build exporting,
    lock = (tmp_path / ".app-default.export").open("a")  # which holds the export lock
    fcntl.flock(lock, fcntl.LOCK_EX)
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(tmp_path))
    out = CliRunner().invoke(app, ["ls"]).output.splitlines()
    assert out[0].startswith("local     app-default ") and out[0].endswith("mode=min  exporting")
    assert out[1].endswith("staging")
    listed = {c.name: c for c in cache_usage.list_local(tmp_path)}
    assert listed["app-default"].state == "exporting" and listed["app-default"].mode == "min"
    lock.close()  # the build ended
    assert cache_usage.list_local(tmp_path)[0].state == "current"
