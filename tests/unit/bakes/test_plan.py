"""What ``buildorch bake`` adds, whose VERSION wins, the file that runs, and how buildx's complaints read (no Docker).

buildx is replaced by the prints recorded from buildx 0.13.1 (tests/data/bake/record.sh):
the same file printed with and without the variables buildorch passes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from python_on_whales.exceptions import DockerException

from buildorch.bakes import plan as bake_plan
from buildorch.bakes import runner as bake_runner
from buildorch.bakes.input_errors import bake_input_error, names_in
from buildorch.bakes.models import BakeDefinition, BakeSpec, BakeTarget
from buildorch.bakes.plan import TargetPlan, apply_injections, default_files, injections, plan_bake
from buildorch.builds import cache
from buildorch.core.errors import InputError
from buildorch.core.versioning import VersionInfo
from buildorch.engine import buildx
from tests.recorded import BAKE_DATA as DATA
from tests.recorded import ROOT

VINFO = VersionInfo("1.2.3", "2026-01-02T03:04:05Z", 1767323045, "explicit", "explicit")
DERIVED = VersionInfo("9.9.9-derived", "2026-05-06T07:08:09Z", 1778051289, "git", "git")


def printed(name: str) -> BakeDefinition:
    return BakeDefinition.model_validate_json((DATA / f"{name}.print.json").read_text())


@pytest.fixture(autouse=True)
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(d))
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 13, 1))  # these tests count the docker calls
    for name in ("VERSION", "BUILD_TIME"):
        monkeypatch.delenv(name, raising=False)
    return d


def valid_cache(d: Path) -> None:
    (d / "blobs" / "sha256").mkdir(parents=True)
    (d / "index.json").write_text(json.dumps({"manifests": [{"digest": "sha256:" + "0" * 64}]}))


class FakeBuildx:
    """``buildx.run`` answering ``--print`` from recordings: ``prints(args, env)`` names the recording."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, choose: Any, derived: VersionInfo = DERIVED) -> None:
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.choose = choose
        monkeypatch.setattr(buildx, "run", self.run)
        monkeypatch.setattr(bake_plan, "resolve_version", self.resolve)
        monkeypatch.setattr(buildx, "buildx_version", lambda: "github.com/docker/buildx 0.13.1+ds1 0.13.1+ds1-3")
        self.derived = derived

    def run(self, args: list[str], *, what: str | None = None, env: dict[str, str] | None = None) -> str:
        self.calls.append((list(args), dict(env or {})))
        seen = {**os.environ, **(env or {})}  # bake reads the process environment too
        out: str = self.choose(args, seen).model_dump_json(by_alias=True, exclude_unset=True)
        return out

    def resolve(self, context: Path, version: str | None, build_time: str | None) -> VersionInfo:
        d = self.derived
        return VersionInfo(version or d.version, build_time or d.build_time, d.source_date_epoch, "git", "git")


def precedence(args: list[str], env: dict[str, str]) -> BakeDefinition:
    d = printed("precedence_user" if env.get("VERSION") == "7.0.0" else "precedence")
    if env.get("BUILD_TIME"):  # what buildx prints with BUILD_TIME set: the one arg that uses it
        d.target["pinned"].args["BUILD_TIME"] = env["BUILD_TIME"]
    return d


