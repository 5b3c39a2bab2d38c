"""``buildorch release``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import emit_json


def release(
    image: Annotated[str, typer.Option(help="REGISTRY/NAME without a tag, e.g. localhost:5000/team/app.")],
    version: Annotated[
        str | None, typer.Option(help="Semantic version: 1.2.3, 1.3.0-rc.1, 1.2.3+build.7 (tagged 1.2.3-build.7). Or --meta.")
    ] = None,
    context: options.ContextArg = Path("."),
    file: options.DockerfileOpt = None,
    target: Annotated[str | None, typer.Option(help="Stage to release (default: the last one).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="os/arch, comma-separated or repeated. Default: linux/amd64,linux/arm64.")
    ] = None,
    build_arg: options.BuildArgOpt = None,
    latest: Annotated[
        bool | None,
        typer.Option(
            "--latest/--no-latest", help="Force or forbid latest (default: unless a pre-release or a higher version exists)."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Move an existing X.Y.Z tag to different content.")] = False,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty", help="Release from a git tree with uncommitted changes.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (tags, build, checks); touch nothing.")] = False,
    output_dir: Annotated[
        Path | None, typer.Option(help="Where release.json and release.md go (default: .buildorch/releases/VERSION/).")
    ] = None,
    build_time: options.BuildTimeOpt = None,
    health_path: Annotated[list[str] | None, typer.Option(help="Path to GET, expecting 2xx; repeatable (/health).")] = None,
    port: options.PortOpt = None,
    verify_timeout: Annotated[float, typer.Option(help="Seconds a platform may take to answer.")] = 60.0,
    push_attempts: Annotated[int, typer.Option(help="Tries for each registry write before giving up (exit 4).")] = 4,
    retry_delay: Annotated[float, typer.Option(help="First wait between tries, doubling each time (seconds).")] = 1.0,
    builder: options.BuilderOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild every step (to check reproducibility).")] = False,
    reproducible: Annotated[
        bool,
        typer.Option(
            "--reproducible", help="First build twice from nothing and compare (check-reproducible); exit 5 if they differ."
        ),
    ] = False,
    progress: options.ProgressOpt = "auto",
    json_out: options.JsonOpt = False,
    report: options.ReportOpt = None,
    dotenv: options.DotenvOpt = None,
    meta: options.MetaOpt = False,
) -> None:
    """Build every platform, push by digest, verify the pushed images, and only then tag them.

    Tags: X.Y.Z, X.Y, X, latest (stable releases only, and only when no higher
    version is in the registry) and sha-<commit>. Before any tag exists, every
    platform is pulled by digest and run (arm64 under QEMU): /health must answer
    2xx and `-version` must print X.Y.Z. release.json and release.md are written.

    Exit codes: 0 released; 1 build failed; 2 bad input (bad version or image,
    dirty git tree, X.Y.Z already holds other content without --force);
    4 push or tagging failed after retries; 5 verification failed.
    On every failure no tag was changed.

    Example: buildorch release --version 1.2.3 --image localhost:5000/team/app app
    """
    # the library (pydantic models, python-on-whales) loads here: `buildorch release --help` does not need it
    from buildorch.builds.spec import parse_pairs
    from buildorch.core.errors import InputError
    from buildorch.releases.models import ReleaseSpec
    from buildorch.releases.report import summary_lines
    from buildorch.releases.runner import prepare_release
    from buildorch.releases.runner import release as run_release

    extra: dict[str, str] = {}
    if meta:  # the version of the tag event, and its source/title labels; the tags stay release's (verified) rules
        from buildorch.cli.meta import from_environment, semver_version

        found = from_environment(context, images=[image])
        version = version or semver_version(found)
        for key in ("source", "title"):
            if found.labels.get(f"org.opencontainers.image.{key}"):
                extra[key] = found.labels[f"org.opencontainers.image.{key}"]
    if version is None:
        raise InputError("release needs --version X.Y.Z (or --meta on a tag event)")
    spec = validated(
        ReleaseSpec,
        **extra,
        version=version,
        image=image,
        context=context,
        dockerfile=file,
        target=target,
        platforms=platform or [],
        build_args=pairs(parse_pairs, build_arg, "build arg"),
        build_time=build_time,
        latest=latest,
        force=force,
        allow_dirty=allow_dirty,
        output_dir=output_dir,
        health_paths=health_path or ["/health"],
        port=port,
        verify_timeout=verify_timeout,
        push_attempts=push_attempts,
        retry_base_seconds=retry_delay,
        builder=builder,
        no_cache=no_cache,
        reproducible=reproducible,
        progress=progress,
    )
    if dry_run:
        plan = prepare_release(spec)
        if json_out:
            emit_json(plan.report())
        else:
            for line in plan.describe():
                typer.echo(line)
        return
    result = run_release(spec)
    from buildorch.cli.report import show_result

    show_result(report, json_out, result.model_dump(mode="json"), lambda: summary_lines(result), "release", dotenv)
