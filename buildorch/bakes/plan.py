"""From a bake request to the exact bake that runs: resolve once, decide, write the resolved definition.

buildx stays the authority on what a bake file means. buildorch asks
``docker buildx bake --print`` for the resolved definition (variables,
functions, ``inherits``, ``matrix``, ``contexts`` with ``target:``), then adds
only what bake lacks, never over a value the file or the user set:

* VERSION and BUILD_TIME by the rule of :mod:`buildorch.bakes.variables`: yours,
  else the file's default, else buildorch's derived value for what the file leaves
  empty, and as build args only for targets whose Dockerfile declares the ARG.
* a local cache per target (cache-from if valid, cache-to into a staging
  directory swapped in after success, see ``buildorch.builds.cache``), unless the
  target sets cache-from or cache-to itself.
* ``--load`` gives ``output=type=docker`` to the targets that set no output
  (plain ``bake --load`` would also load a ``type=cacheonly`` test target).

What runs is that printed definition with buildorch's additions, written to a
private JSON file and baked alone (``bake -f FILE TARGET...``). Neither ``--set``
nor an override file next to the user's files can do it: buildx applies both
*before* it resolves ``inherits`` (bake.go, ``Config.target``), so a value meant
for target A also reaches every target inheriting from A (cache-from lists are
even merged). The resolved definition has no ``inherits``, variables or
functions left, so it cannot leak, ``timestamp()`` is evaluated once, and the
dry run shows exactly what runs.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from buildorch.bakes import variables
from buildorch.bakes.input_errors import bake_input_error
from buildorch.bakes.models import BakeDefinition, BakeSpec, BakeTarget, definition_diff
from buildorch.bakes.printing import default_files as default_files
from buildorch.bakes.printing import print_flags
from buildorch.builds import cache
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core import versioning
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx
from buildorch.engine.git import resolve_version

# Shown in --dry-run's command: the real files are made (mkstemp) only when the bake runs.
DEFINITION_PLACEHOLDER = "$TMPDIR/buildorch-bake-XXXXXXXX.json"
METADATA_PLACEHOLDER = "$TMPDIR/buildorch-bake-metadata-XXXXXXXX.json"


@dataclass
class TargetPlan:
    """What buildorch adds to one resolved target."""

    name: str
    args: dict[str, str] = field(default_factory=dict)  # derived build args the Dockerfile declares
    cache: cache.CachePlan | None = None
    output: list[str] | None = None  # --load: type=docker for a target that sets no output

    @property
    def keys(self) -> list[str]:
        """The fields this plan sets, spelled as :func:`definition_diff` spells them."""
        out = [f"args.{k}" for k in self.args]
        if self.cache is not None:
            out += [k for k, v in (("cache-from", self.cache.cache_from), ("cache-to", self.cache.cache_to)) if v]
        return out + (["output"] if self.output is not None else [])


@dataclass
class BakePlan:
    """The bake buildorch will run: the resolved definition with its additions, and how it was obtained."""

    spec: BakeSpec
    version: versioning.VersionInfo
    files: list[Path]
    env: dict[str, str]  # bake variables passed for the --print: yours, then the ones buildorch filled
    base_flags: list[str]  # ``buildx bake ...`` as the user asked (targets aside)
    baseline: BakeDefinition  # the one --print the definition comes from, before buildorch's additions
    definition: BakeDefinition  # baseline with buildorch's additions (apply_injections): what will run
    targets: dict[str, TargetPlan]
    metadata_file: Path | None = None  # None: a private temporary file, removed after the run
    warnings: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)  # variables buildorch filled with its derived values
    plain: BakeDefinition | None = None  # plain ``docker buildx bake --print`` (no variables passed), when printed
    ran: list[str] | None = None  # the argv of the run, once it ran
    print_escapes: bool = False  # buildx 0.23+ prints some values template-escaped (see PRINT_ESCAPED)
    fallbacks: dict[str, str] = field(default_factory=dict)  # target -> why it ran without its cache export

    @property
    def base_args(self) -> list[str]:
        """Plain bake: what the user asked for, in bake's own terms."""
        return [*self.base_flags, *self.spec.targets]

    def argv(
        self, definition_file: str = DEFINITION_PLACEHOLDER, metadata_file: str | None = None, allow: Iterable[str] = ()
    ) -> list[str]:
        """``docker`` argv (without ``docker``) of the real run: the resolved definition, its targets named.

        ``allow``: directories to grant with ``--allow fs=DIR`` (buildx 0.17+, see :meth:`cache_dirs_outside`).
        """
        meta = metadata_file or (str(self.metadata_file) if self.metadata_file else METADATA_PLACEHOLDER)
        args = ["buildx", "bake"]
        if self.spec.builder:
            args += ["--builder", self.spec.builder]
        for entitlement in self.spec.allow:  # the user's grants, for paths the bake file names
            args += ["--allow", entitlement]
        for d in allow:
            args += ["--allow", f"fs={d}"]
        return [*args, "--file", definition_file, "--progress", "rawjson", "--metadata-file", meta, *self.definition.target]

    def cache_dirs_outside(self, cwd: Path | None = None) -> list[str]:
        """The directories of buildorch's local caches that lie outside the current directory.

        buildx 0.17+ asks for an ``fs.read``/``fs.write`` entitlement for a local cache
        outside the current directory (and refuses without a terminal). buildorch grants
        it for the caches it adds, never for a path the bake file names.
        """
        here = (cwd or Path.cwd()).resolve()
        out: list[str] = []
        for tp in self.targets.values():
            d = tp.cache.local_dir if tp.cache is not None else None
            if d is None:
                continue
            parent = d.parent.resolve()
            if parent != here and here not in parent.parents and str(parent) not in out:
                out.append(str(parent))
        return out

    def definition_file(self) -> str:
        """The JSON file that runs (:func:`definition_text` of the definition)."""
        return definition_text({n: t.dump() for n, t in self.definition.target.items()}, print_escapes=self.print_escapes)

    def command_line(self, args: list[str] | None = None, env: dict[str, str] | None = None) -> str:
        shown = " ".join(f"{k}={shlex.quote(v)}" for k, v in (env or {}).items())
        return f"{shown} {shlex.join(['docker', *(self.argv() if args is None else args)])}".strip()

    def injected(self, plain: BakeDefinition | None = None) -> dict[str, dict[str, dict[str, Any]]]:
        """What ``buildorch bake`` changes relative to ``plain`` (default: the one print), per target and field.

        A field buildorch adds is always listed; any other difference from ``plain`` only
        when it can come from a variable buildorch passed (:func:`variables.attributable`),
        so a ``timestamp()`` evaluated in two prints is not reported as a change.
        """
        base = plain or self.baseline
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for name, fields in definition_diff(base, self.definition).items():
            own = set(self.targets[name].keys) if name in self.targets else set()
            kept = {
                k: v for k, v in fields.items()
                if k in own or name not in base.target or variables.attributable(v["new"], self.env)
            }
            if kept:
                out[name] = kept
        return out

    def report(self) -> dict[str, Any]:
        """What ``--dry-run`` prints: what runs, and how it differs from plain ``docker buildx bake --print``."""
        plain = self.plain
        if plain is None and self.env:
            try:
                plain = print_definition([*self.base_args], {}, files=self.files)
            except InputError as exc:  # e.g. a variable validation the file states needs your --var
                self.warnings.append(f"plain `docker buildx bake --print` fails ({exc.message}): changes are shown "
                                     "relative to the definition with your variables")
        plain = self.plain = plain or self.baseline
        return {
            "command": self.command_line(),
            "variables": self.env,
            "filled": self.filled,
            "definition": self.definition.dump(),
            "print_escapes": self.print_escapes,
            "injected": self.injected(plain),
            "compared_with": self.command_line([*self.base_args, "--print"]),
            "warnings": self.warnings,
        }


