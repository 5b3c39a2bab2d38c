"""``buildorch doctor``."""

from __future__ import annotations

from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json


def doctor(
    json_out: JsonOpt = False,
    registry: Annotated[
        str, typer.Option(help="Registry address to probe.", callback=options.registry_address)
    ] = "localhost:5000",
    builder: Annotated[
        str | None, typer.Option(help="Builder to check (default: the current one).", callback=options.builder_name)
    ] = None,
) -> None:
    """Check the engine, buildx, the builder, the containerd image store, QEMU, the registry, Docker's config and tools.

    Exits 1 when a required check fails; each failing line says what to do. With the engine
    down the other checks still run, and those that need it say "skip".
    """
    from buildorch.diagnosis import doctor as run_doctor

    report = run_doctor(registry=registry, builder=builder)
    if json_out:
        emit_json(report.to_json())
    else:
        for c in report.checks:
            mark = "ok  " if c.ok else "skip" if c.skipped else "FAIL" if c.required else "warn"
            typer.echo(f"{mark} {c.name:<17} {c.detail}")
            if not c.ok and c.fix:
                typer.echo(f"     {'':<17} -> {c.fix}")
    if not report.ok:  # the report went to stdout; stderr says it failed, in one line, as every command does
        from buildorch.core.errors import BuildorchError

        failed = [c.name for c in report.checks if not c.ok and c.required]
        raise BuildorchError(f"doctor: {len(failed)} required check(s) failed: {', '.join(failed)}",
                             "each FAIL line above says what to do")  # fmt: skip
