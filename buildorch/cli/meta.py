"""``buildorch meta``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from buildorch.cli import options

if TYPE_CHECKING:
    from buildorch.meta.rules import Meta

LinesOpt = list[str] | None


def meta(
    context: Annotated[Path, typer.Argument(help="Directory in the git repository (for git's tags and HEAD).")] = Path("."),
    images: Annotated[LinesOpt, typer.Option("--images", help="Image name (no tag); repeatable or one per line.")] = None,
    tags: Annotated[
        LinesOpt, typer.Option("--tags", help="metadata-action tag rule, e.g. type=semver,pattern={{version}}; repeatable.")
    ] = None,
    flavor: Annotated[
        LinesOpt, typer.Option("--flavor", help="latest=auto|true|false, prefix=..., suffix=...; repeatable.")
    ] = None,
    label: Annotated[
        LinesOpt, typer.Option("--label", help="Extra KEY=VALUE label (wins over the OCI ones); repeatable.")
    ] = None,
    annotation: Annotated[LinesOpt, typer.Option("--annotation", help="Extra KEY=VALUE annotation; repeatable.")] = None,
    config: Annotated[
        Path | None,
        typer.Option("--config", help="Config file (default: the nearest buildorch.toml/pyproject.toml with a meta table)."),
    ] = None,
    bake_file: Annotated[
        Path | None, typer.Option("--bake-file", help="Write metadata-action's bake file (target docker-metadata-action) here.")
    ] = None,
    bake_target: Annotated[str | None, typer.Option(help="Target name in the bake file.")] = None,
    json_out: options.JsonOpt = False,
    dotenv: options.DotenvOpt = None,
) -> None:
    """Tags, version and OCI labels for this CI event, by docker/metadata-action's rules.

    Reads GitHub Actions (GITHUB_REF, GITHUB_EVENT_PATH...), GitLab CI (CI_COMMIT_TAG,
    CI_MERGE_REQUEST_IID...) or git. Without --tags: metadata-action's defaults
    (schedule, branch, tag, pr). With GITHUB_OUTPUT set, writes metadata-action's outputs.

    Example: buildorch meta --images ghcr.io/org/app --tags 'type=semver,pattern={{version}}' --bake-file meta.json
    """
    from buildorch.cli.render import emit_json
    from buildorch.meta.resolve import MetaRequest, compute_meta

    options.output_file(bake_file, "--bake-file", makes_parents=True)
    options.output_file(dotenv, "--dotenv", makes_parents=True)
    result, event = compute_meta(MetaRequest(context, images, tags, flavor, label, annotation, bake_target, config))
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if bake_file is not None:
        write_json(bake_file, result.bake_file())
    write_ci(result, bake_file, dotenv)
    if json_out:
        emit_json(result.json())
        return
    for line in describe(result, event.describe()):
        typer.echo(line)
    if bake_file is not None:
        typer.echo(f"bake file: {bake_file}", err=True)


def describe(result: Meta, event: str) -> list[str]:
    lines = [f"event: {event}", f"version: {result.version or '(none: no rule matched this event)'}"]
    lines += ["tags:"] + [f"  {t}" for t in result.tags] if result.tags else ["tags: (none)"]
    lines += ["labels:"] + [f"  {k}={v}" for k, v in result.labels.items()]
    return lines


def write_json(path: Path, data: Any) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))


def write_ci(result: Meta, bake_file: Path | None, dotenv: Path | None) -> None:
    import os

    from buildorch.ci.outputs import write_meta

    write_meta(result.json(), os.environ, bake_file, dotenv)


def from_environment(context: Path, *, images: list[str] | None = None) -> Meta:
    """``--meta`` of build, bake, release and merge: the meta of this event, warnings on stderr."""
    from buildorch.meta.resolve import MetaRequest, compute_meta

    result, _ = compute_meta(MetaRequest(context, images=images))
    for warning in result.warnings:
        typer.echo(f"warning: meta: {warning}", err=True)
    return result


def image_tags(result: Meta) -> list[str]:
    """The full references of ``--meta``; an InputError when the config names no image."""
    from buildorch.core.errors import InputError

    if not result.images:
        raise InputError(
            "--meta gives tags only for named images", "set images in [tool.buildorch.meta] (or buildorch.toml [meta])"
        )
    return result.tags


def semver_version(result: Meta) -> str:
    """A release's version from ``--meta``: the event's semantic version (``v1.2.3`` gives 1.2.3)."""
    from buildorch.core.errors import InputError
    from buildorch.meta.rules import node_semver

    version = node_semver(result.version or "")
    if version is None:
        raise InputError(
            f"--meta gives version {result.version or '(none)'}, not a semantic version: a release needs a tag event (v1.2.3)",
            "add type=semver,pattern={{version}} to the meta tags and run on a tag push, or pass --version",
        )
    return str(version)
