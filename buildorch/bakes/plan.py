"""From a bake request to the exact ``docker buildx bake`` command: resolve, derive, inject.

buildx stays the authority on what a bake file means. buildorch asks
``docker buildx bake --print`` for the resolved definition (variables,
functions, ``inherits``, ``matrix``, ``contexts`` with ``target:``), then adds
only what bake lacks:

* VERSION and BUILD_TIME, derived as for ``buildorch build``, are passed as
  bake *variables* (environment variables of ``docker buildx bake``), so a file
  that declares them (``args = { VERSION = VERSION }``) uses them; a target
  whose args lack VERSION, BUILD_TIME or SOURCE_DATE_EPOCH gets them with
  ``--set TARGET.args.NAME=VALUE``. An arg the file (or a --set) sets stays.
* a local cache per target (cache-from if valid, cache-to into a staging
  directory swapped in after success, see ``buildorch.builds.cache``), unless the
  target sets cache-from or cache-to itself.
* ``--load`` gives ``output=type=docker`` to the targets that set no output
  (plain ``bake --load`` would also load a ``type=cacheonly`` test target).

Everything is injected with ``--set`` rather than an extra ``-f override.json``:
bake merges files *before* it resolves ``inherits``, so an override of target A
also lands in every target that inherits from A (seen with buildx 0.13.1 on
tests/data/bake/inherits.hcl). ``--set`` applies to resolved targets, so
``--print`` then differs from plain bake by exactly the injected fields.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from buildorch.bakes.models import BakeDefinition, BakeSpec, BakeTarget, definition_diff
from buildorch.builds import cache
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core import versioning
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx
from buildorch.engine.git import resolve_version

# What ``docker buildx bake`` reads when no -f is given (buildx 0.13), in its order.
BAKE_DEFAULT_FILES = (
    "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
    "docker-bake.json", "docker-bake.override.json", "docker-bake.hcl", "docker-bake.override.hcl",
)
# buildorch's own fallback when the current directory has none of those.
FALLBACK_FILE = Path("bakefiles/docker-bake.hcl")
INJECTED_ARGS = ("VERSION", "BUILD_TIME", "SOURCE_DATE_EPOCH")
# The keys ``--set`` takes in buildx 0.13 (bake.go, Target.AddOverrides).
SET_KEYS = (
    "args.NAME", "labels.NAME", "contexts.NAME", "context", "dockerfile", "target", "tags", "platform", "output",
    "cache-from", "cache-to", "secrets", "ssh", "no-cache", "no-cache-filter", "pull", "push", "load",
    "shm-size", "ulimits", "annotations", "attest",
)


@dataclass
class TargetPlan:
    """What buildorch adds to one target."""

    name: str
    sets: list[str] = field(default_factory=list)  # "--set" values, "app.args.VERSION=1.2.3"
    cache: cache.CachePlan | None = None


@dataclass
class BakePlan:
    """The bake buildorch will run: the exact command, its environment, and both definitions."""

    spec: BakeSpec
    version: versioning.VersionInfo
    files: list[Path]
    env: dict[str, str]  # bake variables, passed as environment variables
    base_flags: list[str]  # ``buildx bake ...`` as the user asked (targets aside), without buildorch's additions
    baseline: BakeDefinition  # ``--print`` of base_args with env: plain bake
    definition: BakeDefinition  # baseline with buildorch's --set applied (apply_injections): what will run
    targets: dict[str, TargetPlan]
    metadata_file: Path
    warnings: list[str] = field(default_factory=list)

    @property
    def injected_sets(self) -> list[str]:
        return [s for tp in self.targets.values() for s in tp.sets]

    @property
    def base_args(self) -> list[str]:
        """Plain bake: what the user asked for, in bake's own terms."""
        return [*self.base_flags, *self.spec.targets]

    @property
    def argv(self) -> list[str]:
        """``docker`` argv (without ``docker``) of the real run."""
        sets = [a for s in self.injected_sets for a in ("--set", s)]
        allow = buildx.bake_allow_fs([str(cache.cache_root())])  # the local caches: buildx >= 0.19 asks
        return [
            *self.base_flags, *sets, *allow, "--progress", "rawjson", "--metadata-file", str(self.metadata_file),
            *self.spec.targets,
        ]

    def command_line(self, args: list[str] | None = None) -> str:
        env = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        return f"{env} {shlex.join(['docker', *(self.argv if args is None else args)])}".strip()

    def injected(self, definition: BakeDefinition | None = None) -> dict[str, dict[str, Any]]:
        """The fields buildorch adds, per target: ``definition`` minus ``baseline``."""
        return definition_diff(self.baseline, definition or self.definition)

    def printed_definition(self) -> BakeDefinition:
        """What buildx itself prints for the command that will run (one more ``--print``, for ``--dry-run``)."""
        sets = [a for s in self.injected_sets for a in ("--set", s)]
        return print_definition([*self.base_flags, *sets, *self.spec.targets], self.env, files=self.files)

    def report(self) -> dict[str, Any]:
        """What ``--dry-run`` prints: buildx's own word on the definition, not buildorch's reading of it."""
        printed = self.printed_definition()
        return {
            "command": self.command_line(),
            "variables": self.env,
            "definition": printed.dump(),
            "injected": self.injected(printed),
            "compared_with": self.command_line([*self.base_args, "--print"]),
            "warnings": self.warnings,
        }