def test_the_files_default_version_wins_over_buildorchs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    fake = FakeBuildx(monkeypatch, precedence)
    plan = plan_bake(BakeSpec(files=[Path("precedence.hcl")], targets=["pinned", "bare", "plain"]))
    pinned, bare, plain = (plan.definition.target[n] for n in ("pinned", "bare", "plain"))
    assert pinned.args["VERSION"] == "6.4.1" and pinned.tags == ["example/pinned:6.4.1"]
    # BUILD_TIME's default is empty: the variable is filled (a second print), not only the arg
    assert plan.filled == ["BUILD_TIME"] and [env for _, env in fake.calls] == [{}, {"BUILD_TIME": DERIVED.build_time}]
    assert pinned.args["BUILD_TIME"] == DERIVED.build_time
    # "bare" passes no args, its Dockerfile declares ARG VERSION BUILD_TIME: buildorch's values, nothing else
    assert bare.args == {"BUILD_TIME": DERIVED.build_time, "VERSION": DERIVED.version}
    assert plain.args == {}  # its Dockerfile declares neither: nothing added, not even SOURCE_DATE_EPOCH
    report = plan.report()
    assert len(fake.calls) == 2  # the first print had no variables: it is plain bake's print
    assert report["injected"]["pinned"]["args.BUILD_TIME"] == {"old": "", "new": DERIVED.build_time}
    assert set(report["injected"]["pinned"]) == {"args.BUILD_TIME", "cache-to"}
    assert report["injected"]["bare"] == {
        "args.BUILD_TIME": {"old": None, "new": DERIVED.build_time},
        "args.VERSION": {"old": None, "new": DERIVED.version},
        "cache-to": {"old": None, "new": [f"type=local,dest={plan.targets['bare'].cache.staging_dir},mode=max"]},  # type: ignore[union-attr]
    }


@pytest.mark.parametrize("how", ["flag", "var", "environment"])
def test_a_version_the_user_gives_wins_and_injected_says_so(how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    fake = FakeBuildx(monkeypatch, precedence)
    if how == "environment":
        monkeypatch.setenv("VERSION", "7.0.0")  # as `VERSION=7.0.0 docker buildx bake` reads it
    spec = BakeSpec(files=[Path("precedence.hcl")], targets=["pinned", "bare"], cache="none",
                    version="7.0.0" if how == "flag" else None, variables={"VERSION": "7.0.0"} if how == "var" else {})
    plan = plan_bake(spec)
    assert plan.definition.target["pinned"].tags == ["example/pinned:7.0.0"]
    assert plan.definition.target["bare"].args["VERSION"] == "7.0.0"  # the user's value, not git describe
    assert plan.env.get("VERSION") == (None if how == "environment" else "7.0.0")
    injected = plan.report()["injected"]
    if how == "environment":  # plain bake reads the same environment: bake itself made that change
        assert "args.VERSION" not in injected.get("pinned", {})
    else:
        assert fake.calls[-1][1] == {}  # plain bake, compared with
        assert injected["pinned"]["args.VERSION"] == {"old": "6.4.1", "new": "7.0.0"}
        assert injected["pinned"]["tags"] == {"old": ["example/pinned:6.4.1"], "new": ["example/pinned:7.0.0"]}
    assert injected["bare"]["args.VERSION"] == {"old": None, "new": "7.0.0"}


def test_an_empty_default_is_filled_as_a_variable_tags_included(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    fake = FakeBuildx(monkeypatch, lambda a, env: printed("unpinned_filled" if env.get("VERSION") else "unpinned"),
                      derived=VINFO)
    plan = plan_bake(BakeSpec(files=[Path("unpinned.hcl")], targets=["app"], build_time=VINFO.build_time, cache="none"))
    assert plan.filled == ["VERSION"] and fake.calls[1][1] == {"BUILD_TIME": VINFO.build_time, "VERSION": "1.2.3"}
    app = plan.definition.target["app"]
    assert app.args["VERSION"] == "1.2.3" and app.tags == ["example/app:1.2.3"]


def test_timestamp_in_the_file_is_not_reported_as_a_change(monkeypatch: pytest.MonkeyPatch) -> None:
    # Recorded a second apart: the two prints differ in the label timestamp() makes.
    plain, user = printed("stamped"), printed("stamped_user")
    key = "org.opencontainers.image.created"
    assert plain.target["stamped"].model_extra["labels"][key] != user.target["stamped"].model_extra["labels"][key]  # type: ignore[index]
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: user if env.get("VERSION") == "7.0.0" else plain)
    plan = plan_bake(BakeSpec(files=[Path("stamped.hcl")], targets=["stamped"], version="7.0.0", cache="none"))
    first = plan.report()["injected"]
    assert set(first["stamped"]) == {"args.BUILD_TIME", "args.VERSION", "tags"}
    assert plan.report()["injected"] == first
    # what runs is the one print's value: the file that runs is not evaluated again
    ran = json.loads(plan.definition_file())["target"]["stamped"]
    assert ran["labels"][key] == user.target["stamped"].model_extra["labels"][key]  # type: ignore[index]


def test_the_file_that_runs_names_each_resolved_target_so_nothing_leaks(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: printed("chain"), derived=VINFO)
    valid_cache(cache_dir / "ctx-bake-parent")
    plan = plan_bake(BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time))
    ran = json.loads(plan.definition_file())["target"]
    assert sorted(ran) == ["child", "grandchild", "parent"] and not any("inherits" in t for t in ran.values())
    assert ran["parent"]["cache-from"] == [f"type=local,src={cache_dir}/ctx-bake-parent"]
    assert ran["parent"]["cache-to"][0].startswith(f"type=local,dest={cache_dir}/ctx-bake-parent.new-")
    # the children keep exactly their own caches: nothing of the parent's
    assert ran["child"]["cache-from"] == ["type=local,src=child-cache"] and "cache-to" not in ran["child"]
    assert ran["grandchild"]["cache-from"] == ["type=local,src=child-cache"] and ran["grandchild"]["cache-to"] == ["type=inline"]
    # bake reads JSON strings as templates: a literal ${...} or %{...} is escaped to stay literal
    assert ran["child"]["labels"]["example.literal"] == "$${NOT_A_VARIABLE} %%{not_a_directive}"
    argv = plan.argv("/tmp/def.json", "/tmp/meta.json")
    assert argv == ["buildx", "bake", "--file", "/tmp/def.json", "--progress", "rawjson", "--metadata-file", "/tmp/meta.json",
                    "child", "grandchild", "parent"]  # as --print lists them


