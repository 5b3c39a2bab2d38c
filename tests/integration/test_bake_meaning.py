"""``buildorch bake`` never changes what a bake file means, checked against the real buildx.

Whose VERSION wins (yours, then the file's default, then buildorch's), nothing leaking
through ``inherits``, a dry run that writes nothing, ``timestamp()`` in the file, a group
cycle. The real builds use a tiny Dockerfile on the locally built ``golang:1.26-bookworm``
(no pull) and export their one file with ``type=local`` into the test's directory.
"""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from buildorch.bakes.plan import PRINT_ESCAPES_SINCE, definition_text
from buildorch.engine.buildx_text import version_tuple
from tests.integration.helpers import buildorch, buildorch_json, docker
from tests.integration.test_bake import DATA, plain_print

pytestmark = pytest.mark.integration

# One file, /version, holding the VERSION build arg the build saw (and BUILD_TIME on a second line).
DOCKERFILE = (  # as an HCL string: \n ends a line, \\n reaches printf
    r"FROM golang:1.26-bookworm AS stamp\nARG VERSION BUILD_TIME\n"
    r"RUN printf '%s\\n%s\\n' \"$VERSION\" \"$BUILD_TIME\" > /version\n"
    r"FROM scratch\nCOPY --from=stamp /version /version\n"
)


def bake_dir(tmp_path: Path, body: str) -> Path:
    """A directory holding docker-bake.hcl (found without -f) with ``body``; bake runs there."""
    d = tmp_path / "project"
    d.mkdir()
    (d / "docker-bake.hcl").write_text(body.replace("@DOCKERFILE@", DOCKERFILE))
    return d


def baked_version(d: Path, name: str) -> list[str]:
    return (d / "out" / name / "version").read_text().splitlines()


def entries(values: list[Any]) -> list[dict[str, str]]:
    """Cache entries as buildx 0.13 prints them (``type=local,src=x``) or newer ones do (objects)."""
    out = []
    for v in values:
        if isinstance(v, str) and v.startswith("{"):  # an object, passed on as text (BuildResult.cache_to)
            v = ast.literal_eval(v)
        out.append({k: str(x) for k, x in v.items()} if isinstance(v, dict) else dict(p.split("=", 1) for p in v.split(",")))
    return out


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mode, p.stat().st_size) for p in sorted(root.rglob("*"))}


PRECEDENCE = '''
variable "VERSION" {
  default = "6.4.1"
}

target "pinned" {
  dockerfile-inline = "@DOCKERFILE@"
  args = {
    VERSION = VERSION
  }
  output = ["type=local,dest=out/pinned"]
}

target "bare" {
  dockerfile-inline = "@DOCKERFILE@"
  output = ["type=local,dest=out/bare"]
}

group "default" {
  targets = ["pinned", "bare"]
}
'''


def test_the_files_version_default_wins_then_yours(tmp_path: Path) -> None:
    # The "done when": the file pins 6.4.1; --version 7.0.0 overrides it and injected says so.
    d = bake_dir(tmp_path, PRECEDENCE)
    env = {"BUILDORCH_CACHE_DIR": str(d / "cache")}
    dry = buildorch_json("bake", "pinned", "--dry-run", cwd=d, env=env)
    assert dry["definition"]["target"]["pinned"]["args"]["VERSION"] == "6.4.1"
    assert "args.VERSION" not in dry["injected"].get("pinned", {})
    given = buildorch_json("bake", "pinned", "--version", "7.0.0", "--dry-run", cwd=d, env=env)
    assert given["definition"]["target"]["pinned"]["args"]["VERSION"] == "7.0.0"
    assert given["injected"]["pinned"]["args.VERSION"] == {"old": "6.4.1", "new": "7.0.0"}
    text = buildorch("bake", "pinned", "--version", "7.0.0", "--dry-run", cwd=d, env=env)
    assert 'pinned.args.VERSION: "6.4.1" -> "7.0.0"' in text.stdout


