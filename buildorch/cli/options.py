"""What the command modules share: the options several commands take, and input errors as one line.

An option that means the same in several commands is declared once here, with one help text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch.core.errors import InputError

JsonOpt = Annotated[bool, typer.Option("--json", help="Print only JSON on stdout (logs go to stderr).")]
ContextArg = Annotated[Path, typer.Argument(help="Build context directory.")]
DockerfileOpt = Annotated[Path | None, typer.Option("--file", "-f", help="Dockerfile (default: CONTEXT/Dockerfile).")]
BuildArgOpt = Annotated[
    list[str] | None,
    typer.Option(help="KEY=VALUE build arg; repeatable (VERSION and BUILD_TIME are set; never a secret: use --secret)."),
]
VersionOpt = Annotated[str | None, typer.Option(help="VERSION build arg (default: git describe, else 0.0.0-dev).")]
BuildTimeOpt = Annotated[
    str | None, typer.Option(help="BUILD_TIME, RFC 3339 (default: SOURCE_DATE_EPOCH, else the HEAD commit time).")
]
# buildx's own rule for a builder's name (buildorch.builders.config uses it too): anything else names no builder.
_BUILDER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def builder_name(value: str | None) -> str | None:
    """Typer callback of every ``--builder``: a name buildx could have given, or a one-line usage error."""
    if value is not None and (not _BUILDER_NAME.match(value) or len(value) > 200):  # it names a file of buildx's
        raise typer.BadParameter(f"{value!r} is not a builder name (letters, digits, '_', '.', '-'): see docker buildx ls")
    return value


def registry_address(value: str | None) -> str | None:
    """Typer callback of ``--registry``: ``HOST[:PORT]``, or a one-line usage error (not a crash in the HTTP client)."""
    from buildorch.core.references import check_registry

    try:
        return check_registry(value) if value is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


BuilderOpt = Annotated[str | None, typer.Option(help="buildx builder to use.", callback=builder_name)]
ProgressOpt = Annotated[
    str,
    typer.Option(help="Build progress on stderr: auto, plain (BuildKit's #N lines), tty, rawjson, quiet or none."),
]
CacheModeOpt = Annotated[str, typer.Option(help="Cache export mode: min or max.")]
MetadataFileOpt = Annotated[Path | None, typer.Option(help="Also write buildx's metadata file here.")]
PortOpt = Annotated[int | None, typer.Option(help="Container port (default: the image's only EXPOSEd port, else 8080).")]
KeepOpt = Annotated[bool, typer.Option("--keep", help="Keep the throwaway images (their tags are printed).")]


def pairs(parse: Any, items: list[str] | None, what: str) -> dict[str, str]:
    """``KEY=VALUE`` options as a dict; a malformed one becomes one InputError line."""
    try:
        return dict(parse(items or [], what))
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def validated(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """Build a pydantic model; a validation error becomes one InputError line."""
    # pydantic and the models load here, not at import: `buildorch CMD --help` does not need them.
    from pydantic import ValidationError

    from buildorch.core.validation import validation_message

    try:
        return factory(*args, **kwargs)
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    except UnicodeEncodeError as exc:
        # A validator's message quoting a byte of argv that was not UTF-8 (a lone surrogate, PEP 383):
        # pydantic cannot encode the message, so this is the message itself. main() shows it escaped.
        raise InputError(str(exc.object)) from exc
    except ValueError as exc:
        raise InputError(str(exc)) from exc
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Also write a report of this run: HTML, or Markdown for a .md file.")
]
DotenvOpt = Annotated[
    Path | None, typer.Option("--dotenv", help="Also write BUILDORCH_DIGEST/_IMAGEID/_TAGS/_VERSION here (GitLab dotenv report).")
]
MetaOpt = Annotated[
    bool,
    typer.Option("--meta", help="Take tags, labels and version from `buildorch meta` (the CI event and [tool.buildorch.meta])."),
]


def output_file(path: Path | None, option: str, *, makes_parents: bool = False) -> None:
    """A file the command writes at the end (``--report``, ``--dotenv``...): refused before any work when
    it cannot be written there, rather than after a build that then fails."""
    if path is None:
        return
    if path.is_dir() or path.name in ("", ".", ".."):
        raise InputError(f"{option} {path} is a directory: name a file")
    if not makes_parents and not path.parent.is_dir():
        raise InputError(
            f"{option} {path}: the directory {path.parent} does not exist", "create it first, or choose another path"
        )


def one_platform(value: str | None) -> str | None:
    """A ``--platform`` that names one platform (``inspect``, ``compare``): an empty one is refused, not the default."""
    if value is None:
        return None
    from buildorch.core import platforms

    found: list[str] = validated(platforms.parse_list, [value])
    if len(found) != 1:
        raise InputError(f"--platform {value!r}: name one platform, e.g. linux/arm64")
    return found[0]
