"""``buildorch inspect``."""

from __future__ import annotations

from typing import Annotated

import typer

from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json


def inspect(
    image: Annotated[str, typer.Argument(help="A local image (name:tag or id).")],
    platform: Annotated[
        str | None, typer.Option(help="Which platform of a multi-platform image (default: the host's, if it has it).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Show what an image holds: size, layers, config, files, OS packages, shell, the main executable's ELF facts.

    Reads the filesystem through `docker export`, so it works on FROM-scratch images with no shell.

    Example: buildorch inspect app:1.2.3 --platform linux/arm64
    """
    from buildorch.inspect.image import inspect_image

    report = inspect_image(image, platform)
    if json_out:
        emit_json(report.model_dump(mode="json"))
    else:
        from buildorch.cli.tables import print_report

        print_report(report)
