"""The ``buildorch`` command: a thin typer layer over the library.

Each command unpacks its options into a library call and renders the result.
Errors are turned into one clean line in :func:`main` and nowhere else.

Command modules import the library (pydantic models, python-on-whales, rich)
inside their command function: ``buildorch CMD --help`` loads none of it. And
:func:`main` gives typer only the command that was asked for, when it knows
which: typer turns every registered command's options into click parameters
before it runs one, which ``buildorch build --help`` should not pay for nine others.
Help is click's plain text (``rich_markup_mode=None``): typer's rich help imports
rich and markdown-it, about 0.1 s of a 0.35 s ``--help``, for boxes around it.
And ``buildorch CMD --help`` is answered by :func:`help_text` without parsing:
typer builds a pydantic TypeAdapter to process even the ``--help`` flag, which
imports pydantic (another 0.1 s) to print text that does not need it.
"""

from __future__ import annotations

import errno
import functools
import importlib
import os
import sys
import traceback
from typing import Annotated

import typer
import typer.main

from buildorch import __version__
from buildorch.core.errors import BuildorchError

# command name -> (module under buildorch.cli, its function; None for a group whose module has ``app``)
COMMANDS: dict[str, tuple[str, str | None]] = {
    "doctor": ("doctor", "doctor"),
    "build": ("build", "build"),
    "stages": ("stages", "stages"),
    "bake": ("bake", "bake"),
    "debug": ("debug", "debug"),
    "inspect": ("inspect", "inspect"),
    "compare": ("compare", "compare"),
    "smoke": ("smoke", "smoke"),
    "release": ("release", "release"),
    "login": ("login", "login"),
    "meta": ("meta", "meta"),
    "merge": ("merge", "merge"),
    "cache": ("cache", None),
    "builder": ("builder", None),
    "history": ("history", None),
    "report": ("report", "report"),
    "keys": ("keys", None),
    "verify": ("verify", "verify"),
    "scan": ("scan", "scan"),
    "check-reproducible": ("check_reproducible", "check_reproducible"),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"buildorch {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """buildorch drives `docker buildx` (BuildKit) through python-on-whales.

    Exit codes: 0 ok, 1 build or engine failure, 2 bad input, 4 push failed,
    5 verification failed, 3 internal error (a bug: please report it), 130 interrupted.
    """


def make_app(only: str | None = None) -> typer.Typer:
    """The typer app with every command, or with only the command ``only`` (which must be in COMMANDS)."""
    root = typer.Typer(
        name="buildorch",
        help="Orchestrate Docker BuildKit builds: multi-arch, reproducible version args, cache, stage debugging.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,  # plain help: see the module docstring
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root.callback()(_root)
    for name, (module_name, function) in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(f"buildorch.cli.{module_name}")
        if function is None:
            root.add_typer(module.app, name=name)
        else:
            root.command(name, context_settings=getattr(module, "CONTEXT_SETTINGS", None))(getattr(module, function))
    return root


def __getattr__(name: str) -> typer.Typer:
    """``app``, the full typer app, built on first access: ``buildorch build ...`` builds only build's command."""
    if name == "app":
        return _full_app()
    raise AttributeError(name)


@functools.cache
def _full_app() -> typer.Typer:
    return make_app()


HELP_FLAGS = ("--help", "-h")


def help_text(args: list[str], prog_name: str = "buildorch") -> str | None:
    """What ``buildorch [CMD [SUB]] --help`` prints, formatted by typer's own command, without parsing any option.

    None for any other arguments (``buildorch build app --help`` goes the usual way).
    """
    if not 1 <= len(args) <= 3 or args[-1] not in HELP_FLAGS or (len(args) > 1 and args[0] not in COMMANDS):
        return None
    command = typer.main.get_command(make_app(args[0]) if len(args) > 1 else _full_app())
    ctx = typer.Context(command, info_name=prog_name, **command.context_settings)
    for name in args[:-1]:
        sub = getattr(command, "commands", {}).get(name)
        if sub is None:
            return None
        command = sub
        ctx = typer.Context(command, parent=ctx, info_name=name, **command.context_settings)
    return command.get_help(ctx)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app and turn every expected failure into one line on stderr."""
    args = sys.argv[1:] if argv is None else argv
    # As the console script, click would call the program "buildorch" too (the basename of argv[0]).
    if argv is None and os.path.basename(sys.argv[0]) == "buildorch":
        text = help_text(args)
        if text is not None:
            typer.echo(text)
            return _exit(0, argv)
    # `buildorch build ...`: only build's options are built. Anything else (no command, a root
    # option, a misspelt command) gets every command, for the listing and "No such command".
    command_app = make_app(args[0]) if args and args[0] in COMMANDS else _full_app()
    try:
        rv = command_app(args=argv, standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
        if code == 130:  # typer turns Ctrl-C into a silent exit code 130 (128 + SIGINT) of its own
            typer.echo("interrupted", err=True)
    except BuildorchError as exc:
        code = _show(exc.message, exc.hint, [] if exc.details_shown else exc.details, exc.exit_code)
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        code = 130
    except Exception as exc:
        # typer vendors click: its usage errors (an unknown option, a missing argument, a value
        # that is no number) carry their message and exit code 2; shown as every other error.
        usage_code, ctx = getattr(exc, "exit_code", None), getattr(exc, "ctx", None)
        format_message = getattr(exc, "format_message", None)
        if callable(format_message) and isinstance(usage_code, int):
            where = f"{ctx.command_path} --help" if ctx is not None else "buildorch --help"
            return _exit(_show(str(format_message()), f"see {where}", [], usage_code), argv)
        bad_path = _bad_path(exc)
        if bad_path is not None:
            return _exit(_show(bad_path, "give a shorter path without NUL bytes", [], 2), argv)
        traceback.print_exc()
        typer.echo("buildorch: internal error (a bug): please report it with the traceback above", err=True)
        code = 3
    return _exit(code, argv)


# A message, a hint or a detail line may quote what the user typed: a 100 kB value is shown cut.
SHOWN_CHARS = 300


def printable(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` as one line a terminal shows as written: newlines, control and bidi characters and
    lone surrogates (bytes that were not UTF-8) escaped as Python does, the middle of a long text cut."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)
    if len(text) > limit:
        text = f"{text[: limit - 60]}...({len(text)} characters)...{text[-40:]}"
    return text


def _show(message: str, hint: str | None, details: list[str], code: int) -> int:
    typer.echo(f"error: {printable(message)}", err=True)
    for line in details:
        typer.echo(f"  | {printable(line, 4 * SHOWN_CHARS)}", err=True)
    if hint:
        typer.echo(f"  hint: {printable(hint)}", err=True)
    return code


def _bad_path(exc: Exception) -> str | None:
    """A path the kernel refuses wherever it is first used (too long, a NUL byte): the user's input, not a bug."""
    if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
        return f"path too long: {exc.filename}"
    if isinstance(exc, ValueError) and str(exc) == "embedded null byte":
        return "a path holds a NUL byte"
    return None


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:  # called as the console script
        sys.exit(code)
    return code