def default_files(cwd: Path | None = None) -> list[Path]:
    """No -f: bake's own default files if the directory has one, else bakefiles/docker-bake.hcl if it exists."""
    here = cwd or Path(".")
    if any((here / n).is_file() for n in BAKE_DEFAULT_FILES):
        return []
    return [FALLBACK_FILE] if (here / FALLBACK_FILE).is_file() else []


def print_definition(args: list[str], env: dict[str, str], *, files: list[Path] | None = None) -> BakeDefinition:
    """``docker buildx bake ARGS --print``, validated; a bake error becomes one InputError line."""
    try:
        out = buildx.run([*args, "--print"], what="docker buildx bake --print", env=env)
    except EngineError:
        raise
    except BuildorchError as exc:
        raise bake_input_error(exc, args, files or []) from exc
    try:
        return BakeDefinition.model_validate(json.loads(out))
    except (ValueError, ValidationError) as exc:
        raise BuildorchError(
            "docker buildx bake --print printed a definition buildorch cannot read",
            "is this buildx supported? (checked with 0.13)",
            details=[str(exc).splitlines()[0]],
        ) from exc


def names_in(files: Iterable[Path]) -> tuple[list[str], list[str]]:
    """The (targets, groups) a bake file declares, for error hints only (buildx stays the parser).

    Names starting with ``_`` are left out: by convention they are only inherited.
    """
    targets: list[str] = []
    groups: list[str] = []
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        if f.suffix == ".json":
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            found = [("target", n) for n in doc.get("target") or {}] + [("group", n) for n in doc.get("group") or {}]
        else:
            found = re.findall(r'^\s*(target|group)\s+"([^"]+)"', text, re.M)
        for kind, name in found:
            bucket = targets if kind == "target" else groups
            if not name.startswith("_") and name not in bucket:
                bucket.append(name)
    return targets, groups


