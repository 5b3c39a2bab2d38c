"""``buildorch build``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from buildorch.cli import options
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import build_summary, emit_json
from buildorch.core.errors import InputError

if TYPE_CHECKING:  # the models load inside the command: `build --help` does not need them
    from buildorch.builds.plan import BuildPlan

# `buildorch build app -- --some-buildx-flag`: what follows `--` goes to buildx as written.
CONTEXT_SETTINGS = {"allow_extra_args": True}


def build(
    ctx: typer.Context,
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
    output: Annotated[
        list[str] | None, typer.Option("--output", "-o", help="buildx output, e.g. type=local,dest=DIR; repeatable.")
    ] = None,
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
    cache_to: Annotated[
        list[str] | None, typer.Option(help="Extra cache export (buildx syntax), beside buildorch's; repeatable.")
    ] = None,
    ssh: Annotated[
        list[str] | None, typer.Option(help="SSH agent or keys for RUN --mount=type=ssh: default|ID[=SOCKET|KEY]; repeatable.")
    ] = None,
    build_context: Annotated[
        list[str] | None, typer.Option(help="NAME=DIR|docker-image://REF|oci-layout://DIR|URL; repeatable.")
    ] = None,
    network: Annotated[str | None, typer.Option(help="Network for RUN: default, none or host.")] = None,
    add_host: Annotated[list[str] | None, typer.Option(help="HOST=IP added to /etc/hosts of RUN; repeatable.")] = None,
    allow: Annotated[
        list[str] | None, typer.Option(help="Entitlement: network.host, security.insecure, device, fs...; repeatable.")
    ] = None,
    no_cache_filter: Annotated[list[str] | None, typer.Option(help="Rebuild this stage without cache; repeatable.")] = None,
    annotation: Annotated[list[str] | None, typer.Option(help="[TYPE:]KEY=VALUE image annotation; repeatable.")] = None,
    attest: Annotated[list[str] | None, typer.Option(help="Attestation: type=sbom|provenance[,...]; repeatable.")] = None,
    sbom: Annotated[str | None, typer.Option(help="Shorthand for --attest type=sbom (true, false or options).")] = None,
    provenance: Annotated[
        str | None, typer.Option(help="Shorthand for --attest type=provenance (true, false, mode=min|max).")
    ] = None,
    call: Annotated[
        str | None, typer.Option(help="Ask BuildKit instead of building: check, outline or targets (,format=json).")
    ] = None,
    check_strict: Annotated[
        bool, typer.Option("--check-strict", help="With --call check: exit 1 when a check warns.")
    ] = False,
    strict_secrets: Annotated[
        bool, typer.Option("--strict-secrets", help="Refuse a build arg whose name looks like a secret (default: warn).")
    ] = False,
    progress: options.ProgressOpt = "auto",
    metadata_file: options.MetadataFileOpt = None,
    json_out: options.JsonOpt = False,
    report: options.ReportOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the docker command and the spec; run nothing.")] = False,
    dotenv: options.DotenvOpt = None,
    meta: options.MetaOpt = False,
    push_by_digest: Annotated[
        bool, typer.Option("--push-by-digest", help="Push one platform by digest only (no tag), for `buildorch merge`.")
    ] = False,
    digest_dir: Annotated[
        Path | None, typer.Option(help="With --push-by-digest: write the digest file here (DIR/<hex>) for the merge.")
    ] = None,
) -> None:
    """Build CONTEXT for one or more platforms, with VERSION and BUILD_TIME always set.

    Example: buildorch build app --platform linux/amd64,linux/arm64 --version 1.2.3
    """
    from buildorch.builds.spec import BuildSpec, CachePolicy, parse_pairs

    if str(context).startswith("-"):  # `buildorch build -- --flag`: click took the flag for the context
        raise InputError(f"{context} is not a build context", "name the context before --: buildorch build . -- --flag")
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
        split_output, tag, cache = split_build(context, target, platform or [], tag or [], cache)
        output = [split_output]
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
        output=output[0] if output else None,
        outputs=(output or [])[1:],
        load_per_platform=load_per_platform,
        builder=builder,
        no_cache=no_cache,
        pull=pull,
        secrets=secret or [],
        progress=progress,
        metadata_file=metadata_file,
        cache=validated(CachePolicy.parse, cache, cache_mode, cache_from or [], cache_required, cache_to or []),
        strict_secrets=strict_secrets,
        ssh=ssh or [],
        build_contexts=pairs(parse_pairs, build_context, "build context"),
        network=network,
        add_hosts=add_host or [],
        allow=allow or [],
        no_cache_filter=no_cache_filter or [],
        annotations=annotation or [],
        attest=attest or [],
        sbom=sbom,
        provenance=provenance,
        call=call,
        check_strict=check_strict,
        buildx_args=list(ctx.args),
    )
    if check_strict and (call or "").split(",")[0].strip().lower() != "check":
        raise InputError("--check-strict goes with --call check", "add --call check, or drop --check-strict")
    for path, option in ((metadata_file, "--metadata-file"), (report, "--report"), (dotenv, "--dotenv")):
        options.output_file(path, option)
    from buildorch.builds.runner import prepare, run_plan

    plan = prepare(spec)
    if spec.call and spec.call.split(",")[0].strip().lower() != "build":
        _show_call(plan, dry_run=dry_run, json_out=json_out)
        return
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
        split_done(result, output[0] if output else None, digest_dir)
    from buildorch.cli.report import show_result

    show_result(report, json_out, result.model_dump(mode="json"), lambda: build_summary(result), "build", dotenv)


def _show_call(plan: BuildPlan, *, dry_run: bool, json_out: bool) -> None:
    """``--call check|outline|targets``: BuildKit's answer on stdout (findings one a line for check)."""
    import shlex

    from buildorch.builds.calls import call_argv, run_call

    if dry_run:
        argv, env = call_argv(plan.spec, plan, json_out)
        line = shlex.join(["docker", *argv])
        prefix = " ".join(f"{k}={v}" for k, v in env.items())
        command = f"{prefix} {line}" if prefix else line
        if json_out:
            emit_json({"commands": [command], "spec": plan.spec.model_dump(mode="json"), "build_args": plan.build_args})
        else:
            typer.echo(command)
        return
    result = run_call(plan, json_out=json_out)
    if json_out:
        emit_json(result.data if result.data is not None else {"text": result.text})
    elif result.method == "check":
        for f in result.findings:
            typer.echo(f"warning: {f}")
        n = len(result.findings)
        typer.echo(f"{n} check warning{'s' if n != 1 else ''}" if n else "no check warnings", err=True)
    else:
        typer.echo(result.text.rstrip("\n"))


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
