"""``buildorch build``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import build_summary, emit_json


def build(
    context: options.ContextArg = Path("."),
    file: options.DockerfileOpt = None,
    target: Annotated[str | None, typer.Option(help="Stage to build (builder, test, runtime...).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="os/arch or os/arch/variant, comma-separated or repeated. Default: the builder's.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Image reference; repeatable.")] = None,
    build_arg: options.BuildArgOpt = None,
    version: options.VersionOpt = None,
    build_time: options.BuildTimeOpt = None,
    label: Annotated[list[str] | None, typer.Option(help="K=V image label; repeatable.")] = None,
    load: Annotated[bool, typer.Option("--load", help="Load the image into Docker (default for one platform).")] = False,
    push: Annotated[bool, typer.Option("--push", help="Push to the registry of each tag.")] = False,
    output: Annotated[str | None, typer.Option(help="buildx output spec, e.g. type=local,dest=DIR.")] = None,
    load_per_platform: Annotated[
        bool, typer.Option(help="Load one image per platform (tag suffix -amd64, -arm64) without the containerd store.")
    ] = False,
    builder: options.BuilderOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")] = False,
    pull: Annotated[bool, typer.Option("--pull", help="Always look for newer base images.")] = False,
    secret: Annotated[
        list[str] | None, typer.Option(help="BuildKit secret: id=NAME,src=FILE or id=NAME,env=VAR; repeatable.")
    ] = None,
    cache: Annotated[
        str, typer.Option(help="Cache: auto, local[:DIR], registry[:REF], inline or none.")
    ] = "auto",
    cache_mode: Annotated[
        str,
        typer.Option(help="Cache export mode: min, max, or auto (max in CI or for a registry cache, else min)."),
    ] = "auto",
    cache_required: Annotated[
        bool, typer.Option("--cache-required", help="Fail when the cache cannot be used (default: warn, build without).")
    ] = False,
    cache_from: Annotated[list[str] | None, typer.Option(help="Extra cache source (buildx syntax); repeatable.")] = None,
    progress: options.ProgressOpt = "auto",
    metadata_file: options.MetadataFileOpt = None,
    json_out: options.JsonOpt = False,
    report: options.ReportOpt = None,
    dotenv: options.DotenvOpt = None,
    meta: options.MetaOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the docker command and the spec; run nothing.")] = False,
) -> None:
    """Build CONTEXT for one or more platforms, with VERSION and BUILD_TIME always set.

    Example: buildorch build app --platform linux/amd64,linux/arm64 --version 1.2.3
    """
    from buildorch.builds.spec import BuildSpec, CachePolicy, parse_pairs

    labels = pairs(parse_pairs, label, "label")
    if meta:  # tags added, labels under the user's, version unless given
        from buildorch.cli.meta import from_environment, image_tags

        found = from_environment(context)
        tag = [*(tag or []), *(t for t in image_tags(found) if t not in (tag or []))]
        labels = {**found.labels, **labels}
        version = version or found.version
    spec = validated(
        BuildSpec,
        context=context,
        dockerfile=file,
        target=target,
        platforms=platform or [],
        tags=tag or [],
        build_args=pairs(parse_pairs, build_arg, "build arg"),
        version=version,
        build_time=build_time,
        labels=labels,
        load=load,
        push=push,
        output=output,
        load_per_platform=load_per_platform,
        builder=builder,
        no_cache=no_cache,
        pull=pull,
        secrets=secret or [],
        progress=progress,
        metadata_file=metadata_file,
        cache=validated(CachePolicy.parse, cache, cache_mode, cache_from or [], cache_required),
    )
    from buildorch.builds.runner import prepare, run_plan

    plan = prepare(spec)
    if dry_run:
        for w in plan.warnings:
            typer.echo(f"warning: {w}", err=True)
        lines = plan.command_lines()
        if json_out:
            emit_json({"commands": lines, "spec": spec.model_dump(mode="json"), "build_args": plan.build_args})
        else:
            for line in lines:
                typer.echo(line)
            emit_json(spec.model_dump(mode="json"))
        return
    result = run_plan(plan)
    from buildorch.cli.report import show_result

    show_result(report, json_out, result.model_dump(mode="json"), lambda: build_summary(result), "build", dotenv)
