"""``buildorch release``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli import options
from buildorch.cli.debug import split_args
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import emit_json


def release(
    version: Annotated[str, typer.Option(help="Semantic version: 1.2.3, 1.3.0-rc.1, 1.2.3+build.7 (tagged 1.2.3-build.7).")],
    image: Annotated[
        list[str],
        typer.Option(help="REGISTRY/NAME without a tag, e.g. localhost:5000/team/app; repeatable (same index in each)."),
    ],
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[CONTEXT] [-- CMD...]", help="Build context directory; then, with --verify run, the command."),
    ] = None,
    file: options.DockerfileOpt = None,
    target: Annotated[str | None, typer.Option(help="Stage to release (default: the last one).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="os/arch, comma-separated or repeated. Default: linux/amd64,linux/arm64.")
    ] = None,
    build_arg: options.BuildArgOpt = None,
    secret: Annotated[
        list[str] | None, typer.Option(help="BuildKit secret: id=NAME,src=FILE or id=NAME,env=VAR; repeatable.")
    ] = None,
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
    verify: Annotated[
        str, typer.Option(help="http: run it, GET the health paths; run: run the command after --, exit 0; none: no check.")
    ] = "http",
    expect_output: Annotated[str | None, typer.Option(help="--verify run: a regex the command's output must match.")] = None,
    version_command: Annotated[
        str | None,
        typer.Option(help="Args that print X.Y.Z in the image ('' for no check; default: -version with --verify http)."),
    ] = None,
    health_path: Annotated[list[str] | None, typer.Option(help="Path to GET, expecting 2xx; repeatable (/health).")] = None,
    port: options.PortOpt = None,
    verify_timeout: Annotated[float, typer.Option(help="Seconds a platform may take to answer.")] = 60.0,
    push_attempts: Annotated[int, typer.Option(help="Tries for each registry write before giving up (exit 4).")] = 4,
    retry_delay: Annotated[float, typer.Option(help="First wait between tries, doubling each time (seconds).")] = 1.0,
    builder: options.BuilderOpt = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild every step (to check reproducibility).")] = False,
    progress: options.ProgressOpt = "auto",
    json_out: options.JsonOpt = False,
    report: options.ReportOpt = None,
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

    Several --image: the same index (same digest) is pushed to each, verified once,
    and tagged in each; a tagging failure in one puts back the tags moved in all.
    Credentials are Docker's (buildorch login REGISTRY); a registry that refuses them
    stops the release before anything is built (exit 4).

    Example: buildorch release --version 1.2.3 --image localhost:5000/team/app app
    Example: buildorch release --version 1.0.0 --image 127.0.0.1:5001/t/tool --verify run tool -- /tool --help
    """
    # the library (pydantic models, python-on-whales) loads here: `buildorch release --help` does not need it
    from buildorch.builds.spec import parse_pairs
    from buildorch.releases.models import ReleaseSpec
    from buildorch.releases.report import summary_lines
    from buildorch.releases.runner import prepare_release
    from buildorch.releases.runner import release as run_release

    context, command = split_args(args or [])
    spec = validated(
        ReleaseSpec,
        version=version,
        image=image[0] if image else "",
        images=image[1:],
        context=context,
        secrets=secret or [],
        verify=verify,
        run_command=command,
        expect_output=expect_output,
        version_args=shlex.split(version_command) if version_command is not None else None,
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

    show_result(report, json_out, result.model_dump(mode="json"), lambda: summary_lines(result))
