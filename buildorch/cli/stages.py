"""``buildorch stages``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.render import emit_json


def stages(
    context: options.ContextArg = Path("."),
    file: options.DockerfileOpt = None,
    builder: options.BuilderOpt = None,
    local: Annotated[
        bool, typer.Option("--local", help="Read the file with buildorch's parser only (no BuildKit, no engine).")
    ] = False,
    json_out: options.JsonOpt = False,
) -> None:
    """List the stages of CONTEXT/Dockerfile: names, base images, platforms and ARGs, as BuildKit reads them.

    BuildKit is asked (buildx --call targets, or --print=targets on buildx 0.13); buildorch's
    own parser answers when it cannot be, and adds the ARGs. Example:

      buildorch stages app
    """
    from buildorch.builds.stages import list_stages
    from buildorch.cli.render import stages_table

    report = list_stages(context, file, builder=builder, local=local)
    if json_out:
        emit_json(report.model_dump(mode="json"))
        return
    for line in stages_table(report):
        typer.echo(line)
    for w in report.warnings:
        typer.echo(f"warning: {w}", err=True)
