"""``buildorch bake`` against the real stack: one result per target, both platforms, --dry-run vs plain bake, bad input.

VERSION and BUILD_TIME are fixed so that BuildKit's cache serves the expensive
steps (go build, go test) after the first run; tags are unique per module via
the REGISTRY bake variable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from buildorch.bakes.models import as_csv
from tests.integration.helpers import ROOT, buildorch, buildorch_json, docker, unique

pytestmark = pytest.mark.integration

VERSION = "1.2.3"
BUILD_TIME = "2026-01-02T03:04:05Z"
DATA = ROOT / "tests" / "data" / "bake"
FIXED = ("--version", VERSION, "--build-time", BUILD_TIME)


@pytest.fixture(scope="module")
def cache_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return {"BUILDORCH_CACHE_DIR": str(tmp_path_factory.mktemp("bake-cache"))}


@pytest.fixture(scope="module")
def registry() -> str:
    return f"localhost:5000/{unique('bake')}"


@pytest.fixture(scope="module")
def baked(cache_env: dict[str, str], registry: str) -> Any:
    """The default group of bakefiles/docker-bake.hcl (found without -f), built once for the module."""
    results = buildorch_json("bake", *FIXED, "--var", f"REGISTRY={registry}", env=cache_env)
    yield results
    docker("image", "rm", "-f", f"{registry}/buildorch-app:{VERSION}", check=False)


def plain_print(args: list[str], variables: dict[str, str], cwd: Path = ROOT) -> dict[str, Any]:
    r = subprocess.run(
        ["docker", "buildx", "bake", *args, "--print"], capture_output=True, text=True, cwd=cwd,
        env={**os.environ, **variables}, check=True, timeout=60,
    )
    return dict(json.loads(r.stdout))


def same_order(definition: dict[str, Any]) -> dict[str, Any]:
    """buildx 0.13 lists a matrix's targets in Go map order, which changes from run to run."""
    for g in definition.get("group", {}).values():
        g["targets"] = sorted(g["targets"])
    return definition


def flat(target: dict[str, Any]) -> dict[str, Any]:
    """A target's fields with maps flattened as ``injected`` names them (``args.VERSION``)."""
    out: dict[str, Any] = {}
    for key, value in target.items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def test_default_group_gives_one_result_per_target(baked: dict[str, Any], cache_env: dict[str, str], registry: str) -> None:
    assert sorted(baked) == ["app", "app-test"]
    app, test = baked["app"], baked["app-test"]
    assert app["target"] == "runtime" and test["target"] == "test"
    assert app["tags"] == [f"{registry}/buildorch-app:{VERSION}"] and test["tags"] == []
    for r in (app, test):
        assert r["version"] == VERSION and r["build_time"] == BUILD_TIME
        assert r["build_args"] == {"VERSION": VERSION, "BUILD_TIME": BUILD_TIME}  # app/Dockerfile has no ARG SOURCE_DATE_EPOCH
        assert r["steps_total"] > 0 and 0 <= r["steps_cached"] <= r["steps_total"]
        assert r["duration_seconds"] > 0 and "buildx.build.ref" in r["metadata"]
    # app-test only proves that go test passed: cache only, no image
    assert test["digest"] is None and not test["loaded"] and "cache.manifest" in test["metadata"]
    assert any(s["name"].startswith("[test 1/1] RUN") for s in test["steps"])
    # a local cache per target, swapped in after the build
    root = Path(cache_env["BUILDORCH_CACHE_DIR"])
    for name in ("app", "app-test"):
        index = json.loads((root / f"app-bake-{name}" / "index.json").read_text())
        assert index["manifests"]
    assert not list(root.glob("*.new-*"))


def test_app_is_built_for_both_platforms(baked: dict[str, Any]) -> None:
    app = baked["app"]
    assert app["platforms"] == ["linux/amd64", "linux/arm64"]
    assert app["loaded"] and app["digest"].startswith("sha256:") and app["image_id"]
    assert app["metadata"]["containerimage.digest"] == app["digest"]
    assert {s["platform"] for s in app["steps"]} >= {"linux/amd64", "linux/arm64", "linux/amd64->arm64"}
    for platform in ("linux/amd64", "linux/arm64"):
        out = docker("run", "--rm", "--platform", platform, app["tags"][0], "-version")
        assert out.splitlines()[0] == VERSION


