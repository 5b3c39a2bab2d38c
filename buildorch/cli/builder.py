"""``buildorch builder ls|inspect|create|rm|use|doctor``: buildx builders, declared in configuration."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json
from buildorch.core.errors import InputError

app = typer.Typer(
    help="Builders: create them from configuration (remote BuildKit nodes with TLS, kubernetes...), list, check, select.",
    no_args_is_help=True,
)

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="buildorch.toml or pyproject.toml declaring builders (default: the nearest one)."),
]


@app.command("ls")
def ls(json_out: JsonOpt = False) -> None:
    """List builders: driver, nodes, status, platforms; the current one and those buildorch created marked."""
    from buildorch.builders.ops import list_builders

    rows = list_builders()
    if json_out:
        emit_json([r.model_dump() for r in rows])
        return
    for r in rows:
        marks = ("*" if r.current else "") + (" (buildorch)" if r.created_by_buildorch else "")
        typer.echo(f"{r.name}{marks}  driver {r.driver}")
        for n in r.nodes:
            plats = ", ".join(n.get("platforms") or []) or "-"
            typer.echo(f"  {n['name']:<16} {n['endpoint']:<28} {n['status'] or '?':<9} {n['buildkit'] or '':<16} {plats}")


@app.command("inspect")
def inspect(name: Annotated[str, typer.Argument(help="Builder name.")], json_out: JsonOpt = False) -> None:
    """Show a builder's nodes: endpoint, status, BuildKit version, platforms (* = given at creation), TLS files."""
    from buildorch.builders.live import tls_state
    from buildorch.builders.ops import inspect_builder
    from buildorch.builders.state import created_by_buildorch

    live = inspect_builder(name)
    ours = live.name in created_by_buildorch()
    if json_out:
        emit_json({**live.model_dump(), "created_by_buildorch": ours, "tls": {n.name: tls_state(n) for n in live.nodes}})
        return
    typer.echo(f"{live.name}  driver {live.driver}" + ("  (created by buildorch)" if ours else ""))
    for n in live.nodes:
        pinned = set(n.pinned_platforms)
        plats = ", ".join(p + ("*" if p in pinned else "") for p in n.platforms) or "-"
        typer.echo(f"  {n.name}: {n.endpoint}  {n.status}  {n.buildkit}  TLS {tls_state(n)}")
        typer.echo(f"    platforms: {plats}")
        if n.error:
            typer.echo(f"    error: {n.error}")


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="Builder declared as [builders.NAME] / [tool.buildorch.builders.NAME].")],
    config: ConfigOpt = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="Allow network TCP endpoints without TLS client certificates (not recommended).")
    ] = False,
    use: Annotated[bool, typer.Option("--use", help="Also make it the current builder.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check the declaration, print the commands, run nothing.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Create a builder from its declaration: one `buildx create`, then `--append` per further node.

    Idempotent: an existing builder that matches is kept; one that differs is reported and left alone (exit 1).
    A remote TCP endpoint off loopback needs TLS (cacert, cert, key) unless --insecure is given.
    """
    from buildorch.builders.config import load_builders
    from buildorch.builders.ops import create_builder, use_builder

    declared = load_builders(config)
    if name not in declared:
        where = f" in {config}" if config else ""
        known = ", ".join(sorted(declared)) or "none"
        raise InputError(f"no builder {name!r} declared{where} (declared: {known})",
                         "declare it as [builders.NAME] in buildorch.toml or [tool.buildorch.builders.NAME] in pyproject.toml")
    outcome = create_builder(declared[name], insecure=insecure, dry_run=dry_run)
    for w in outcome.warnings:
        typer.echo(f"warning: {w}", err=True)
    previous = use_builder(name) if use and outcome.action in ("created", "exists") else None
    if json_out:
        emit_json({**outcome.model_dump(), "previous_builder": previous})
    else:
        _say_created(outcome, previous)
    if outcome.action == "differs":
        raise typer.Exit(1)


def _say_created(outcome: Any, previous: str | None) -> None:
    if outcome.action == "planned":
        for argv in outcome.commands:
            typer.echo(shlex.join(["docker", *argv]))
    elif outcome.action == "created":
        typer.echo(f"created builder {outcome.name} ({len(outcome.commands)} node(s))")
    elif outcome.action == "exists":
        typer.echo(f"builder {outcome.name} exists and matches its declaration: kept")
    else:
        typer.echo(f"builder {outcome.name} exists but differs from its declaration (left unchanged):", err=True)
        for d in outcome.differences:
            typer.echo(f"  - {d}", err=True)
        typer.echo(f"  hint: buildorch builder rm {outcome.name}, then create it again", err=True)
    if previous is not None:
        typer.echo(f"now using {outcome.name} (was {previous}; go back with: buildorch builder use {previous})")


@app.command("rm")
def rm(
    name: Annotated[str, typer.Argument(help="Builder name.")],
    force: Annotated[bool, typer.Option("--force", help="Remove it even if buildorch did not create it.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove a builder that buildorch created (others are refused unless --force)."""
    from buildorch.builders.ops import remove_builder

    msg = remove_builder(name, force=force)
    if json_out:
        emit_json({"name": name, "result": msg})
    else:
        typer.echo(msg)


@app.command("use")
def use(
    name: Annotated[str, typer.Argument(help="Builder name.")],
    default: Annotated[bool, typer.Option("--default", help="Make it the default for the current Docker context.")] = False,
    global_: Annotated[bool, typer.Option("--global", help="Use it whatever the Docker context.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Make NAME the builder `docker buildx build` (and buildorch) use when no --builder is given."""
    from buildorch.builders.ops import use_builder

    previous = use_builder(name, default=default, global_=global_)
    if json_out:
        emit_json({"current": name, "previous": previous})
    else:
        typer.echo(f"now using {name} (was {previous}; go back with: buildorch builder use {previous})")


@app.command("doctor")
def doctor(
    name: Annotated[str | None, typer.Argument(help="Builder name (default: the current one).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check every node of a builder: reachable, running, BuildKit version, platforms, TLS. Exit 1 if one fails."""
    from buildorch.builders.ops import check_builder

    report = check_builder(name)
    if json_out:
        emit_json(report.model_dump())
    else:
        typer.echo(f"builder {report.name} (driver {report.driver}): {'ok' if report.ok else 'FAIL'}")
        for n in report.nodes:
            mark = "ok  " if n.ok else "FAIL"
            typer.echo(f"{mark} {n.name:<14} {n.endpoint:<26} {n.status or '?':<9} BuildKit {n.buildkit or '?'}")
            pinned = ", ".join(n.pinned_platforms)
            typer.echo(f"     {'':<14} platforms {', '.join(n.platforms) or '-'}" + (f" (node for {pinned})" if pinned else ""))
            typer.echo(f"     {'':<14} TLS {n.tls}: {n.tls_detail}")
            for p in n.problems:
                typer.echo(f"     {'':<14} -> {p}")
    raise typer.Exit(0 if report.ok else 1)
