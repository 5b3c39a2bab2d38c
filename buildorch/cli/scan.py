"""``buildorch scan``: known vulnerabilities in an image's Go binaries (govulncheck, offline database)."""

from __future__ import annotations

from typing import Annotated

import typer

from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json


def scan(
    image: Annotated[str, typer.Argument(help="An image: local (name:tag) or in a registry (pulled, then removed).")],
    db: Annotated[
        str | None, typer.Option(help="Go vulnerability database: a directory (index/, ID/) or a URL.", envvar="BUILDORCH_VULNDB")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="Platform(s) to scan (default: every platform of the image).")
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Find the Go binaries of each platform and check them with govulncheck -mode=binary.

    Exit codes: 0 no known vulnerability; 2 bad input (no --db, not a database,
    no such image or platform); 7 vulnerabilities found (listed with their IDs).

    Example: buildorch scan localhost:5000/app:1.3.0 --db ./vulndb
    """
    import sys

    from buildorch.core.errors import VulnerabilitiesFound
    from buildorch.supply.scan import scan_image

    result = scan_image(image, db=db, platforms=platform or None, log=sys.stderr)
    if json_out:
        emit_json(result.model_dump(mode="json"))
    else:
        for p, binaries in result.binaries.items():
            noun = "binary" if len(binaries) == 1 else "binaries"
            typer.echo(f"{p}: {len(binaries)} Go {noun} {', '.join(binaries)}")
        for f in result.findings:
            reach = "called" if f.called else "linked"
            fixed = f.fixed or "-"
            typer.echo(f"{f.id}  {f.platform}  {f.binary}  {f.module}@{f.version} (fixed in {fixed})  {reach}  {f.summary}")
    if result.findings:
        noun = "vulnerability" if len(result.ids) == 1 else "vulnerabilities"
        raise VulnerabilitiesFound(f"{len(result.ids)} known {noun} in {image}: {', '.join(result.ids)}")
    if not json_out:
        typer.echo(f"no known vulnerabilities ({result.db})")