def test_a_dry_run_writes_nothing_the_run_sets_a_damaged_cache_aside(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: printed("chain"), derived=VINFO)
    plan_bake(BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time)).report()
    assert not cache_dir.exists()  # the cache root is created by the run, not by planning
    damaged = cache_dir / "ctx-bake-parent"
    damaged.mkdir(parents=True)
    (damaged / "index.json").write_text("{broken")
    plan = plan_bake(BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time))
    assert sorted(p.name for p in cache_dir.iterdir()) == ["ctx-bake-parent"]
    assert any("is damaged" in w for w in plan.warnings)
    assert "cache-from" not in json.loads(plan.definition_file())["target"]["parent"]
    for c in [tp.cache for tp in plan.targets.values() if tp.cache]:
        cache.stage(c)  # what the run does first
        cache.discard(c)
    # the cache store's lock files (hidden) aside, only the damaged cache, set aside
    assert [p.name.split(".")[1].split("-")[0] for p in cache_dir.iterdir() if not p.name.startswith(".")] == ["corrupt"]


def test_the_run_files_are_private_and_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: printed("chain"), derived=VINFO)
    plan = plan_bake(BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time, cache="none"))
    with bake_runner.run_files(plan) as (definition, metadata):
        assert os.stat(definition).st_mode & 0o077 == 0 and json.loads(Path(definition).read_text())["target"]
        assert Path(metadata).is_file()
    assert not Path(definition).exists() and not Path(metadata).exists()


