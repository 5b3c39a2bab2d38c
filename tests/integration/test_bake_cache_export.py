"""A bake whose only failure is one target's cache export, against the real engine.

BuildKit's export of target ``bad``'s cache fails for real: its destination is a
directory whose ``ingest`` is a regular file, so BuildKit cannot write the first blob
("mkdir broken/ingest: not a directory"), after both images were built. buildx checks
the destination itself before the build, so it must exist and be a directory.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from buildorch.builds.cache import local_cache_ok
from tests.integration.helpers import buildorch, docker, unique

pytestmark = pytest.mark.integration


def bake_file(work: Path, tag: str) -> Path:
    """Two targets with steps of their own (no record of another run decides the outcome); ``bad`` exports to ``broken``."""
    (work / "ctx").mkdir(parents=True)
    (work / "ctx" / "n.txt").write_text(uuid.uuid4().hex)
    (work / "broken").mkdir()
    (work / "broken" / "ingest").write_text("")  # a file where BuildKit's local content store needs a directory
    f = work / "cache.hcl"
    f.write_text(f"""
group "default" {{
  targets = ["ok", "bad"]
}}

target "ok" {{
  context           = "ctx"
  dockerfile-inline = "FROM scratch\\nCOPY n.txt /ok\\n"
  tags              = ["{tag}-ok:1"]
}}

target "bad" {{
  context           = "ctx"
  dockerfile-inline = "FROM scratch\\nCOPY n.txt /bad\\n"
  tags              = ["{tag}-bad:1"]
  cache-to          = ["type=local,dest=broken"]
}}
""")
    return f


@pytest.fixture
def baked(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """(tag prefix, the bake's directory, the cache root); both images removed afterwards."""
    tag = unique("buildorch-it-bakecache")
    work, cache_dir = tmp_path / "work", tmp_path / "cache"
    bake_file(work, tag)
    yield tag, work, cache_dir
    docker("image", "rm", "-f", f"{tag}-ok:1", f"{tag}-bad:1", check=False)


def test_a_target_whose_cache_export_fails_is_baked_again_without_it(baked: tuple[str, Path, Path]) -> None:
    tag, work, cache_dir = baked
    r = buildorch("bake", "-f", "cache.hcl", "--progress", "plain", "--json", cwd=work,
                  env={"BUILDORCH_CACHE_DIR": str(cache_dir)})
    assert r.returncode == 0, r.stderr[-3000:]
    results = json.loads(r.stdout)
    bad, ok = results["bad"], results["ok"]
    shown = [ln for ln in r.stderr.splitlines() if ln.startswith("warning: target bad: cache export failed")]
    assert len(shown) == 1 and "not a directory" in shown[0], r.stderr[-3000:]
    assert shown[0].endswith("; baked again without exporting the cache")
    assert bad["cache_to"] == [] and shown[0].removeprefix("warning: ") in bad["warnings"]
    assert bad["digest"].startswith("sha256:") and ok["digest"].startswith("sha256:")
    # ok's export ran in both bakes: its staged cache from the first one went on, and was swapped in
    assert ok["cache_to"] and not any("cache export failed" in w for w in ok["warnings"])
    assert local_cache_ok(cache_dir / "ctx-bake-ok")
    assert not list(cache_dir.glob("*.new-*"))  # no staging directory left behind
    assert docker("image", "inspect", "--format", "{{.Id}}", f"{tag}-ok:1", f"{tag}-bad:1").count("sha256:") == 2


def test_with_cache_required_the_failed_export_fails_the_bake(baked: tuple[str, Path, Path]) -> None:
    _, work, cache_dir = baked
    r = buildorch("bake", "-f", "cache.hcl", "--progress", "plain", "--cache-required", cwd=work,
                  env={"BUILDORCH_CACHE_DIR": str(cache_dir)})
    assert r.returncode == 1, r.stderr[-3000:]
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("error: ")]
    assert errors == ["error: target bad: step exporting cache to client directory failed: error writing layer blob: "
                      "rpc error: code = Unknown desc = mkdir broken/ingest: not a directory: unknown"], r.stderr[-3000:]
    assert "Traceback" not in r.stderr and "baked again" not in r.stderr
    assert not list(cache_dir.glob("*.new-*"))  # every staged export discarded, as for any failed bake
