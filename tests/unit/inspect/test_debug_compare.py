"""debug's argv and argument split, compare's ratio, containers' small helpers."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from buildorch.cli.debug import split_args
from buildorch.core.references import check
from buildorch.engine.containers import read_tar_member, throwaway_tag
from buildorch.inspect.compare import Comparison, ratio
from buildorch.inspect.debug import run_argv
from buildorch.inspect.image import ImageReport


def test_split_args_context_then_command(tmp_path: Path) -> None:
    assert split_args([str(tmp_path), "ls", "-la"]) == (tmp_path, ["ls", "-la"])
    assert split_args(["ls", "-la"]) == (Path("."), ["ls", "-la"])  # no context: click dropped the --
    assert split_args([]) == (Path("."), [])


def test_run_argv_replaces_the_entrypoint() -> None:
    argv = run_argv("img:1", "linux/arm64", ["ls", "-la", "/build/main"], tty=False, stdin=False, user=None)
    assert argv == ["run", "--rm", "--pull", "never", "--platform", "linux/arm64",
                    "--entrypoint", "ls", "img:1", "-la", "/build/main"]
    assert run_argv("i", "linux/amd64", ["/bin/sh"], tty=True, stdin=False, user="0")[6:9] == ["-it", "--user", "0"]
    assert "-i" in run_argv("i", "linux/amd64", ["sh"], tty=False, stdin=True, user=None)


def test_throwaway_tags_are_unique_valid_references(tmp_path: Path) -> None:
    ctx = tmp_path / "My App"
    a, b = throwaway_tag("buildorch-debug", ctx, "Builder"), throwaway_tag("buildorch-debug", ctx, "Builder")
    assert a != b and a.startswith("buildorch-debug/my-app-builder:")
    assert check(a) == a


@pytest.mark.parametrize(("b", "a", "want"), [(580, 7, 82.86), (7, 7, 1.0), (None, 7, None), (5, 0, None), (5, None, None)])
def test_ratio(b: int | None, a: int | None, want: float | None) -> None:
    assert ratio(b, a) == want


def test_comparison_json_has_both_ratios() -> None:
    a = ImageReport(image="a", platform="linux/amd64", size_uncompressed=7_321_088, size_compressed=3_078_310)
    b = ImageReport(image="b", platform="linux/amd64", size_uncompressed=581_109_760, size_compressed=187_015_940)
    doc = Comparison(a=a, b=b).model_dump(mode="json")
    assert doc["size_ratio"] == 79.37 and doc["size_ratio_compressed"] == 60.75


def _tar(kind: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("sh")
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "dash"
            tar.addfile(info)
        else:
            info.size = 3
            tar.addfile(info, io.BytesIO(b"abc"))
    return buf.getvalue()


def test_docker_cp_output_is_read() -> None:
    assert read_tar_member(_tar("symlink")) == ("symlink", b"dash")
    assert read_tar_member(_tar("file")) == ("file", b"abc")
    assert read_tar_member(b"") is None  # docker cp printed nothing: the path does not exist