def bake_input_error(exc: BuildorchError, args: list[str], files: list[Path]) -> BuildorchError:
    """buildx's complaint about a bake file or its arguments, as one line that says what to do."""
    lines = [ln.strip() for ln in [*exc.details, exc.message] if ln.strip()]
    errors = [ln.split("ERROR:", 1)[1].strip() for ln in lines if "ERROR:" in ln]
    why = errors[-1] if errors else (lines[-1] if lines else exc.message)
    listed = files or [Path(n) for n in BAKE_DEFAULT_FILES if Path(n).is_file()]
    where = ", ".join(str(f) for f in listed) or "the bake files"
    if m := re.search(r"failed to find target (\S+)", why):
        targets, groups = names_in(listed)
        known = "; ".join(x for x in (f"targets: {', '.join(targets)}" if targets else "",
                                       f"groups: {', '.join(groups)}" if groups else "") if x)
        return InputError(f"no target or group {m.group(1)!r} in {where}", f"choose one of {known}" if known else None)
    if m := re.search(r"could not find any target matching '([^']*)'", why):
        pattern = m.group(1)
        sets = [a for a in args if a.startswith(f"{pattern}.")]
        return InputError(
            f"--set {sets[0] if sets else pattern + '...'}: no target being built matches {pattern!r}",
            "name a target of this bake (or * for all); --dry-run lists them",
        )
    if m := re.search(r"unknown key: (\S+)", why):
        key = m.group(1)
        sets = [a for a in args if re.match(rf"^[^.=]+\.{re.escape(key)}[.=]", a)]
        return InputError(
            f"--set {sets[0] if sets else '...' + key}: unknown key {key!r}", f"buildx knows: {', '.join(SET_KEYS)}"
        )
    if m := re.search(r"open (\S+): no such file or directory", why):
        return InputError(f"bake file {m.group(1)} not found", "pass -f PATH to an existing file")
    if "couldn't find a bake definition" in why:
        return InputError("no bake file here", f"pass -f FILE, or run where {FALLBACK_FILE} or docker-bake.hcl is")
    if m := re.match(r"(\S+?:\d+(?:,\d+(?:-\d+)?)?): (.*)", why):  # HCL diagnostics: "file.hcl:4,1-2: message"
        return InputError(f"bake file {m.group(1)}: {m.group(2)}", "fix the file; `docker buildx bake --print` shows the same")
    return InputError(f"docker buildx bake: {why}", "check the bake file and the --set/--var values")


def _base_flags(spec: BakeSpec, files: list[Path]) -> list[str]:
    args = ["buildx", "bake"]
    if spec.builder:
        args += ["--builder", spec.builder]
    for f in files:
        args += ["--file", str(f)]
    for s in spec.overrides:
        args += ["--set", s]
    for p in spec.platforms:  # repeated --set accumulate; one comma-joined value would print as one entry
        args += ["--set", f"*.platform={p}"]
    if spec.push:
        args.append("--push")  # bake's own --push keeps type=cacheonly targets cache-only
    return args


def _is_local(context: str) -> bool:
    """A directory context, not a Git/HTTP URL or stdin (buildx decides the same way, roughly)."""
    return context != "-" and "://" not in context and not context.startswith(("git@", "github.com/"))


def check_contexts(defn: BakeDefinition) -> None:
    """Every local context exists: bake resolves them from the current directory, not from the bake file's."""
    for name, t in defn.target.items():
        ctx = t.context or "."
        if _is_local(ctx) and not Path(ctx).is_dir():
            raise InputError(
                f"target {name}: build context {ctx!r} is not a directory here ({Path.cwd()})",
                "bake resolves contexts from the current directory: run where the bake file expects "
                "(the repository root for bakefiles/docker-bake.hcl), or --set '*.context=DIR'",
            )


def _version_context(defn: BakeDefinition) -> Path:
    """The directory VERSION is derived from: the first target's local context, else the current directory."""
    for t in defn.target.values():
        ctx = Path(t.context or ".")
        if ctx.is_dir():
            return ctx
    return Path(".")


def cache_plan_for(name: str, target: BakeTarget, mode: Literal["min", "max"]) -> cache.CachePlan:
    """A local cache for one bake target: ``cache.plan_cache`` on a BuildSpec-shaped view of it.

    ``model_construct`` skips BuildSpec's checks (Dockerfile path, stage): bake
    resolves those itself, relative to the context.
    """
    view = BuildSpec.model_construct(
        context=Path(target.context or "."),
        target=f"bake-{name}",  # directory <context>-bake-<target>: one per bake target
        tags=list(target.tags),
        push=False,
        cache=CachePolicy(kind="local", mode=mode),
    )
    return cache.plan_cache(view)


