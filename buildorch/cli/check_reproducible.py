"""``buildorch check-reproducible``."""

from __future__ import annotations

from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.render import emit_json


def check_reproducible(
    context: options.ContextArg,
    file: options.DockerfileOpt = None,
    target: Annotated[str | None, typer.Option(help="Stage to build.")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="os/arch or os/arch/variant, comma-separated or repeated. Default: the builder's.")
    ] = None,
    build_arg: options.BuildArgOpt = None,
    version: options.VersionOpt = None,
    build_time: options.BuildTimeOpt = None,
    registry: Annotated[
        str,
        typer.Option(
            help="Registry both builds push to (a throwaway repository buildorch-repro-*).", callback=options.registry_address
        ),
    ] = "127.0.0.1:5000",
    json_out: options.JsonOpt = False,
) -> None:
    """Build CONTEXT twice from nothing and compare the per-platform manifest digests.

    Each build runs on its own throwaway docker-container builder (no cache, no shared
    cache mounts), one after the other, and pushes to the registry without provenance.
    When a platform differs, the first difference is named: layer, file and attribute
    (mtime, uid, gid, mode, content...), and the image config fields that differ.
    Exits 0 when reproducible, 5 when not. Example:

      buildorch check-reproducible app --platform linux/amd64,linux/arm64
    """
    from buildorch.builds.spec import BuildSpec, parse_pairs
    from buildorch.repro.check import check, raise_if_differs

    spec = options.validated(
        BuildSpec,
        context=context,
        dockerfile=file,
        target=target,
        platforms=platform or [],
        build_args=options.pairs(parse_pairs, build_arg, "build arg"),
        version=version,
        build_time=build_time,
    )
    result = check(spec, registry_addr=registry)
    if json_out:
        emit_json(result.model_dump(mode="json"))
    else:
        for p in result.platforms:
            mark = "same" if result.first.get(p) == result.second.get(p) else "DIFFERENT"
            typer.echo(f"{p:<14} {mark:<9} {result.first.get(p, '-')}  {result.second.get(p, '-')}")
    raise_if_differs(result)