def test_a_rebuild_uses_each_targets_cache(baked: dict[str, Any], cache_env: dict[str, str], registry: str) -> None:
    again = buildorch_json("bake", *FIXED, "--var", f"REGISTRY={registry}", "--progress", "quiet", env=cache_env)
    root = cache_env["BUILDORCH_CACHE_DIR"]
    for name in ("app", "app-test"):
        assert again[name]["cache_from"] == [f"type=local,src={root}/app-bake-{name}"]
        assert again[name]["steps_cached"] >= again[name]["steps_total"] - 1  # see test_bake_progress: a twin may rerun
    go_test = next(s for s in again["app-test"]["steps"] if s["name"].startswith("[test 1/1]"))
    assert go_test["cached"]


def test_push_gives_per_platform_digests(baked: dict[str, Any], cache_env: dict[str, str], registry: str) -> None:
    pushed = buildorch_json("bake", "app", *FIXED, "--var", f"REGISTRY={registry}", "--push", "--progress", "quiet",
                            env=cache_env)
    app = pushed["app"]
    assert list(pushed) == ["app"] and app["pushed"] and not app["loaded"]
    assert app["steps_total"] == 10 and app["steps_cached"] >= 9  # one target: buildx prefixes no step names
    assert set(app["platform_digests"]) == {"linux/amd64", "linux/arm64"}
    raw = json.loads(docker("buildx", "imagetools", "inspect", "--raw", app["tags"][0]))
    listed = {m["digest"] for m in raw["manifests"]}
    assert set(app["platform_digests"].values()) <= listed and app["digest"] == app["metadata"]["containerimage.digest"]


@pytest.mark.parametrize(
    ("args", "cwd", "file"),
    [
        ((), ROOT, "bakefiles/docker-bake.hcl"),
        (("release", "app-builder"), ROOT, "bakefiles/docker-bake.hcl"),
        (("api", "api-debug"), DATA, "inherits.hcl"),
        (("svc",), DATA, "matrix.hcl"),
        ((), DATA, "chain.hcl"),
        (("pinned", "bare", "plain"), DATA, "precedence.hcl"),
        (("build",), DATA, "metadata.hcl,metadata-action.json"),
    ],
)
def test_dry_run_is_plain_bake_plus_the_injected_fields(args: tuple[str, ...], cwd: Path, file: str, tmp_path: Path) -> None:
    env = {"BUILDORCH_CACHE_DIR": str(tmp_path)}
    files = [a for f in file.split(",") for a in ("-f", f)]
    report = buildorch_json("bake", *files, *args, *FIXED, "--dry-run", cwd=cwd, env=env)
    assert report["variables"] == {"VERSION": VERSION, "BUILD_TIME": BUILD_TIME}
    plain = plain_print([*files, *args], {}, cwd)  # as `docker buildx bake` runs without buildorch
    assert report["compared_with"].endswith(" ".join([file.split(",")[-1], *args, "--print"]))
    assert sorted(report["definition"]["target"]) == sorted(plain["target"])
    for name, target in report["definition"]["target"].items():
        changes = report["injected"].get(name, {})
        before = flat(plain["target"][name])
        assert {k: c["old"] for k, c in changes.items()} == {k: before.get(k) for k in changes}
        after = {**before, **{k: c["new"] for k, c in changes.items()}}
        assert {k: v for k, v in after.items() if v is not None} == flat(target), name
        assert "cache-from" not in changes  # empty cache dir: nothing to import yet
        if before.get("cache-from") or before.get("cache-to"):
            assert "cache-to" not in changes  # the file's own cache stays
        else:
            (entry,) = changes["cache-to"]["new"]
            cache_to = as_csv(entry)
            ctx = Path(cwd / plain["target"][name]["context"]).resolve().name
            assert cache_to.startswith(f"type=local,dest={tmp_path}/{ctx}-bake-{name}.new-") and cache_to.endswith(",mode=max")
    if "api" in args:  # ctx/Dockerfile declares no ARG: the args stay the file's; VERSION is no variable there
        assert report["injected"] == {}
    if file == "precedence.hcl":  # the file's default gives way to --version; bare gets it as the ARG its Dockerfile declares
        assert report["injected"]["pinned"]["args.VERSION"] == {"old": "6.4.1", "new": VERSION}
        assert report["injected"]["bare"]["args.VERSION"] == {"old": None, "new": VERSION}
        assert "args.VERSION" not in report["injected"].get("plain", {})
    if file.startswith("metadata"):  # metadata-action's values stay; the Dockerfile's ARGs are filled
        assert set(report["injected"]["build"]) == {"args.BUILD_TIME", "args.VERSION", "cache-to"}
    if file == "bakefiles/docker-bake.hcl":  # the file's VERSION default 0.0.0-dev gives way to --version
        assert report["injected"]["app"]["args.VERSION"] == {"old": "0.0.0-dev", "new": VERSION}
        assert report["injected"]["app"]["args.BUILD_TIME"] == {"old": "", "new": BUILD_TIME}


