"""``buildorch release``."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch.cli import options
from buildorch.cli.debug import split_args
from buildorch.cli.options import pairs, validated
from buildorch.cli.render import emit_json
from buildorch.core.errors import InputError


def release(
    version: Annotated[
        str | None, typer.Option(help="Semantic version: 1.2.3, 1.3.0-rc.1, 1.2.3+build.7 (tagged 1.2.3-build.7). Or --meta.")
    ] = None,
    image: Annotated[
        list[str] | None,
        typer.Option(
            help="REGISTRY/NAME without a tag, e.g. localhost:5000/team/app; repeatable (same index in each). "
            "With --bake: REGISTRY/PREFIX, each target going to PREFIX/TARGET (default: each target's first tag)."
        ),
    ] = None,
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[CONTEXT] [-- CMD...]", help="Build context directory; then, with --verify run, the command."),
    ] = None,
    file: options.DockerfileOpt = None,
    bake: Annotated[
        str | None, typer.Option(help="Release every target of this bake group (or one target), each as its own image.")
    ] = None,
    bake_file: Annotated[
        list[str] | None, typer.Option(help="Bake file for --bake; repeatable (default: docker-bake.hcl and friends).")
    ] = None,
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
    push_attempts: Annotated[
        int, typer.Option(help="Tries for each registry write before giving up (exit 4).", min=1, max=100)
    ] = 4,
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
    provenance: Annotated[
        str, typer.Option(help="BuildKit provenance attestation: false (no unknown/unknown entries in the index), min or max.")
    ] = "false",
    annotation: Annotated[
        list[str] | None,
        typer.Option(help="OCI annotation, buildx syntax [TYPE[,TYPE]:]KEY=VALUE (index, manifest...); repeatable."),
    ] = None,
    description: Annotated[str | None, typer.Option(help="org.opencontainers.image.description of the index.")] = None,
    sbom: Annotated[bool, typer.Option("--sbom", help="SPDX JSON SBOM per platform (syft), next to release.json.")] = False,
    sign: Annotated[
        bool, typer.Option("--sign", help="Sign the verified index and its platforms with cosign (offline) before tagging.")
    ] = False,
    key: Annotated[
        Path | None, typer.Option(help="cosign private key for --sign (default: $COSIGN_KEY); password from $COSIGN_PASSWORD.")
    ] = None,
) -> None:
    """Build every platform, push by digest, verify the pushed images, and only then tag them.

    Tags: X.Y.Z, X.Y, X, latest (stable releases only, and only when no higher
    version is in the registry) and sha-<commit>. Before any tag exists, every
    platform is pulled by digest and run (arm64 under QEMU): /health must answer
    2xx and `-version` must print X.Y.Z. release.json and release.md are written.

    Exit codes: 0 released; 1 build failed; 2 bad input (bad version or image,
    dirty git tree, X.Y.Z already holds other content without --force);
    4 push or tagging failed after retries; 5 verification failed.
    Supply chain: --sbom writes sbom-OS-ARCH.spdx.json beside release.json; --sign signs
    the verified index (and attests the SBOMs) before any tag points at it.
    On every failure no tag was changed.

    Several --image: the same index (same digest) is pushed to each, verified once,
    and tagged in each; a tagging failure in one puts back the tags moved in all.
    Credentials are Docker's (buildorch login REGISTRY); a registry that refuses them
    stops the release before anything is built (exit 4).

    --bake GROUP releases each target of a bake group as its own image (PREFIX/TARGET
    with --image PREFIX, else the name of its first tag), tagged once all are verified.

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
    extra: dict[str, str] = {}
    if meta:  # the version of the tag event, and its source/title labels; the tags stay release's (verified) rules
        from buildorch.cli.meta import from_environment, semver_version

        found = from_environment(context, images=list(image or []))
        version = version or semver_version(found)
        for name in ("source", "title"):
            if found.labels.get(f"org.opencontainers.image.{name}"):
                extra[name] = found.labels[f"org.opencontainers.image.{name}"]
    if version is None:
        raise InputError("release needs --version X.Y.Z (or --meta on a tag event)")
    common: dict[str, Any] = dict(
        secrets=secret or [],
        verify=verify,
        run_command=command,
        expect_output=expect_output,
        version_args=shlex.split(version_command) if version_command is not None else None,
        build_time=build_time,
        latest=latest,
        force=force,
        allow_dirty=allow_dirty,
        health_paths=health_path or ["/health"],
        port=port,
        verify_timeout=verify_timeout,
        push_attempts=push_attempts,
        retry_base_seconds=retry_delay,
        builder=builder,
        no_cache=no_cache,
        reproducible=reproducible,
        progress=progress,
        provenance=provenance,
        annotations=annotation or [],
        description=description,
        supply={"sbom": sbom, "sign": sign, "key": key},
    )
    if bake is not None:
        if file or target or build_arg or len(image or []) > 1 or (args and Path(args[0]).is_dir()):
            raise InputError(
                "--bake takes the context, Dockerfile, stage and build args of each target from the bake file",
                "drop CONTEXT, -f, --target and --build-arg (one --image at most: the prefix)",
            )
        if platform:
            common["platforms"] = platform
        prefix = image[0] if image else None
        _bake(version, bake, [Path(f) for f in bake_file or []], prefix, common, output_dir, dry_run, json_out)
        return
    if not image:
        raise InputError("--image is required (or --bake GROUP)", "e.g. --image localhost:5000/team/app")
    spec = validated(
        ReleaseSpec,
        **extra,
        version=version,
        image=image[0],
        images=image[1:],
        context=context,
        dockerfile=file,
        target=target,
        platforms=platform or [],
        build_args=pairs(parse_pairs, build_arg, "build arg"),
        output_dir=output_dir,
        **common,
    )
    if dry_run:
        plan = prepare_release(spec)
        if json_out:
            emit_json(plan.report())
        else:
            for line in plan.describe():
                typer.echo(line)
        return
    password = None
    if sign:
        from buildorch.cli.keys import key_password

        spec.supply.key_path()  # a missing key fails before the build, not after it
        password = key_password(confirm=False)
    result = run_release(spec, password=password)
    from buildorch.cli.report import show_result

    show_result(report, json_out, result.model_dump(mode="json"), lambda: summary_lines(result), "release", dotenv)


def _bake(
    version: str, group: str, files: list[Path], prefix: str | None, common: dict[str, Any],
    output_dir: Path | None, dry_run: bool, json_out: bool,
) -> None:
    """``release --bake GROUP``: a release per target, tagged together (buildorch.releases.bake)."""
    from buildorch.releases.bake import release_bake, target_specs
    from buildorch.releases.runner import prepare_release

    out = output_dir or Path(".buildorch") / "releases" / version
    specs = target_specs(group, files, version, prefix, out, **common)
    if dry_run:
        plans = {name: prepare_release(spec) for name, spec in specs.items()}
        if json_out:
            emit_json({"group": group, "version": version, "targets": {n: p.report() for n, p in plans.items()}})
            return
        for name, plan in plans.items():
            typer.echo(f"target {name}:")
            for line in plan.describe():
                typer.echo(f"  {line}")
        return
    result = release_bake(specs, group, out)
    if json_out:
        emit_json(result.model_dump(mode="json"))
        return
    from buildorch.releases.report import summary_lines

    for name, r in result.targets.items():
        typer.echo(f"target {name}:")
        for line in summary_lines(r):
            typer.echo(f"  {line}")
    typer.echo(f"report: {result.output_dir}/release.json")
