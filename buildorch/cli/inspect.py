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
    sbom: Annotated[
        bool, typer.Option("--sbom", help="Print the SBOM's package table instead (syft; IMAGE may be an SPDX JSON file).")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Show what an image holds: size, layers, config, files, OS packages, shell, the main executable's ELF facts.

    Reads the filesystem through `docker export`, so it works on FROM-scratch images with no shell.

    Example: buildorch inspect app:1.2.3 --platform linux/arm64
    """
    from buildorch.cli.options import one_platform

    platform = one_platform(platform)
    if sbom:
        _sbom_table(image, platform, json_out)
        return
    from buildorch.inspect.image import inspect_image

    report = inspect_image(image, platform)
    if json_out:
        emit_json(report.model_dump(mode="json"))
    else:
        from buildorch.cli.tables import print_report

        print_report(report)


def _sbom_table(image: str, platform: str | None, json_out: bool) -> None:
    import tempfile
    from pathlib import Path

    from buildorch.supply import sbom

    if Path(image).is_file():
        doc = sbom.read(Path(image))
    else:
        from buildorch.core.errors import InputError
        from buildorch.core.references import check

        try:  # neither a file nor an image name: say so before syft is started on it
            check(image)
        except ValueError:
            raise InputError(f"{image} is neither an SPDX JSON file nor an image name") from None
        with tempfile.TemporaryDirectory(prefix="buildorch-sbom-") as tmp:
            doc = sbom.read(sbom.generate(sbom.source_of(image), Path(tmp) / "sbom.spdx.json", platform=platform))
    packages = sbom.packages(doc)
    if json_out:
        emit_json([vars(p) for p in packages])
        return
    width = max([len(p.name) for p in packages] + [4])
    typer.echo(f"{'TYPE':<10} {'NAME':<{width}} VERSION")
    for p in packages:
        typer.echo(f"{p.kind:<10} {p.name:<{width}} {p.version}")
    typer.echo(f"{len(packages)} packages ({doc.get('name', image)})")
