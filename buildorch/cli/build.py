"""``buildorch build``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

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
    push_by_digest: Annotated[
        bool, typer.Option("--push-by-digest", help="Push one platform by digest only (no tag), for `buildorch merge`.")
    ] = False,
    digest_dir: Annotated[
        Path | None, typer.Option(help="With --push-by-digest: write the digest file here (DIR/<hex>) for the merge.")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the docker command and the spec; run nothing.")] = False,
) -> None:
    """Build CONTEXT for one or more platforms, with VERSION and BUILD_TIME always set.

    Example: buildorch build app --platform linux/amd64,linux/arm64 --version 1.2.3
    """
    from buildorch.builds.spec import BuildSpec, CachePolicy, parse_pairs
    from buildorch.core.errors import InputError

    labels = pairs(parse_pairs, label, "label")
    if meta:  # tags added, labels under the user's, version unless given
        from buildorch.cli.meta import from_environment, image_tags

        found = from_environment(context)
        if found.images or not push_by_digest:  # a split build needs only the labels and version
            tag = [*(tag or []), *(t for t in image_tags(found) if t not in (tag or []))]
        labels = {**found.labels, **labels}
        version = version or found.version
    if push_by_digest:
        if push or load or output:
            raise InputError("--push-by-digest pushes already: drop --push, --load and --output")
        output, tag, cache = split_build(context, target, platform or [], tag or [], cache)
    elif digest_dir is not None:
        raise InputError("--digest-dir goes with --push-by-digest")
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
    if push_by_digest:
        split_done(result, output, digest_dir)
    from buildorch.cli.report import show_result

    show_result(report, json_out, result.model_dump(mode="json"), lambda: build_summary(result), "build", dotenv)


def split_build(
    context: Path, target: str | None, platforms: list[str], tags: list[str], cache: str
) -> tuple[str, list[str], str]:
    """``--push-by-digest``: the buildx output, no tags, and a cache of this platform's own (``--cache auto``)."""
    import re

    from buildorch.builds.cache import cache_root
    from buildorch.builds.digests import output_spec
    from buildorch.core import references
    from buildorch.core.errors import InputError

    plats = [p.strip() for item in platforms for p in item.split(",") if p.strip()]
    if len(plats) != 1:
        raise InputError("--push-by-digest builds one platform: give --platform os/arch once", "one runner per platform")
    names = {references.split(t)[0] for t in tags}
    if len(names) != 1 or references.registry_of(next(iter(names))) is None:
        raise InputError("--push-by-digest needs the image: --tag REGISTRY/NAME (or --meta with one image)")
    if cache == "auto":
        scope = f"{context.resolve().name or 'root'}-{target or 'default'}-{plats[0]}"
        cache = f"local:{cache_root() / re.sub(r'[^A-Za-z0-9_.-]', '-', scope)}"
    return output_spec(next(iter(names))), [], cache


def split_done(result: Any, output: str | None, digest_dir: Path | None) -> None:
    """After a push by digest: the digest file for the merge."""
    from buildorch.builds.digests import write
    from buildorch.core.errors import BuildorchError

    if not result.digest:
        raise BuildorchError("the build pushed no digest (buildx's metadata has no containerimage.digest)")
    name = (output or "").split("name=", 1)[1].split(",", 1)[0]
    result.tags, result.pushed = [f"{name}@{result.digest}"], True
    if digest_dir is not None:
        path = write(digest_dir, result.digest, result.platforms[0] if result.platforms else "", name)
        typer.echo(f"digest file: {path}", err=True)
