"""``buildorch debug``."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli.options import BuildArgOpt, DockerfileOpt, JsonOpt, KeepOpt, ProgressOpt, VersionOpt, pairs, validated
from buildorch.cli.render import emit_json
from buildorch.core import csvspec
from buildorch.core.errors import InputError


def split_args(args: list[str]) -> tuple[Path, list[str]]:
    """``[CONTEXT] [CMD...]``: the first word is the context when it is a directory (click drops the ``--``)."""
    if args and Path(args[0]).is_dir():
        return Path(args[0]), args[1:]
    return Path("."), args


def debug(
    args: Annotated[
        list[str] | None, typer.Argument(metavar="[CONTEXT] [-- CMD...]", help="Build context directory, then the command.")
    ] = None,
    target: Annotated[str | None, typer.Option(help="Stage to build and debug (builder, test, runtime...).")] = None,
    platform: Annotated[
        list[str] | None,
        typer.Option(help="Platform, e.g. linux/arm64 (QEMU when foreign); repeatable: CMD runs on each. Default: builder's."),
    ] = None,
    file: DockerfileOpt = None,
    build_arg: BuildArgOpt = None,
    version: VersionOpt = None,
    export: Annotated[
        Path | None, typer.Option(help="Write the stage's filesystem to this directory instead of running anything.")
    ] = None,
    keep: KeepOpt = False,
    user: Annotated[str | None, typer.Option(help="Run as this user (e.g. 0 for root), instead of the image's USER.")] = None,
    cache: Annotated[str, typer.Option(help="Cache: auto, local[:DIR], registry[:REF], inline or none.")] = "auto",
    progress: ProgressOpt = "auto",
    json_out: JsonOpt = False,
) -> None:
    """Build one stage, then run CMD in it, open a shell (on a terminal), or --export its files.

    The exit code is CMD's. Examples:

      buildorch debug app --target builder -- ls -la /build/main

      buildorch debug app --target builder --platform linux/arm64 -- /build/main -version

      buildorch debug app --target builder --platform linux/amd64 --platform linux/arm64 -- /build/main -version

      buildorch debug app --target runtime --export out/
    """
    from buildorch.builds.spec import BuildSpec, CachePolicy, parse_pairs
    from buildorch.core import platforms
    from buildorch.engine.containers import throwaway_tag

    context, command = split_args(args or [])
    plats: list[str] = validated(platforms.parse_list, platform or [])
    if not target:
        raise InputError("--target STAGE is required", "name the stage to debug, e.g. --target builder")
    if user is not None and (not user.strip() or not user.isprintable()):
        raise InputError(f"--user {user!r}: give a user name or UID[:GID], e.g. 0 or nobody")
    if export is not None and export.exists() and not export.is_dir():
        raise InputError(f"--export {export} is a file: give a directory (it is created if missing)")
    if export is not None and command:
        raise InputError("--export writes files and runs nothing: drop the command, or drop --export")
    if json_out and export is None and not command:
        raise InputError("--json needs a command after -- (its output goes into the JSON), or --export DIR")
    common = dict(
        context=context,
        dockerfile=file,
        target=target,
        platforms=plats,
        build_args=pairs(parse_pairs, build_arg, "build arg"),
        version=version,
        progress=progress,
        cache=validated(CachePolicy.parse, cache),
    )
    # The target first: a wrong one lists the stages (the throwaway tag is made from the stage's name).
    common["target"] = validated(BuildSpec, **common).target
    if export is not None:
        from buildorch.inspect.debug import export_stage

        # BuildKit's local output creates the directory: nothing is made before the build starts.
        spec = validated(BuildSpec, **common, output=csvspec.spec(("type", "local"), ("dest", export)))
        outcome = export_stage(spec, export)
        if json_out:
            emit_json(outcome.model_dump(mode="json"))
        else:
            typer.echo(f"exported stage {spec.target} ({outcome.platform or 'builder default platform'}) to {export}: "
                       f"{outcome.exported_files} files")
        return
    if len(plats) > 1 and not command:
        raise InputError(f"a shell opens on one platform, not {len(plats)}", "give one --platform, or a command after --")
    from buildorch.inspect.debug import debug_stage

    outcomes = []
    # One platform after the other: each is its own image (a tag per platform) and its own run.
    each: list[str | None] = [*plats] if plats else [None]
    for plat in each:
        tag = throwaway_tag("buildorch-debug", context, str(common["target"]) + (f"-{platforms.arch_of(plat)}" if plat else ""))
        spec = validated(BuildSpec, **{**common, "platforms": [plat] if plat else []}, tags=[tag], load=True)
        call = shlex.join(["buildorch", "debug", str(context), "--target", spec.target or target]
                          + (["--platform", plat] if plat else []) + (["-f", str(file)] if file else []))
        if len(plats) > 1 and not json_out:
            typer.echo(f"== {plat}", err=True)
        outcomes.append(
            debug_stage(spec, command, interactive=sys.stdin.isatty(), capture=json_out, user=user, keep=keep, call=call)
        )
    if json_out:
        emit_json(outcomes[0].model_dump(mode="json") if len(outcomes) == 1 else [o.model_dump(mode="json") for o in outcomes])
    raise typer.Exit(next((o.exit_code for o in outcomes if o.exit_code), 0))