def test_a_target_context_builds_the_linked_target_too(tmp_path: Path) -> None:
    registry = f"localhost:5000/{unique('bake-ctx')}"
    results = buildorch_json("bake", "-f", "contexts.hcl", "app", "--var", f"REGISTRY={registry}", "--progress", "quiet",
                             cwd=DATA, env={"BUILDORCH_CACHE_DIR": str(tmp_path)})
    try:
        assert sorted(results) == ["app", "base"]  # base comes in through contexts = { base = "target:base" }
        app, base = results["app"], results["base"]
        assert app["tags"] == [f"{registry}/buildorch-bake-fixture:1.0", f"{registry}/buildorch-bake-fixture:2026"]
        assert app["platforms"] == base["platforms"] == ["linux/amd64", "linux/arm64"]
        assert app["digest"].startswith("sha256:")
        # buildx 0.13 also exports a target named only as another's context (stored untagged);
        # current buildx builds it as that target's input only, and its metadata has no digest.
        assert base["digest"] is None or base["digest"].startswith("sha256:")
        assert any(s["name"] == "[stage-0 1/2] COPY --from=certs . /certs" for s in app["steps"])
        assert [s["name"] for s in base["steps"]] == ["[1/1] COPY certs /base-certs"]
        assert (tmp_path / "ctx-bake-app" / "index.json").is_file() and (tmp_path / "ctx-bake-base" / "index.json").is_file()
    finally:
        docker("image", "rm", "-f", *results["app"]["tags"], check=False)
        if results["base"]["digest"]:
            docker("image", "rm", "-f", results["base"]["digest"], check=False)  # stored untagged by the docker driver