def test_a_real_bake_builds_the_files_version_yours_or_buildorchs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERSION", raising=False)  # bake would read it (an empty one too)
    d = bake_dir(tmp_path, PRECEDENCE)
    env = {"BUILDORCH_CACHE_DIR": str(d / "cache")}
    results = buildorch_json("bake", "--build-time", "2026-01-02T03:04:05Z", "--progress", "quiet", cwd=d, env=env)
    assert sorted(results) == ["bare", "pinned"]
    assert baked_version(d, "pinned")[0] == "6.4.1"  # the file's default
    # "bare" passes no VERSION: buildorch's derived one (no git repository here: 0.0.0-dev), as the build arg
    assert baked_version(d, "bare") == ["0.0.0-dev", "2026-01-02T03:04:05Z"]
    assert results["bare"]["build_args"] == {"BUILD_TIME": "2026-01-02T03:04:05Z", "VERSION": "0.0.0-dev"}
    shutil.rmtree(d / "out")
    buildorch_json("bake", "--progress", "quiet", cwd=d, env={**env, "VERSION": "9.9.9"})  # as bake reads it
    assert baked_version(d, "pinned")[0] == "9.9.9" and baked_version(d, "bare")[0] == "9.9.9"
    shutil.rmtree(d / "out")
    buildorch_json("bake", "--version", "7.0.0", "--progress", "quiet", cwd=d, env=env)
    assert baked_version(d, "pinned")[0] == "7.0.0" and baked_version(d, "bare")[0] == "7.0.0"


CHAIN = '''
target "_base" {
  dockerfile-inline = "@DOCKERFILE@"
  args = {
    VERSION = "1.0"
  }
}

target "parent" {
  inherits = ["_base"]
  output   = ["type=local,dest=out/parent"]
}

target "child" {
  inherits = ["parent"]
  output   = ["type=local,dest=out/child"]
  cache-to = ["type=local,dest=child-cache,mode=max"]
}

target "grandchild" {
  inherits   = ["child"]
  output     = ["type=local,dest=out/grandchild"]
  cache-from = ["type=local,src=child-cache"]
  cache-to   = ["type=inline"]
}

group "default" {
  targets = ["parent", "child", "grandchild"]
}
'''


def test_an_override_of_a_parent_reaches_its_children_in_buildx(tmp_path: Path) -> None:
    # Why buildorch does not add its values with --set: buildx applies it before inherits.
    d = bake_dir(tmp_path, CHAIN)
    leaked = plain_print(["--set", "parent.cache-from=type=local,src=parent-cache"], {}, d)
    # buildx 0.13 prints "type=local,src=parent-cache", newer ones {"type": "local", "src": "parent-cache"}
    assert "parent-cache" in json.dumps(leaked["target"]["grandchild"]["cache-from"])