def injections(
    name: str, target: BakeTarget, vinfo: versioning.VersionInfo, spec: BakeSpec
) -> TargetPlan:
    """The ``--set`` values buildorch adds to one resolved target (never over what the file or the user set)."""
    tp = TargetPlan(name=name)
    values = {"VERSION": vinfo.version, "BUILD_TIME": vinfo.build_time, "SOURCE_DATE_EPOCH": str(vinfo.source_date_epoch)}
    for arg in INJECTED_ARGS:
        if arg not in target.args:
            tp.sets.append(f"{name}.args.{arg}={values[arg]}")
    if spec.cache == "local" and not target.cache_from and not target.cache_to:
        tp.cache = cache_plan_for(name, target, spec.cache_mode)
        tp.sets += [f"{name}.cache-from={c}" for c in tp.cache.cache_from]
        tp.sets += [f"{name}.cache-to={c}" for c in tp.cache.cache_to]
    if spec.load and not target.output:
        tp.sets.append(f"{name}.output=type=docker")
    return tp


def apply_injections(baseline: BakeDefinition, targets: dict[str, TargetPlan]) -> BakeDefinition:
    """``baseline`` with buildorch's ``--set`` values applied as buildx applies them (bake.go, AddOverrides).

    Only the keys :func:`injections` writes: ``args.NAME`` sets one arg (buildx prints args
    sorted); ``cache-from``, ``cache-to`` and ``output`` become the values given, in order
    (buildorch sets them only where the file set none). An integration test compares the
    result with buildx's own ``--print`` on real bake files.
    """
    out = baseline.model_copy(deep=True)
    for name, tp in targets.items():
        t = out.target[name]
        args = dict(t.args)
        lists: dict[str, list[str]] = {}
        for s in tp.sets:
            key, _, value = s.removeprefix(f"{name}.").partition("=")
            if key.startswith("args."):
                args[key.removeprefix("args.")] = value
            elif key in ("cache-from", "cache-to", "output"):
                lists.setdefault(key, []).append(value)
            else:  # a key injections() does not write: a bug here, not bad input
                raise AssertionError(f"apply_injections: unexpected --set {s}")
        if args != t.args:
            t.args = dict(sorted(args.items()))
        if "cache-from" in lists:
            t.cache_from = lists["cache-from"]
        if "cache-to" in lists:
            t.cache_to = lists["cache-to"]
        if "output" in lists:
            t.output = lists["output"]
    return out


def plan_bake(spec: BakeSpec) -> BakePlan:
    """Resolve the definition with buildx, derive version args, and decide what to inject.

    One ``bake --print`` when VERSION and BUILD_TIME are given (release scripts, CI), two
    otherwise (the first finds the context whose git history VERSION comes from). What
    will run is the baseline with buildorch's ``--set`` values applied here, not printed
    again: each ``--print`` is a buildx process (about 0.1 s) on every bake.
    """
    files = list(spec.files) or default_files()
    flags = _base_flags(spec, files)
    base = [*flags, *spec.targets]
    given = spec.explicit_version is not None and spec.explicit_build_time is not None
    first = None if given else print_definition(base, spec.variables, files=files)
    try:
        context = Path(".") if first is None else _version_context(first)
        vinfo = resolve_version(context, spec.explicit_version, spec.explicit_build_time)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    env = {**spec.variables, "VERSION": vinfo.version, "BUILD_TIME": vinfo.build_time}
    baseline = first if first is not None and env == spec.variables else print_definition(base, env, files=files)
    check_contexts(baseline)
    targets: dict[str, TargetPlan] = {}
    warnings: list[str] = []
    for name, target in baseline.target.items():
        try:
            targets[name] = injections(name, target, vinfo, spec)
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        c = targets[name].cache
        warnings += c.warnings if c else []
    definition = apply_injections(baseline, targets)
    meta = spec.metadata_file or Path(tempfile.gettempdir()) / f"buildorch-bake-metadata-{os.getpid()}.json"
    return BakePlan(
        spec=spec, version=vinfo, files=files, env=env, base_flags=flags, baseline=baseline,
        definition=definition, targets=targets, metadata_file=meta, warnings=warnings,
    )