def test_metadata_action_values_stay_and_declared_args_are_added(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    tp = injections("build", printed("metadata").target["build"], VINFO, BakeSpec(cache="none"))
    assert tp.args == {"BUILD_TIME": VINFO.build_time, "VERSION": "1.2.3"}  # the Dockerfile declares both
    applied = apply_injections(printed("metadata"), {"build": tp}).target["build"]
    assert applied.args["DOCKER_META_VERSION"] == "6.4.1" and applied.tags[0] == "ghcr.io/example/app:6.4.1"


def test_a_local_cache_per_target_imported_only_when_valid(cache_dir: Path) -> None:
    t = BakeTarget(context="app", target="runtime")
    first = injections("app", t, VINFO, BakeSpec())
    live = cache_dir / "app-bake-app"
    assert first.cache is not None and first.cache.local_dir == live
    assert first.cache.cache_from == []
    assert first.cache.cache_to == [f"type=local,dest={live}.new-{os.getpid()},mode=max"]
    valid_cache(live)
    again = injections("app", t, VINFO, BakeSpec(cache_mode="min"))
    assert again.cache is not None and again.cache.cache_from == [f"type=local,src={live}"]
    assert again.cache.cache_to[0].endswith(",mode=min")
    other = injections("app-test", BakeTarget(context="app", target="test"), VINFO, BakeSpec())
    assert other.cache is not None and other.cache.local_dir == cache_dir / "app-bake-app-test"


def test_a_target_with_its_own_cache_keeps_it() -> None:
    for name in ("api", "api-debug"):  # api sets both; api-debug sets cache-from only
        tp = injections(name, printed("inherits").target[name], VINFO, BakeSpec())
        assert tp.cache is None


def test_cache_none_and_load(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    d = printed("bakefile_default")  # the file passes VERSION and BUILD_TIME; app/Dockerfile has no SOURCE_DATE_EPOCH
    spec = BakeSpec(cache="none", load=True)
    app, test = injections("app", d.target["app"], VINFO, spec), injections("app-test", d.target["app-test"], VINFO, spec)
    assert (app.args, app.cache, app.output) == ({}, None, ["type=docker"])
    assert (test.args, test.cache, test.output) == ({}, None, None)  # cacheonly stays


def test_additions_applied_here_equal_what_buildx_printed() -> None:
    # The recorded pair: the project's bake file printed plain, then with these values set (record.sh).
    c_app = cache.CachePlan(cache_from=["type=local,src=/cache/app-bake-app"],
                            cache_to=["type=local,dest=/cache/app-bake-app.new-1,mode=max"])
    c_test = cache.CachePlan(cache_to=["type=local,dest=/cache/app-bake-app-test.new-1,mode=max"])
    plans = {
        "app": TargetPlan(name="app", args={"SOURCE_DATE_EPOCH": "1767323045"}, cache=c_app),
        "app-test": TargetPlan(name="app-test", args={"SOURCE_DATE_EPOCH": "1767323045"}, cache=c_test),
    }
    applied = apply_injections(printed("bakefile_default"), plans)
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


def recorded_error(case: str, args: list[str], file: str = "groups.hcl") -> Any:
    stderr = (DATA / "errors" / f"{case}.txt").read_bytes()
    exc = buildx.translate(DockerException(["docker", *args], 1, b"", stderr), "docker buildx bake --print")
    return bake_input_error(exc, args, [DATA / file])


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


def test_a_group_including_itself_is_a_cycle() -> None:
    err = recorded_error("cycle", ["buildx", "bake", "-f", "cycle.hcl", "a"], file="cycle.hcl")
    assert isinstance(err, InputError)
    assert err.message.startswith("group 'a' includes itself: cycle a -> b -> a in ")
    assert "no target or group" not in err.message


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


def test_newer_buildx_is_granted_only_the_caches_buildorch_adds(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: printed("chain"), derived=VINFO)
    plan = plan_bake(BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time))
    assert plan.cache_dirs_outside() == [str(cache_dir)]  # only "parent" gets buildorch's cache
    assert plan.cache_dirs_outside(cwd=cache_dir.parent) == []  # under the current directory: bake allows it
    argv = plan.argv("/d.json", "/m.json", allow=plan.cache_dirs_outside())
    assert argv[2:6] == ["--allow", f"fs={cache_dir}", "--file", "/d.json"]
    for release, granted in (((0, 13, 1), []), ((0, 38, 2), [str(cache_dir)])):
        monkeypatch.setattr(buildx, "buildx_release", lambda r=release: r)
        assert bake_runner.entitlements(plan) == granted


def test_when_plain_bake_cannot_print_changes_are_shown_from_your_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)

    def choose(args: list[str], env: dict[str, str]) -> BakeDefinition:
        if env.get("VERSION") != "7.0.0":  # as a file whose variable validation needs a value would
            raise buildx.translate(DockerException(["docker", *args], 1, b"", b"ERROR: VERSION must be set\n"), "bake")
        return printed("precedence_user")

    FakeBuildx(monkeypatch, choose)
    plan = plan_bake(BakeSpec(files=[Path("precedence.hcl")], targets=["pinned"], version="7.0.0", cache="none"))
    report = plan.report()
    assert "args.VERSION" not in report["injected"].get("pinned", {})
    assert any("plain `docker buildx bake --print` fails (docker buildx bake: VERSION must be set)" in w
               for w in report["warnings"])


