"""A bake's ``docker buildx bake --print`` command, from plain values.

:func:`buildorch.bakes.plan.plan_bake` runs it to resolve the definition. ``buildorch bake``
starts the same command (:func:`start_early`) as soon as it has its options, before the
bake's models and planning modules load (about 90 ms of imports), and ``plan_bake``'s run
then takes that answer: the ``--print`` (0.04 s asked of the buildx plugin itself, see
:func:`buildorch.engine.docker_cli.buildx_plugin`; 0.11 s through the docker CLI) runs
meanwhile. ``--print`` changes nothing, so a guess that the validated spec does not
confirm (a platform normalised, a malformed ``--var``) is simply not read. This module
loads no pydantic model, so that starting it early costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from buildorch.engine import buildx

# What ``docker buildx bake`` reads when no -f is given (buildx 0.13), in its order.
BAKE_DEFAULT_FILES = (
    "compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
    "docker-bake.json", "docker-bake.override.json", "docker-bake.hcl", "docker-bake.override.hcl",
)  # fmt: skip
# buildorch's own fallback when the current directory has none of those.
FALLBACK_FILE = Path("bakefiles/docker-bake.hcl")


def default_files(cwd: Path | None = None) -> list[Path]:
    """No -f: bake's own default files if the directory has one, else bakefiles/docker-bake.hcl if it exists."""
    here = cwd or Path(".")
    if any((here / n).is_file() for n in BAKE_DEFAULT_FILES):
        return []
    return [FALLBACK_FILE] if (here / FALLBACK_FILE).is_file() else []


def print_flags(
    *, builder: str | None, files: Iterable[Path], overrides: Iterable[str], platforms: Iterable[str], push: bool
) -> list[str]:
    """``buildx bake`` and the flags every ``--print`` and the bake itself share (targets and ``--print`` follow)."""
    args = ["buildx", "bake"]
    if builder:
        args += ["--builder", builder]
    for f in files:
        args += ["--file", str(f)]
    for s in overrides:
        args += ["--set", s]
    for p in platforms:  # repeated --set accumulate; one comma-joined value would print as one entry
        args += ["--set", f"*.platform={p}"]
    if push:
        args.append("--push")  # bake's own --push keeps type=cacheonly targets cache-only
    return args


def print_env(variables: Mapping[str, str], version: str | None, build_time: str | None) -> dict[str, str]:
    """The bake variables buildorch passes for you: ``--var`` values, with ``--version``/``--build-time`` as theirs."""
    out = dict(variables)
    if version:
        out["VERSION"] = version
    if build_time:
        out["BUILD_TIME"] = build_time
    return out


def start_early(
    *,
    targets: list[str],
    files: list[Path],
    overrides: list[str],
    variables: list[str],
    platforms: list[str],
    push: bool,
    version: str | None,
    build_time: str | None,
    builder: str | None,
) -> None:
    """Start the ``--print`` that :func:`~buildorch.bakes.plan.plan_bake` will ask for, and ``buildx version``.

    From the options as typed: ``plan_bake`` computes its command from the validated spec, and
    takes this answer only when the two commands are the same.
    """
    buildx.drop_early()  # an earlier command's unread guesses (a process that runs several, as tests do)
    if any("=" not in v for v in variables):  # KEY alone reads the environment: left to the real parse
        return
    buildx.ask_buildx_version()
    flags = print_flags(builder=builder, files=files or default_files(), overrides=overrides, platforms=platforms, push=push)
    env = print_env(dict(v.split("=", 1) for v in variables), version, build_time)
    buildx.start_early([*flags, *targets, "--print"], env=env)
