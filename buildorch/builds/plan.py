"""From a validated BuildSpec to the exact ``docker buildx build`` command(s)."""

from __future__ import annotations

import os
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from buildorch.builds import cache, reproducible
from buildorch.builds.spec import BuildSpec
from buildorch.core import platforms, references, secrets, versioning
from buildorch.core.dockerfile import read_stages
from buildorch.core.errors import InputError
from buildorch.engine.git import resolve_version

# load: into the engine's image store; push: to the tags' registries; output: the --output given;
# cache-only: several platforms and nowhere to load them (the result stays in the build cache).
Output = Literal["load", "push", "output", "cache-only"]


@dataclass
class Invocation:
    """One ``docker buildx build`` run."""

    argv: list[str]  # after "docker"
    platforms: list[str]
    tags: list[str]
    metadata_file: Path


@dataclass
class BuildPlan:
    """What buildorch will run for a spec, and the values it derived."""

    spec: BuildSpec
    version: versioning.VersionInfo
    build_args: dict[str, str]
    tags: list[str]
    output: Output
    cache: cache.CachePlan
    invocations: list[Invocation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rewrite_timestamps: bool = False  # rewrite-timestamp=true on the image/OCI output

    def command_lines(self) -> list[str]:
        return [shlex.join(["docker", *inv.argv]) for inv in self.invocations]


def default_tag(spec: BuildSpec, version: str) -> tuple[str, str | None]:
    """``app:1.2.3`` for ``buildorch build app``; ``app-builder:1.2.3`` for a non-final stage.

    The second value says what was changed to make a valid reference, when something was:
    a stage may be called ``a..b``, an image cannot (``app-a-b:1.2.3``).
    """
    ctx = spec.context.resolve().name or "image"
    name = references.name_component(ctx)
    changed = [f"the directory name {ctx!r}"] if name != ctx.lower() else []
    if spec.target:
        stages = read_stages(spec.dockerfile_path)
        if not stages or stages[-1].name != spec.target:
            part = references.name_component(spec.target)
            if part != spec.target:
                changed.append(f"the stage name {spec.target!r}")
            name = f"{name}-{part}"
    name = name[:200].rstrip("._-")
    tag = references.check(f"{name}:{versioning.tag_safe(version)}")
    note = None
    if changed:
        note = (f"default tag {tag}: {' and '.join(changed)} cannot be part of an image name as written; "
                "pass -t NAME:TAG to choose the tag")
    return tag, note


def plan_build(
    spec: BuildSpec, *, containerd_store: bool = True, metadata_dir: Path | None = None, driver: str | None = None
) -> BuildPlan:
    """Plan a build: derive version args, choose the output and cache, and write the argv.

    ``driver`` is the builder's buildx driver when known: pushed and exported images then
    get ``rewrite-timestamp=true`` where it can, or a warning where it cannot (#24).
    """
    try:
        vinfo = resolve_version(spec.context, spec.version, spec.build_time)
        cplan = cache.plan_cache(spec)
    except cache.CacheUnavailable as exc:
        raise InputError(str(exc), "fix the cache, or drop --cache-required to build without it") from exc
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    build_args = {
        "VERSION": vinfo.version,
        "BUILD_TIME": vinfo.build_time,
        "SOURCE_DATE_EPOCH": str(vinfo.source_date_epoch),
        **spec.build_args,  # an explicit --build-arg wins
    }
    n_plat = len(spec.platforms)
    warnings = list(cplan.warnings) + secrets.check_build_args(spec.build_args)  # names only: values were checked
    output: Output
    if spec.push:
        output = "push"
    elif spec.all_outputs:
        output = "output"
    elif spec.load or spec.load_per_platform or n_plat <= 1 or containerd_store:
        output = "load"
    else:
        output = "cache-only"
        warnings.append(
            f"{n_plat} platforms and no output given: the result stays in the build cache only; "
            "add --push, --output, or --load-per-platform (the containerd image store is off)"
        )
    if output == "load" and n_plat > 1 and not containerd_store and not spec.load_per_platform:
        raise InputError(
            f"--load of {n_plat} platforms needs Docker's containerd image store, which is off",
            "rerun with --load-per-platform (one tag per platform, e.g. app:1.2.3-arm64), or --push, "
            'or enable {"features": {"containerd-snapshotter": true}} in /etc/docker/daemon.json',
        )
    tags = list(spec.tags)
    if not tags and output == "load":
        tag, note = default_tag(spec, vinfo.version)
        tags = [tag]
        if note:
            warnings.append(note)

    meta_dir = metadata_dir or Path(tempfile.gettempdir())
    plan = BuildPlan(
        spec=spec, version=vinfo, build_args=build_args, tags=tags, output=output, cache=cplan, warnings=warnings
    )
    if driver is not None and output in ("push", "output"):
        plan.rewrite_timestamps, warn = reproducible.decide(driver, spec.output if output == "output" else None)
        if warn:
            warnings.append(reproducible.NOT_REPRODUCIBLE)
    if spec.load_per_platform and n_plat > 1:
        for p in spec.platforms:
            suffix = platforms.arch_of(p)
            ptags = [f"{t}-{suffix}" if ":" in t.rsplit("/", 1)[-1] else f"{t}:{suffix}" for t in tags]
            plan.invocations.append(_invocation(spec, plan, [p], ptags, meta_dir))
    else:
        plan.invocations.append(_invocation(spec, plan, spec.platforms, tags, meta_dir))
    return plan


def selection_args(spec: BuildSpec, plats: list[str]) -> list[str]:
    """What is built, and where: ``--builder``, ``--file``, ``--target``, ``--platform`` (a build and a ``--call`` share them)."""
    argv: list[str] = []
    if spec.builder:
        argv += ["--builder", spec.builder]
    if spec.dockerfile is not None:
        argv += ["--file", str(spec.dockerfile)]
    if spec.target:
        argv += ["--target", spec.target]
    if plats:
        argv += ["--platform", ",".join(plats)]
    return argv


def _invocation(spec: BuildSpec, plan: BuildPlan, plats: list[str], tags: list[str], meta_dir: Path) -> Invocation:
    meta = spec.metadata_file or meta_dir / f"buildorch-metadata-{os.getpid()}-{len(plan.invocations)}.json"
    argv = ["buildx", "build", *selection_args(spec, plats)]
    for t in tags:
        argv += ["--tag", t]
    for k, v in plan.build_args.items():
        argv += ["--build-arg", f"{k}={v}"]
    labels = dict(spec.labels)
    for k, v in labels.items():
        argv += ["--label", f"{k}={v}"]
    if plan.output == "load":
        argv.append("--load")
    elif plan.output == "push":
        argv += ["--output", reproducible.push_output()] if plan.rewrite_timestamps else ["--push"]
    elif plan.output == "output":
        for o in spec.all_outputs:
            argv += ["--output", reproducible.with_rewrite(o) if plan.rewrite_timestamps else o]
    for s in spec.secrets:
        argv += ["--secret", s]
    argv += _buildx_flags(spec)
    for c in plan.cache.cache_from:
        argv += ["--cache-from", c]
    for c in plan.cache.cache_to:
        argv += ["--cache-to", c]
    # Always rawjson: buildorch renders progress itself and counts cached steps from it.
    argv += ["--progress", "rawjson", "--metadata-file", str(meta)]
    argv += spec.buildx_args
    argv.append(str(spec.context))
    return Invocation(argv=argv, platforms=list(plats), tags=tags, metadata_file=meta)


def _buildx_flags(spec: BuildSpec) -> list[str]:
    """buildx's own flags, as the user gave them (checked by ``builds/flags``)."""
    argv: list[str] = []
    for v in spec.ssh:
        argv += ["--ssh", v]
    for name, value in spec.build_contexts.items():
        argv += ["--build-context", f"{name}={value}"]
    if spec.network:
        argv += ["--network", spec.network]
    for h in spec.add_hosts:
        argv += ["--add-host", h]
    for a in spec.allow:
        argv += ["--allow", a]
    if spec.no_cache:
        argv.append("--no-cache")
    for stage in spec.no_cache_filter:
        argv += ["--no-cache-filter", stage]
    if spec.pull:
        argv.append("--pull")
    for a in spec.annotations:
        argv += ["--annotation", a]
    for a in spec.attest:
        argv += ["--attest", a]
    if spec.sbom is not None:
        argv.append(f"--sbom={spec.sbom}")
    if spec.provenance is not None:
        value = spec.provenance if isinstance(spec.provenance, str) else str(spec.provenance).lower()
        argv.append(f"--provenance={value}")
    return argv
