"""What ``buildorch bake`` injects, the command it runs, and how buildx's complaints read (no Docker needed)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from python_on_whales.exceptions import DockerException

from buildorch.bakes import plan as bake_plan
from buildorch.bakes.models import BakeDefinition, BakeSpec, BakeTarget
from buildorch.bakes.plan import (
    TargetPlan,
    apply_injections,
    bake_input_error,
    default_files,
    injections,
    names_in,
    plan_bake,
)
from buildorch.core.errors import InputError
from buildorch.core.versioning import VersionInfo
from buildorch.engine import buildx
from tests.recorded import BAKE_DATA as DATA
from tests.recorded import ROOT

VINFO = VersionInfo("1.2.3", "2026-01-02T03:04:05Z", 1767323045, "explicit", "explicit")


def printed(name: str) -> BakeDefinition:
    return BakeDefinition.model_validate_json((DATA / f"{name}.print.json").read_text())


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(d))
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 13, 1))  # these tests count the docker calls
    return d


def valid_cache(d: Path) -> None:
    (d / "blobs" / "sha256").mkdir(parents=True)
    (d / "index.json").write_text(json.dumps({"manifests": [{"digest": "sha256:" + "0" * 64}]}))


def test_file_args_stay_and_only_the_missing_ones_are_added(cache_dir: Path) -> None:
    app = printed("bakefile_default").target["app"]  # the file sets VERSION and BUILD_TIME from its variables
    tp = injections("app", app, VINFO, BakeSpec())
    assert tp.sets[0] == "app.args.SOURCE_DATE_EPOCH=1767323045"
    assert not any(".args.VERSION=" in s or ".args.BUILD_TIME=" in s for s in tp.sets)
    debug = printed("inherits").target["api-debug"]  # VERSION pinned, a registry cache-from
    sets = injections("api-debug", debug, VINFO, BakeSpec()).sets
    assert sets == ["api-debug.args.BUILD_TIME=2026-01-02T03:04:05Z", "api-debug.args.SOURCE_DATE_EPOCH=1767323045"]


def test_a_local_cache_per_target_imported_only_when_valid(cache_dir: Path) -> None:
    t = BakeTarget(context="app", target="runtime")
    first = injections("app", t, VINFO, BakeSpec())
    live = cache_dir / "app-bake-app"
    assert first.cache is not None and first.cache.local_dir == live
    assert [s for s in first.sets if "cache-from" in s] == []
    assert first.sets[-1] == f"app.cache-to=type=local,dest={live}.new-{bake_plan.os.getpid()},mode=max"
    valid_cache(live)
    again = injections("app", t, VINFO, BakeSpec(cache_mode="min"))
    assert f"app.cache-from=type=local,src={live}" in again.sets
    assert again.sets[-1].endswith(",mode=min")
    other = injections("app-test", BakeTarget(context="app", target="test"), VINFO, BakeSpec())
    assert other.cache is not None and other.cache.local_dir == cache_dir / "app-bake-app-test"


def test_a_target_with_its_own_cache_keeps_it() -> None:
    for name in ("api", "api-debug"):  # api sets both; api-debug sets cache-from only
        tp = injections(name, printed("inherits").target[name], VINFO, BakeSpec())
        assert tp.cache is None and not any("cache-" in s for s in tp.sets)


def test_cache_none_and_load() -> None:
    d = printed("bakefile_default")
    spec = BakeSpec(cache="none", load=True)
    app, test = injections("app", d.target["app"], VINFO, spec), injections("app-test", d.target["app-test"], VINFO, spec)
    assert app.sets == ["app.args.SOURCE_DATE_EPOCH=1767323045", "app.output=type=docker"]
    assert test.sets == ["app-test.args.SOURCE_DATE_EPOCH=1767323045"]  # cacheonly stays


def test_plan_prints_once_when_the_version_is_given_and_injects_with_set(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(args: list[str], *, what: str | None = None, env: dict[str, str] | None = None) -> str:
        calls.append((list(args), dict(env or {})))
        name = "bakefile_injected" if "--set" in args and "app.args.SOURCE_DATE_EPOCH=1767323045" in args else "bakefile_default"
        return (DATA / f"{name}.print.json").read_text()

    monkeypatch.setattr(buildx, "run", fake_run)
    spec = BakeSpec(files=[ROOT / "bakefiles/docker-bake.hcl"], targets=["default"], variables={"REGISTRY": "r:5000"},
                    version="1.2.3", build_time="2026-01-02T03:04:05Z", platforms=["linux/arm64"])
    plan = plan_bake(spec)
    # VERSION and BUILD_TIME given: no print to find the version's context, and what will run is applied here.
    assert len(calls) == 1 and all(a[-1] == "--print" and a[-2] == "default" for a, _ in calls)
    assert calls[0][1] == {"REGISTRY": "r:5000", "VERSION": "1.2.3", "BUILD_TIME": "2026-01-02T03:04:05Z"}
    assert plan.env == calls[0][1]
    assert "--set" in calls[0][0] and "*.platform=linux/arm64" in calls[0][0]
    argv = plan.argv
    assert argv[:2] == ["buildx", "bake"] and argv[-1] == "default"
    assert argv[argv.index("--progress") + 1] == "rawjson" and "--metadata-file" in argv
    assert plan.injected()["app"]["args"] == {"SOURCE_DATE_EPOCH": "1767323045"}
    report = plan.report()  # --dry-run: buildx's own print of what will run, one more call
    assert len(calls) == 2 and "app.args.SOURCE_DATE_EPOCH=1767323045" in calls[1][0] and calls[1][1] == plan.env
    assert report["injected"]["app"]["args"] == {"SOURCE_DATE_EPOCH": "1767323045"}
    assert report["command"].startswith("REGISTRY=r:5000 VERSION=1.2.3 BUILD_TIME=2026-01-02T03:04:05Z docker buildx bake")
    assert report["compared_with"].endswith("--set '*.platform=linux/arm64' default --print")


def test_plan_without_the_version_prints_first_with_the_users_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, str]] = []

    def fake_run(args: list[str], *, what: str | None = None, env: dict[str, str] | None = None) -> str:
        calls.append(dict(env or {}))
        return (DATA / "bakefile_default.print.json").read_text()

    monkeypatch.setattr(buildx, "run", fake_run)
    plan = plan_bake(BakeSpec(files=[ROOT / "bakefiles/docker-bake.hcl"], variables={"REGISTRY": "r:5000"}))
    assert len(calls) == 2
    assert calls[0] == {"REGISTRY": "r:5000"}  # the user's variables only, to find the contexts
    assert calls[1] == plan.env and set(plan.env) == {"REGISTRY", "VERSION", "BUILD_TIME"}


def test_injections_applied_here_equal_what_buildx_printed() -> None:
    # The recorded pair: the project's bake file printed plain, then with these --set values (record.sh).
    sets = {
        "app": ["app.args.SOURCE_DATE_EPOCH=1767323045", "app.cache-from=type=local,src=/cache/app-bake-app",
                "app.cache-to=type=local,dest=/cache/app-bake-app.new-1,mode=max"],
        "app-test": ["app-test.args.SOURCE_DATE_EPOCH=1767323045",
                     "app-test.cache-to=type=local,dest=/cache/app-bake-app-test.new-1,mode=max"],
    }
    applied = apply_injections(printed("bakefile_default"), {n: TargetPlan(name=n, sets=v) for n, v in sets.items()})
    assert applied.model_dump(by_alias=True, mode="json") == printed("bakefile_injected").model_dump(by_alias=True, mode="json")
    assert json.dumps(applied.dump()) == json.dumps(printed("bakefile_injected").dump())  # buildx's key order too


def test_default_files(tmp_path: Path) -> None:
    assert default_files(tmp_path) == []
    (tmp_path / "bakefiles").mkdir()
    (tmp_path / "bakefiles" / "docker-bake.hcl").write_text("")
    assert default_files(tmp_path) == [Path("bakefiles/docker-bake.hcl")]
    (tmp_path / "docker-bake.hcl").write_text("")  # bake's own default wins
    assert default_files(tmp_path) == []


def test_names_in_files_for_hints() -> None:
    targets, groups = names_in([ROOT / "bakefiles/docker-bake.hcl"])
    assert targets == ["app", "app-single", "app-builder", "app-test"]  # _common is only inherited
    assert groups == ["default", "release"]


def recorded_error(case: str, args: list[str]) -> Any:
    stderr = (DATA / "errors" / f"{case}.txt").read_bytes()
    exc = buildx.translate(DockerException(["docker", *args], 1, b"", stderr), "docker buildx bake --print")
    return bake_input_error(exc, args, [DATA / "groups.hcl"])


@pytest.mark.parametrize(
    ("case", "args", "message", "hint"),
    [
        ("broken", ["-f", "broken.hcl"],
         "bake file broken.hcl:4,1-2: Missing item separator; Expected a comma to mark the beginning of the next item.",
         "fix the file"),
        ("unknown_target", ["nope"], "no target or group 'nope' in",
         "targets: one, two, three; groups: default, all, fast, slow"),
        ("unknown_key", ["--set", "one.foo=1", "one"], "--set one.foo=1: unknown key 'foo'", "args.NAME"),
        ("unknown_set_target", ["--set", "nope.args.X=1", "one"], "--set nope.args.X=1: no target being built matches 'nope'",
         "name a target"),
        ("missing_file", ["-f", "missing.hcl"], "bake file missing.hcl not found", "-f PATH"),
    ],
)
def test_buildx_errors_become_one_input_line(case: str, args: list[str], message: str, hint: str) -> None:
    err = recorded_error(case, ["buildx", "bake", *args])
    assert isinstance(err, InputError) and err.exit_code == 2
    assert err.message.startswith(message) and "\n" not in err.message
    assert err.hint is not None and hint in err.hint


def test_contexts_are_checked_from_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = printed("bakefile_default")
    monkeypatch.chdir(ROOT)
    bake_plan.check_contexts(d)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match="target app: build context 'app' is not a directory here") as err:
        bake_plan.check_contexts(d)
    assert err.value.hint is not None and "repository root" in err.value.hint
    remote = BakeDefinition(target={"r": BakeTarget(context="https://github.com/docker/buildx.git#v0.13.1"),
                                    "s": BakeTarget(context="git@github.com:docker/buildx.git")})
    bake_plan.check_contexts(remote)
