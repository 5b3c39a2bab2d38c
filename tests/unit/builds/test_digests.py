"""The split build's digest files: written as the merge reads them, docker's empty files read too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from buildorch.builds import digests

D = "sha256:" + "ab" * 32


def test_write_then_read(tmp_path: Path) -> None:
    path = digests.write(tmp_path / "d", D, "linux/arm64", "127.0.0.1:5000/x/app")
    assert path.name == "ab" * 32
    assert json.loads(path.read_text()) == {"digest": D, "platform": "linux/arm64", "image": "127.0.0.1:5000/x/app"}
    [f] = digests.read(tmp_path / "d")
    assert (f.digest, f.platform, f.image) == (D, "linux/arm64", "127.0.0.1:5000/x/app")


def test_dockers_empty_files_and_strangers(tmp_path: Path) -> None:
    (tmp_path / ("cd" * 32)).touch()  # `touch "/tmp/digests/${digest#sha256:}"` in docker's docs
    (tmp_path / "README").write_text("not a digest")
    [f] = digests.read(tmp_path)
    assert f.digest == "sha256:" + "cd" * 32 and f.platform is None


@pytest.mark.parametrize(("setup", "message"), [("missing", "does not exist"), ("empty", "no digest files"), ("bad", "not JSON")])
def test_errors(tmp_path: Path, setup: str, message: str) -> None:
    d = tmp_path / "d"
    if setup != "missing":
        d.mkdir()
    if setup == "bad":
        (d / ("ef" * 32)).write_text("{nope")
    with pytest.raises(ValueError, match=message):
        digests.read(d)


def test_refuses_a_non_digest(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a sha256 digest"):
        digests.write(tmp_path, "sha256:xyz", "linux/amd64", "r/x")


def test_output_spec() -> None:
    assert digests.output_spec("r:5000/x") == "type=image,name=r:5000/x,push-by-digest=true,name-canonical=true,push=true"