def test_an_inherits_chain_keeps_each_targets_own_caches(tmp_path: Path) -> None:
    d = bake_dir(tmp_path, CHAIN)
    cache_root = d / "cache"
    env = {"BUILDORCH_CACHE_DIR": str(cache_root)}
    for run in (1, 2):  # the second run imports the parent's cache: the children must not
        dry = buildorch_json("bake", "--version", "1.2.3", "--build-time", "2026-01-02T03:04:05Z", "--dry-run",
                             cwd=d, env=env)
        targets = dry["definition"]["target"]
        assert targets["child"].get("cache-from") is None
        assert entries(targets["child"]["cache-to"]) == [{"type": "local", "dest": "child-cache", "mode": "max"}]
        assert entries(targets["grandchild"]["cache-from"]) == [{"type": "local", "src": "child-cache"}]
        assert entries(targets["grandchild"]["cache-to"]) == [{"type": "inline"}]
        # the Dockerfile declares ARG BUILD_TIME that no target passes; caches only for the parent
        assert {n: set(c) for n, c in dry["injected"].items()} == {
            "parent": {"args.BUILD_TIME", "cache-to"} | ({"cache-from"} if run == 2 else set()),
            "child": {"args.BUILD_TIME"},
            "grandchild": {"args.BUILD_TIME"},
        }
        results = buildorch_json("bake", "--version", "1.2.3", "--build-time", "2026-01-02T03:04:05Z",
                                 "--progress", "quiet", cwd=d, env=env)
        assert sorted(results) == ["child", "grandchild", "parent"]
        assert results["child"]["cache_from"] == [] and entries(results["grandchild"]["cache_to"]) == [{"type": "inline"}]
        for name in ("parent", "child", "grandchild"):
            assert baked_version(d, name)[0] == "1.0"  # the file's literal arg stays
    # the live caches (a link to its generation; the locks and generations beside it are the store's)
    live = sorted(p.name for p in cache_root.iterdir() if not p.name.startswith(".") and ".gen-" not in p.name)
    assert live == ["project-bake-parent"]
    assert (d / "child-cache" / "index.json").is_file()


def test_a_dry_run_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BUILDORCH_CACHE_DIR", raising=False)  # the default cache root: .buildorch/cache here
    d = bake_dir(tmp_path, PRECEDENCE)
    damaged = d / ".buildorch" / "cache" / "project-bake-bare"  # the default cache root, damaged
    damaged.mkdir(parents=True)
    (damaged / "index.json").write_text("{not json")
    before = snapshot(tmp_path)
    report = buildorch_json("bake", "--dry-run", cwd=d)
    assert any("is damaged" in w for w in report["warnings"])
    assert snapshot(tmp_path) == before  # not renamed, nothing created
    shutil.rmtree(d / ".buildorch")
    r = buildorch("bake", "--dry-run", cwd=d)
    assert r.returncode == 0, r.stderr
    assert not (d / ".buildorch").exists() and snapshot(tmp_path) == {k: v for k, v in before.items()
                                                                      if not k.startswith("project/.buildorch")}


def test_timestamp_in_the_file_is_no_change_of_buildorchs() -> None:
    args = ("bake", "-f", "stamped.hcl", "stamped", "--version", "7.0.0", "--build-time", "2026-01-02T03:04:05Z",
            "--cache", "none", "--dry-run")
    reports: list[dict[str, Any]] = [buildorch_json(*args, cwd=DATA) for _ in range(2)]
    for report in reports:
        assert set(report["injected"]["stamped"]) == {"args.BUILD_TIME", "args.VERSION", "tags"}
    assert reports[0]["injected"] == reports[1]["injected"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(alphabet="${}%ab \\\"\n", max_size=12), key=st.text(alphabet="${}%ab_", min_size=1, max_size=6))
def test_any_printed_value_reads_back_from_the_file_buildorch_writes(value: str, key: str, tmp_path: Path) -> None:
    # bake reads every JSON string (keys too) as a template; buildx 0.23+ prints some values escaped.
    # What buildorch runs is --print's output written back as a file: it must print as itself again.
    escapes = version_tuple(docker("buildx", "version")) >= PRINT_ESCAPES_SINCE
    written = tmp_path / "definition.json"
    target = {"context": ".", "dockerfile-inline": "FROM scratch\n", "labels": {key: value}, "args": {"V": value},
              "tags": [f"example/t:{value.strip() or 'x'}"]}
    written.write_text(definition_text({"t": target}))  # the values themselves: nothing printed them
    first = plain_print(["-f", str(written), "t"], {}, tmp_path)["target"]["t"]
    shown = value.replace("${", "$${").replace("%{", "%%{") if escapes else value
    assert first["labels"] == {key: shown} and first["args"] == {"V": shown}
    written.write_text(definition_text({"t": first}, print_escapes=escapes))
    assert plain_print(["-f", str(written), "t"], {}, tmp_path)["target"]["t"] == first
