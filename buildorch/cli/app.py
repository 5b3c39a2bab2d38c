"""The ``buildorch`` command: a thin typer layer over the library.

Each command unpacks its options into a library call and renders the result.
Errors are turned into one clean line in ``main`` and nowhere else.
"""

from __future__ import annotations

import sys
from typing import Annotated

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


from buildorch.cli import bake as _bake  # noqa: E402
from buildorch.cli import build as _build  # noqa: E402
from buildorch.cli import builder as _builder  # noqa: E402
from buildorch.cli import cache as _cache  # noqa: E402
from buildorch.cli import compare as _compare  # noqa: E402
from buildorch.cli import debug as _debug  # noqa: E402
from buildorch.cli import doctor as _doctor  # noqa: E402
from buildorch.cli import inspect as _inspect  # noqa: E402
from buildorch.cli import release as _release  # noqa: E402
from buildorch.cli import smoke as _smoke  # noqa: E402

app.command()(_doctor.doctor)
app.command()(_build.build)
app.command()(_bake.bake)
app.command()(_debug.debug)
app.command()(_inspect.inspect)
app.command()(_compare.compare)
app.command()(_smoke.smoke)
app.command()(_release.release)
app.add_typer(_cache.app, name="cache")
app.add_typer(_builder.app, name="builder")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn every expected failure into one line on stderr."""
    from buildorch.core.errors import BuildorchError

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
