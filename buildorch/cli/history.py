"""``buildorch history ls|show|rm``: the records builds, bakes and releases leave in .buildorch/history/."""

from __future__ import annotations

from typing import Annotated

import typer

from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json
from buildorch.core.errors import InputError
from buildorch.core.units import human_size

app = typer.Typer(help="List, show and remove build records (.buildorch/history/).", no_args_is_help=True)

RecordArg = Annotated[
    str | None, typer.Argument(help="Record id (or a unique prefix), last~N for N before the latest. Default: the latest.")
]


@app.command("ls")
def ls(json_out: JsonOpt = False) -> None:
    """List build records, oldest first."""
    from buildorch.builds import history

    recs = history.records()
    if json_out:
        emit_json([r.summary() for r in recs])
        return
    if not recs:
        typer.echo(f"no build records yet in {history.history_dir()}: buildorch build, bake and release write one")
    for r in recs:
        size = human_size(r.size_bytes) if r.size_bytes is not None else "-"
        typer.echo(f"{r.id:<52} {r.kind:<7} {r.version or '-':<22} {r.duration_seconds:>7.1f}s {size:>10}  "
                   f"{r.steps_cached}/{r.steps_total} cached")


@app.command("show")
def show(record: RecordArg = None, json_out: JsonOpt = False) -> None:
    """Show one record: its results and steps."""
    from buildorch.builds import history
    from buildorch.reports.markdown import render_markdown

    rec = history.find(record)
    if json_out:
        emit_json(history.record_json(rec))
        return
    typer.echo(render_markdown(rec, []), nl=False)


@app.command("rm")
def rm(
    records: Annotated[list[str] | None, typer.Argument(help="Record ids (or unique prefixes).")] = None,
    all_records: Annotated[bool, typer.Option("--all", help="Remove every record.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Remove build records."""
    from buildorch.builds import history

    if not records and not all_records:
        raise InputError("name the records to remove, or pass --all", hint="`buildorch history ls` lists them")
    gone = history.remove(records or [], everything=all_records)
    if json_out:
        emit_json({"removed": gone})
        return
    for g in gone:
        typer.echo(f"removed {g}")