# Fields whose values buildx 0.23+ prints template-escaped (``$${``, ``%%{``: bake.go, Target.MarshalJSON,
# "bake: keep escaped interpolation in print output"); map keys and every other field are printed as they are.
PRINT_ESCAPED = ("annotations", "args", "dockerfile-inline", "extra-hosts", "labels")
PRINT_ESCAPES_SINCE = (0, 23)


def definition_text(targets: dict[str, Any], *, print_escapes: bool = False) -> str:
    """A bake JSON file of resolved targets as ``--print`` dumps them, which bake reads back as the same targets.

    bake reads every JSON string (map keys too) as a template, so ``${`` and ``%{`` are
    escaped (``$${``) except where this buildx printed them escaped already (``print_escapes``).
    """
    return json.dumps({"target": {n: _target_text(t, print_escapes) for n, t in targets.items()}}, indent=2)


def _target_text(target: dict[str, Any], print_escapes: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in target.items():
        if print_escapes and key in PRINT_ESCAPED:
            out[key] = {_escaped(k): v for k, v in value.items()} if isinstance(value, dict) else value
        else:
            out[key] = _escaped(value)
    return out


def _escaped(value: Any) -> Any:
    """A value as bake reads it back from JSON: ``${`` and ``%{`` start templates there."""
    if isinstance(value, str):
        return value.replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {_escaped(k): _escaped(v) for k, v in value.items()}
    return value


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


def _base_flags(spec: BakeSpec, files: list[Path]) -> list[str]:
    return print_flags(builder=spec.builder, files=files, overrides=spec.overrides, platforms=spec.platforms, push=spec.push)


def check_contexts(defn: BakeDefinition) -> None:
    """Every local context exists: bake resolves them from the current directory, not from the bake file's."""
    for name, t in defn.target.items():
        ctx = t.context or "."
        if variables.is_local_context(ctx) and not Path(ctx).is_dir():
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


def _unwritable(d: Path) -> str | None:
    """Why the cache directory ``d`` could not be created or written, checked without writing anything."""
    p = d.parent
    while not p.exists() and p != p.parent:
        p = p.parent
    if not p.is_dir() or not os.access(p, os.W_OK | os.X_OK):
        return f"cache directory {d.parent} is not writable"
    return None


def cache_plan_for(name: str, target: BakeTarget, mode: Literal["min", "max"]) -> cache.CachePlan:
    """A local cache for one bake target, decided without touching the disk (a dry run writes nothing).

    The directory is ``cache.local_cache_dir`` of a BuildSpec-shaped view of the target
    (``<context>-bake-<target>``); the runner creates it, and sets a damaged one aside,
    just before the bake (:func:`buildorch.builds.cache_store.stage`).
    """
    view = BuildSpec.model_construct(context=Path(target.context or "."), target=f"bake-{name}", tags=list(target.tags))
    d = cache.local_cache_dir(view, CachePolicy(kind="local", mode=mode))
    problem = _unwritable(d)
    if problem:
        return cache.CachePlan(warnings=[f"{problem}; building without that cache"])
    staging = d.with_name(f"{d.name}.new-{os.getpid()}")
    plan = cache.CachePlan(local_dir=d, staging_dir=staging, mode=mode)
    if cache.local_cache_ok(d):
        plan.cache_from.append(cache.local_from(d))
    elif d.exists():
        plan.warnings.append(f"local cache {d} is damaged (no valid index.json): set aside before the bake; building cold")
    plan.cache_to.append(cache.local_to(staging, mode))
    return plan


def injections(name: str, target: BakeTarget, vinfo: versioning.VersionInfo, spec: BakeSpec) -> TargetPlan:
    """What buildorch adds to one resolved target (never over what the file or the user set)."""
    values = {"VERSION": vinfo.version, "BUILD_TIME": vinfo.build_time, "SOURCE_DATE_EPOCH": str(vinfo.source_date_epoch)}
    tp = TargetPlan(name=name, args=variables.args_to_fill(target, values))
    if spec.cache == "local" and not target.cache_from and not target.cache_to:
        tp.cache = cache_plan_for(name, target, spec.cache_mode)
        if spec.cache_required and tp.cache.local_dir is None:
            problem = tp.cache.warnings[0].split(";", 1)[0]
            raise InputError(f"target {name}: {problem}", "fix the cache, or drop --cache-required to bake without it")
    if spec.load and not target.output:
        tp.output = ["type=docker"]
    return tp


def apply_injections(
    baseline: BakeDefinition, targets: dict[str, TargetPlan], *, print_escapes: bool = False
) -> BakeDefinition:
    """``baseline`` with each target's additions, as buildx prints such a target (args sorted by name, escaped if it escapes)."""
    out = baseline.model_copy(deep=True)
    for name, tp in targets.items():
        t = out.target[name]
        if tp.args:
            added = {k: _escaped(v) if print_escapes else v for k, v in tp.args.items()}
            t.args = dict(sorted({**t.args, **added}.items()))
        if tp.cache is not None and tp.cache.cache_from:
            t.cache_from = list(tp.cache.cache_from)
        if tp.cache is not None and tp.cache.cache_to:
            t.cache_to = list(tp.cache.cache_to)
        if tp.output is not None:
            t.output = list(tp.output)
    return out


def plan_bake(spec: BakeSpec, environ: dict[str, str] | None = None) -> BakePlan:
    """Resolve the definition with buildx, apply the VERSION rule, and decide what to add.

    One ``bake --print`` with your variables; a second one only when the file declares
    VERSION or BUILD_TIME without a usable default and you gave none (the variable is
    then filled with the derived value, which may change tags as well as args).
    Nothing is written: caches are created when the bake runs.
    """
    env_now = dict(os.environ) if environ is None else environ
    buildx.ask_buildx_version()  # needed below (print_escapes); asked now, answered while --print runs (if not yet asked)
    files = list(spec.files) or default_files()
    flags = _base_flags(spec, files)
    base = [*flags, *spec.targets]
    given = variables.user_variables(spec)
    first = print_definition(base, given, files=files)
    explicit = {n: variables.user_value(n, spec, env_now) for n in variables.VERSION_VARIABLES}
    try:
        vinfo = resolve_version(_version_context(first), explicit["VERSION"], explicit["BUILD_TIME"])
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    fill = variables.variables_to_fill(first, spec, env_now)
    derived = {"VERSION": vinfo.version, "BUILD_TIME": vinfo.build_time}
    env = {**given, **{n: derived[n] for n in fill}}
    resolved = print_definition(base, env, files=files) if fill else first
    check_contexts(resolved)
    print_escapes = buildx.buildx_release() >= PRINT_ESCAPES_SINCE
    targets: dict[str, TargetPlan] = {}
    warnings: list[str] = []
    for name, target in resolved.target.items():
        targets[name] = injections(name, target, vinfo, spec)
        c = targets[name].cache
        warnings += c.warnings if c else []
    return BakePlan(
        spec=spec, version=vinfo, files=files, env=env, base_flags=flags, baseline=resolved,
        definition=apply_injections(resolved, targets, print_escapes=print_escapes), targets=targets,
        metadata_file=spec.metadata_file, warnings=warnings, filled=fill, plain=first if not given else None,
        print_escapes=print_escapes,
    )
