"""``buildorch bake``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch.builds.rows import slowest_lines
from buildorch.cli import options
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import emit_json, output_lines, terminal_width


def bake(
    targets: Annotated[list[str] | None, typer.Argument(help="Targets or groups (default: the 'default' group).")] = None,
    file: Annotated[
        list[Path] | None,
        typer.Option("--file", "-f", help="Bake file; repeatable (default: bake's own, else bakefiles/docker-bake.hcl)."),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="TARGET.KEY=VALUE override, as buildx takes it; repeatable.")
    ] = None,
    var: Annotated[list[str] | None, typer.Option("--var", help="NAME=VALUE bake variable; repeatable.")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="Platforms for every target (os/arch, comma-separated or repeated).")
    ] = None,
    load: Annotated[bool, typer.Option("--load", help="Load the targets that set no output into Docker.")] = False,
    push: Annotated[bool, typer.Option("--push", help="Push the images (cache-only targets stay cache-only).")] = False,
    version: Annotated[
        str | None,
        typer.Option(help="VERSION: wins over the file's default (default: the file's, else git describe, else 0.0.0-dev)."),
    ] = None,
    build_time: Annotated[
        str | None,
        typer.Option(help="BUILD_TIME, RFC 3339: wins over the file's default (default: the file's, else the commit time)."),
    ] = None,
    cache: Annotated[
        str, typer.Option(help="local: a cache per target, unless the file sets one; none: only what the file sets.")
    ] = "local",
    cache_mode: options.CacheModeOpt = "max",
    cache_required: Annotated[
        bool,
        typer.Option("--cache-required", help="Fail when a target's cache cannot be written or exported "
                     "(default: warn, bake without it)."),
    ] = False,
    builder: options.BuilderOpt = None,
    progress: options.ProgressOpt = "auto",
    metadata_file: options.MetadataFileOpt = None,
    allow: Annotated[
        list[str] | None,
        typer.Option(help="Entitlement, as buildx bake takes it: fs.read=PATH for a path outside this directory; repeatable."),
    ] = None,
    json_out: options.JsonOpt = False,
    report: options.ReportOpt = None,
    dotenv: options.DotenvOpt = None,
    meta: options.MetaOpt = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would run and what buildorch changes (old -> new); write nothing.")
    ] = False,
) -> None:
    """Build the targets of a buildx bake file, with VERSION/BUILD_TIME and a cache per target; one result each.

    Example: buildorch bake -f bakefiles/docker-bake.hcl release --version 1.2.3 --push
    """
    if not meta:  # the --print that planning asks for starts now, while the models load (bakes/printing.py)
        from buildorch.bakes.printing import start_early

        start_early(targets=targets or [], files=file or [], overrides=set_ or [], variables=var or [],
                    platforms=platform or [], push=push, version=version, build_time=build_time, builder=builder)  # fmt: skip
    from buildorch.bakes.models import BakeSpec
    from buildorch.builds.spec import parse_pairs

    if meta:  # metadata-action's way: its bake file after the user's, for targets inheriting docker-metadata-action
        file, version = meta_bake_file(file or [], version)
    spec = validated(
        BakeSpec,
        targets=targets or [],
        files=file or [],
        overrides=set_ or [],
        variables=pairs(parse_pairs, var, "bake variable"),
        platforms=platform or [],
        load=load,
        push=push,
        version=version,
        build_time=build_time,
        cache=cache,
        cache_mode=cache_mode,
        cache_required=cache_required,
        builder=builder,
        progress=progress,
        metadata_file=metadata_file,
        allow=allow or [],
    )
    for path, option in ((metadata_file, "--metadata-file"), (report, "--report"), (dotenv, "--dotenv")):
        options.output_file(path, option)
    from buildorch.bakes.runner import plan_bake, run_plan

    plan = plan_bake(spec)
    if dry_run:
        shown = plan.report()
        if json_out:
            emit_json(shown)
            return
        typer.echo(shown["command"])
        emit_json(shown["definition"])
        typer.echo(f"buildorch changes, relative to `{shown['compared_with']}`:")
        for line in injected_lines(shown["injected"]):
            typer.echo(f"  {line}")
        return
    results = run_plan(plan)
    from buildorch.cli.report import show_result

    data = {name: r.model_dump(mode="json") for name, r in results.items()}
    show_result(report, json_out, data, lambda: summary_lines(results), "bake", dotenv)


def injected_lines(injected: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """``app.args.VERSION: "6.4.1" -> "7.0.0"``: one line per changed field (``(none)`` where bake had no value)."""
    out = []
    for target, fields in injected.items():
        for key, change in fields.items():
            old = "(none)" if change["old"] is None else json.dumps(change["old"])
            out.append(f"{target}.{key}: {old} -> {json.dumps(change['new'])}")
    return out or ["(nothing: what runs is plain bake's definition)"]


def summary_lines(results: dict[str, Any]) -> list[str]:
    """The closing lines of ``buildorch bake``: one block per target."""
    width = max((len(n) for n in results), default=0)
    lines = []
    for name, r in results.items():
        plats = ", ".join(r.platforms) or "host platform"
        lines.append(
            f"{name:<{width}}  {plats}: {r.steps_cached}/{r.steps_total} steps cached, {r.duration_seconds:.1f}s"
            + (f", VERSION={r.version}" if r.version else "")
        )
        lines += output_lines(r, f"{'':<{width}}  ")
    return lines + slowest_lines([(name, s) for name, r in results.items() for s in r.steps], "", terminal_width())


def meta_bake_file(files: list[Path], version: str | None) -> tuple[list[Path], str | None]:
    """``bake --meta``: the files plus ``.buildorch/meta/bake.json``, and the version (unless given)."""
    from buildorch.cli.meta import from_environment, write_json
    from buildorch.core.errors import InputError

    if not files:
        raise InputError("bake --meta needs the bake file named with -f", "targets inherit \"docker-metadata-action\" from it")
    found = from_environment(Path("."))
    out = Path(".buildorch") / "meta" / "bake.json"
    write_json(out, found.bake_file())
    return [*files, out], version or found.version