def test_the_file_escapes_only_what_this_buildx_printed_unescaped() -> None:
    # buildx 0.23+ prints args, labels, annotations, dockerfile-inline and extra-hosts values escaped already
    target = {"tags": ["a:${X}"], "args": {"${K}": "$${V}"}, "labels": {"l": "%%{d}"}, "dockerfile-inline": "$${I}"}
    new = json.loads(bake_plan.definition_text({"t": target}, print_escapes=True))["target"]["t"]
    assert new == {"tags": ["a:$${X}"], "args": {"$${K}": "$${V}"}, "labels": {"l": "%%{d}"}, "dockerfile-inline": "$${I}"}
    old = json.loads(bake_plan.definition_text({"t": target}))["target"]["t"]  # 0.13 printed them as they are
    assert old["args"] == {"$${K}": "$$${V}"} and old["labels"] == {"l": "%%%{d}"}


@pytest.mark.parametrize(
    ("line", "grant"),
    [
        ('ERROR: additional privileges requested: pass "--allow=fs.read=/tmp/x y" to grant', "fs.read=/tmp/x y"),
        ("ERROR: additional privileges requested: pass --allow=fs.read=/srv/ctx to grant", "fs.read=/srv/ctx"),
    ],
)
def test_buildx_asking_for_an_entitlement_is_a_bad_input_that_names_the_flag(line: str, grant: str) -> None:
    # buildx 0.17+ refuses a bake whose file names a path outside the current directory until it is granted.
    from buildorch.builds.failures import translate_failure
    from buildorch.builds.progress import ProgressTracker
    from buildorch.core.errors import BuildorchError

    t = ProgressTracker(started_at=0.0)
    t.feed(line + "\n")
    err = translate_failure(t, BuildorchError("docker buildx bake failed"))
    assert isinstance(err, InputError) and err.exit_code == 2
    assert grant in err.message and err.hint is not None and "--allow" in err.hint


def test_bake_allow_is_checked_and_passed_before_the_cache_grants(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="name the path"):
        BakeSpec(allow=["fs.read"])
    monkeypatch.chdir(DATA)
    FakeBuildx(monkeypatch, lambda a, env: printed("chain"), derived=VINFO)
    spec = BakeSpec(files=[Path("chain.hcl")], version="1.2.3", build_time=VINFO.build_time, allow=["fs.read=/srv/ctx"])
    plan = plan_bake(spec)
    argv = plan.argv("/d.json", "/m.json", allow=plan.cache_dirs_outside())
    assert argv[2:6] == ["--allow", "fs.read=/srv/ctx", "--allow", f"fs={cache_dir}"]
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 13, 1))
    with pytest.raises(InputError, match="needs buildx 0.17"):
        bake_runner.entitlements(plan)


def test_an_unwritable_cache_directory_is_a_warning_unless_the_cache_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(tmp_path / "file" / "cache"))
    t = BakeTarget(context="app", target="runtime")
    tp = injections("app", t, VINFO, BakeSpec())
    assert tp.cache is not None and tp.cache.cache_to == [] and "building without that cache" in tp.cache.warnings[0]
    with pytest.raises(InputError) as info:
        injections("app", t, VINFO, BakeSpec(cache_required=True))
    assert info.value.message == f"target app: cache directory {tmp_path / 'file' / 'cache'} is not writable"
    assert info.value.hint == "fix the cache, or drop --cache-required to bake without it"
