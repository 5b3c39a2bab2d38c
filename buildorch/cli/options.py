"""What every command module shares: JSON option, input conversion to InputError."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (logs go to stderr).")]
ContextArg = Annotated[Path, typer.Argument(help="Build context directory.")]
DockerfileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Dockerfile (default: CONTEXT/Dockerfile).")]


def pairs(parse: Any, items: list[str] | None, what: str) -> dict[str, str]:
    from buildorch.core.errors import InputError

    try:
        return dict(parse(items or [], what))
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def validated(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Build a pydantic model; a validation error becomes one InputError line."""
    from pydantic import ValidationError

    from buildorch.core.errors import InputError

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


