"""The ``buildorch`` command: a thin typer layer over the library.

Each command unpacks its options into a library call and renders the result.
Errors are turned into one clean line in ``main`` and nowhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch import __version__

app = typer.Typer(
    name="buildorch",
    help="Orchestrate Docker BuildKit builds: multi-arch, reproducible version args, cache, stage debugging.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"buildorch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """buildorch drives `docker buildx` (BuildKit) through python-on-whales.

    Exit codes: 0 ok, 1 build or engine failure, 2 bad input, 4 push failed,
    5 verification failed, 3 internal error (a bug: please report it), 130 interrupted.
    """


JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (logs go to stderr).")]


@app.command()
def doctor(
    json_out: JsonOpt = False,
    registry: Annotated[str, typer.Option(help="Registry address to probe.")] = "localhost:5000",
    builder: Annotated[str | None, typer.Option(help="Builder to check (default: the current one).")] = None,
) -> None:
    """Check the engine, buildx, the builder, the containerd image store, QEMU and the registry.

    Exits 1 when a required check fails; each failing line says what to do.
    """
    from buildorch.doctor import doctor as run_doctor
    from buildorch.render import emit_json

    report = run_doctor(registry=registry, builder=builder)
    if json_out:
        emit_json(report.to_json())
    else:
        for c in report.checks:
            mark = "ok  " if c.ok else ("FAIL" if c.required else "warn")
            typer.echo(f"{mark} {c.name:<17} {c.detail}")
            if not c.ok and c.fix:
                typer.echo(f"     {'':<17} -> {c.fix}")
    raise typer.Exit(0 if report.ok else 1)


@app.command(no_args_is_help=False)
def build(
    context: Annotated[Path, typer.Argument(help="Build context directory.")] = Path("."),
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Dockerfile (default: CONTEXT/Dockerfile).")] = None,
    target: Annotated[str | None, typer.Option(help="Stage to build (builder, test, runtime...).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="os/arch[/variant], comma-separated or repeated. Default: the builder's.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Image reference; repeatable.")] = None,
    build_arg: Annotated[list[str] | None, typer.Option(help="KEY=VALUE; repeatable. Never secrets: use --secret.")] = None,
    version: Annotated[str | None, typer.Option(help="VERSION build arg (default: git describe, else 0.0.0-dev).")] = None,
    build_time: Annotated[
        str | None, typer.Option(help="BUILD_TIME, RFC 3339 (default: SOURCE_DATE_EPOCH, else the HEAD commit time).")
    ] = None,
    label: Annotated[list[str] | None, typer.Option(help="K=V image label; repeatable.")] = None,
    load: Annotated[bool, typer.Option("--load", help="Load the image into Docker (default for one platform).")] = False,
    push: Annotated[bool, typer.Option("--push", help="Push to the registry of each tag.")] = False,
    output: Annotated[str | None, typer.Option(help="buildx output spec, e.g. type=local,dest=DIR.")] = None,
    load_per_platform: Annotated[
        bool, typer.Option(help="Load one image per platform (tag suffix -amd64, -arm64) without the containerd store.")
    ] = False,
    builder: Annotated[str | None, typer.Option(help="buildx builder to use.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")] = False,
    pull: Annotated[bool, typer.Option("--pull", help="Always look for newer base images.")] = False,
    secret: Annotated[
        list[str] | None, typer.Option(help="BuildKit secret: id=NAME,src=FILE or id=NAME,env=VAR; repeatable.")
    ] = None,
    cache: Annotated[
        str, typer.Option(help="Cache: auto, local[:DIR], registry[:REF], inline or none.")
    ] = "auto",
    cache_mode: Annotated[str, typer.Option(help="Cache export mode: min or max.")] = "max",
    cache_from: Annotated[list[str] | None, typer.Option(help="Extra cache source (buildx syntax); repeatable.")] = None,
    progress: Annotated[str, typer.Option(help="auto, plain, tty, rawjson or quiet.")] = "auto",
    metadata_file: Annotated[Path | None, typer.Option(help="Also write buildx's metadata file here.")] = None,
    json_out: JsonOpt = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the docker command and the spec; run nothing.")] = False,
) -> None:
    """Build CONTEXT for one or more platforms, with VERSION and BUILD_TIME always set.

    Example: buildorch build app --platform linux/amd64,linux/arm64 --version 1.2.3
    """
    from buildorch.models import BuildSpec, CachePolicy, parse_pairs
    from buildorch.render import build_summary, emit_json

    spec = _validated(
        BuildSpec,
        context=context,
        dockerfile=file,
        target=target,
        platforms=platform or [],
        tags=tag or [],
        build_args=_pairs(parse_pairs, build_arg, "build arg"),
        version=version,
        build_time=build_time,
        labels=_pairs(parse_pairs, label, "label"),
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
        cache=_validated(CachePolicy.parse, cache, cache_mode, cache_from or []),
    )
    from buildorch.build import prepare, run_plan

    plan = prepare(spec)
    if dry_run:
        lines = plan.command_lines()
        if json_out:
            emit_json({"commands": lines, "spec": spec.model_dump(mode="json"), "build_args": plan.build_args})
        else:
            for line in lines:
                typer.echo(line)
            emit_json(spec.model_dump(mode="json"))
        return
    result = run_plan(plan)
    if json_out:
        emit_json(result.model_dump(mode="json"))
    else:
        for line in build_summary(result):
            typer.echo(line, err=False)


def _pairs(parse: Any, items: list[str] | None, what: str) -> dict[str, str]:
    from buildorch.errors import InputError

    try:
        return dict(parse(items or [], what))
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _validated(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Build a pydantic model; a validation error becomes one InputError line."""
    from pydantic import ValidationError

    from buildorch.errors import InputError

    try:
        return factory(*args, **kwargs)
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def validation_message(exc: Any) -> str:
    """pydantic's first error as one line: ``platforms: unknown platform 'linux/amd46': did you mean linux/amd64?``."""
    err = exc.errors()[0]
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    loc = ".".join(str(x) for x in err.get("loc", ()) if not isinstance(x, int))
    return f"{loc}: {msg}" if loc else msg


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn every expected failure into one line on stderr."""
    from buildorch.errors import BuildorchError

    try:
        rv = app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except BuildorchError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        for line in exc.details:
            typer.echo(f"  | {line}", err=True)
        if exc.hint:
            typer.echo(f"  hint: {exc.hint}", err=True)
        code = exc.exit_code
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        code = 130
    except Exception as exc:
        # typer vendors click: its usage errors know how to show themselves.
        show, usage_code = getattr(exc, "show", None), getattr(exc, "exit_code", None)
        if callable(show) and isinstance(usage_code, int):
            show()
            return _exit(usage_code, argv)
        import traceback

        traceback.print_exc()
        typer.echo("buildorch: internal error (a bug): please report it with the traceback above", err=True)
        code = 3
    return _exit(code, argv)


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:  # called as the console script
        sys.exit(code)
    return code
