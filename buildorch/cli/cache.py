"""``buildorch cache ls|du|prune``: what the caches hold, and making them smaller."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from buildorch.cli import options
from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json
from buildorch.core.errors import InputError
from buildorch.core.units import human_size, parse_duration, parse_size

app = typer.Typer(
    help="Inspect and prune build caches: the project's exported caches and the builder's own.", no_args_is_help=True
)


@app.command("ls")
def ls(json_out: JsonOpt = False) -> None:
    """List the project's local caches (.buildorch/cache/) and the registry caches builds used."""
    from buildorch.builds.cache_usage import list_local, list_registry

    local, registry = list_local(), list_registry()
    if json_out:
        emit_json({"local": [c.model_dump() for c in local], "registry": [r.model_dump() for r in registry]})
        return
    if not local and not registry:
        typer.echo("no caches yet: a build exports one to .buildorch/cache/<context>-<target>/")
    for c in local:
        state = c.state.upper() if c.state in ("damaged", "stale") else c.state
        mode = f"mode={c.mode}" if c.mode else ""
        typer.echo(f"local     {c.name:<40} {human_size(c.size_bytes):>10}  {c.layers:>3} layers  "
                   f"{c.age_seconds // 60:>5} min old  {mode:<8}  {state}")
    for r in registry:
        typer.echo(f"registry  {r.ref}")


@app.command("du")
def du(
    json_out: JsonOpt = False,
    builder: Annotated[
        str | None, typer.Option(help="Builder (default: the current one).", callback=options.builder_name)
    ] = None,
    top: Annotated[int, typer.Option(help="Show the N largest records.", min=1)] = 10,
) -> None:
    """The builder's own cache (BuildKit records, as `docker buildx du` reports them)."""
    from buildorch.builds.cache_usage import builder_usage

    usage = builder_usage(builder)
    if json_out:
        emit_json(usage.model_dump())
        return
    typer.echo(f"builder cache: {human_size(usage.total_bytes)} in {len(usage.records)} records, "
               f"{human_size(usage.reclaimable_bytes)} reclaimable")
    for r in sorted(usage.records, key=lambda r: -r.size_bytes)[:top]:
        flag = "reclaimable" if r.reclaimable else "in use     "
        typer.echo(f"  {human_size(r.size_bytes):>10}  {flag}  {r.description[:90]}")


@app.command("prune")
def prune(
    local: Annotated[bool, typer.Option("--local", help="Prune the project's local caches.")] = False,
    builder_cache: Annotated[bool, typer.Option("--builder-cache", help="Prune the current builder's cache.")] = False,
    builder: Annotated[
        str | None, typer.Option(
            "--builder", help="Prune this builder's cache (as docker buildx prune --builder NAME).", callback=options.builder_name
        )
    ] = None,
    older_than: Annotated[str | None, typer.Option(help="Only what was last used longer ago than this (30m, 24h, 7d).")] = None,
    keep_storage: Annotated[str | None, typer.Option(help="Keep at most this much (500MB, 2GB), oldest go first.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would go, remove nothing.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Do not ask before pruning a builder's cache or several local caches.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove caches and say how much that frees. Without --local, --builder-cache or --builder NAME, both.

    Leftover staging and damaged local caches always go. Nothing in use is removed.
    Pruning a builder's cache (shared by every build on it) or more than one local
    cache asks first on a terminal; elsewhere it needs --yes (exit 2 otherwise).
    """
    from buildorch.builds.cache_usage import prune_builder, prune_local

    for value, option in ((older_than, "--older-than"), (keep_storage, "--keep-storage")):
        if value is not None and not value.strip():  # '' is not "no filter": it would prune everything
            raise InputError(f"{option} is empty: give e.g. 24h or 2GB, or leave it out")
    try:
        age = parse_duration(older_than) if older_than else None
        keep = parse_size(keep_storage) if keep_storage else None
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    builder_cache = builder_cache or builder is not None
    both = not local and not builder_cache
    if not dry_run and not yes:
        _confirm(prune_local(age, keep, dry_run=True) if local or both else [], builder if builder_cache or both else False)
    report: dict[str, object] = {"dry_run": dry_run}
    verb = "would free" if dry_run else "freed"
    if local or both:
        gone = prune_local(age, keep, dry_run)
        freed = sum(c.size_bytes for c in gone)
        report["local"] = {"removed": [c.path for c in gone], "bytes": freed}
        if not json_out:
            for c in gone:
                typer.echo(f"{'would remove' if dry_run else 'removed'} {c.path} ({human_size(c.size_bytes)})")
            typer.echo(f"local caches: {verb} {human_size(freed)}")
    if builder_cache or both:
        res = prune_builder(age, keep, dry_run, builder)
        report["builder"] = res
        if not json_out:
            est = " (estimate)" if res.get("estimated") else ""
            typer.echo(f"builder cache: {verb} {human_size(int(str(res['bytes'])))} in {res['records']} records{est}")
    if json_out:
        emit_json(report)


def _confirm(local: list[Any], builder: str | bool | None) -> None:
    """Ask before a prune that is hard to undo: a builder's cache (every build on it starts cold) or several caches.

    ``builder`` is False when the builder's cache is not pruned, None for the current builder.
    """
    what = []
    if len(local) > 1:
        what.append(f"{len(local)} local caches ({human_size(sum(c.size_bytes for c in local))})")
    if builder is not False:
        what.append(f"the build cache of builder {builder}" if builder else "the current builder's build cache")
    if not what:
        return
    question = f"remove {' and '.join(what)}?"
    if not sys.stdin.isatty():
        raise InputError(f"cache prune would {question[:-1]}: pass --yes to do it", "--dry-run lists what would go")
    if not typer.confirm(question[0].upper() + question[1:], default=False, err=True):
        raise typer.Exit(1)