def test_a_failing_target_is_named_and_its_cache_left_alone(tmp_path: Path) -> None:
    # A step of its own each run: a cache record of the shared engine left broken by a killed build elsewhere
    # ("snapshot ... does not exist" at ok's cache export) must not decide which target fails first.
    bake = tmp_path / "work" / "failing.hcl"
    bake.parent.mkdir()
    shutil.copytree(DATA / "ctx", bake.parent / "ctx")  # inside the current directory: no entitlement to ask
    bake.write_text((DATA / "failing.hcl").read_text().replace("RUN echo fine", f"RUN echo fine {uuid.uuid4().hex[:8]}"))
    cache_dir = tmp_path / "cache"
    env = {"BUILDORCH_CACHE_DIR": str(cache_dir)}
    r = buildorch("bake", "-f", "failing.hcl", "--progress", "plain", cwd=bake.parent, env=env)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "error: target bad: step [2/2] RUN echo about to fail && exit 3 failed (exit code 3)" in r.stderr
    assert "  | about to fail" in r.stderr and "Traceback" not in r.stderr
    assert "[ok 2/2] RUN echo fine" in r.stderr  # progress names the target on each step
    assert not list(cache_dir.glob("*.new-*"))  # staged exports were discarded


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("-f", "tests/data/bake/broken.hcl"),
         "error: bake file tests/data/bake/broken.hcl:4,1-2: Missing item separator; Expected a comma"),
        (("nope",), "error: no target or group 'nope' in bakefiles/docker-bake.hcl"),
        (("--set", "app.foo=1", "app"), "error: --set app.foo=1: unknown key 'foo'"),
        (("--set", "nope.args.X=1", "app"), "error: --set nope.args.X=1: no target being built matches 'nope'"),
        (("-f", "missing.hcl"), "error: bake file missing.hcl not found"),
        (("-f", "tests/data/bake/cycle.hcl", "a"),
         "error: group 'a' includes itself: cycle a -> b -> a in tests/data/bake/cycle.hcl"),
        (("-f", str(ROOT / "bakefiles/docker-bake.hcl"), "--cwd-elsewhere"),
         "error: target app: build context 'app' is not a directory here"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    elsewhere = "--cwd-elsewhere" in args
    args = tuple(a for a in args if a != "--cwd-elsewhere")
    r = buildorch("bake", *args, "--dry-run", cwd=tmp_path if elsewhere else ROOT)
    assert r.returncode == 2, r.stderr
    assert r.stderr.splitlines()[0].startswith(message) and "Traceback" not in r.stderr
    if "nope" in args:
        assert "hint: choose one of targets: app, app-single, app-builder, app-test; groups: default, release" in r.stderr


@pytest.mark.parametrize(
    ("cwd", "files", "targets", "load"),
    [
        (ROOT, ["bakefiles/docker-bake.hcl"], [], True),
        (DATA, ["inherits.hcl"], ["api", "api-debug"], False),
        (DATA, ["matrix.hcl"], ["svc"], True),
        (DATA, ["groups.hcl"], [], False),
        (DATA, ["contexts.hcl"], ["app"], False),
        (DATA, ["chain.hcl"], [], False),
        (DATA, ["metadata.hcl", "metadata-action.json"], ["build"], True),
        (DATA, ["precedence.hcl"], ["pinned", "bare", "plain"], False),
        (DATA, ["stamped.hcl"], ["stamped"], False),
    ],
)
def test_what_buildorch_applies_is_what_buildx_prints(
    cwd: Path, files: list[str], targets: list[str], load: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real bake runs the definition buildorch wrote (apply_injections on one --print): buildx must
    # read that file back as exactly that definition, on files with inherits, matrices and groups.
    from buildorch.bakes.models import BakeSpec
    from buildorch.bakes.plan import plan_bake

    monkeypatch.chdir(cwd)
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(tmp_path))
    for d in ("app-bake-app", "ctx-bake-svc-builder-1-26", "ctx-bake-one"):  # caches to import: cache-from is added too
        (tmp_path / d / "blobs" / "sha256").mkdir(parents=True)
        (tmp_path / d / "index.json").write_text(json.dumps({"manifests": [{"digest": "sha256:" + "0" * 64}]}))
    plan = plan_bake(BakeSpec(files=[Path(f) for f in files], targets=targets, load=load, version=VERSION, build_time=BUILD_TIME))
    if cwd == ROOT:
        assert plan.targets["app"].keys == ["cache-from", "cache-to", "output"]
    written = tmp_path / "definition.json"
    written.write_text(plan.definition_file())
    printed = plain_print(["-f", str(written), *plan.definition.target], {}, cwd)
    assert same_entries(printed["target"]) == same_entries(plan.definition.dump()["target"])


def same_entries(targets: dict[str, Any]) -> dict[str, Any]:
    """Cache and output entries as attribute maps: buildx 0.13 prints strings, newer ones objects (same meaning)."""
    from buildorch.bakes.models import _attrs

    return {n: {k: [_attrs(e) for e in v] if k in ("cache-from", "cache-to", "output") else v for k, v in t.items()}
            for n, t in targets.items()}
