"""``buildorch compare``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli.options import BuildArgOpt, JsonOpt, KeepOpt, ProgressOpt, VersionOpt, pairs, validated
from buildorch.cli.render import emit_json
from buildorch.core.errors import InputError


def compare(
    refs: Annotated[
        list[str] | None, typer.Argument(metavar="A B | [CONTEXT]", help="Two local images; with --dockerfiles, the context.")
    ] = None,
    dockerfiles: Annotated[
        tuple[Path, Path] | None,
        typer.Option(help="Build these two Dockerfiles (A then B) of CONTEXT for one platform and compare the images."),
    ] = None,
    platform: Annotated[str | None, typer.Option(help="Platform to compare (default: the host's).")] = None,
    build_arg: BuildArgOpt = None,
    version: VersionOpt = None,
    keep: KeepOpt = False,
    progress: ProgressOpt = "auto",
    json_out: JsonOpt = False,
) -> None:
    """Two images side by side: size, layers, files, packages, root or not, shell, ELF facts, and the size ratio B/A.

    Examples:

      buildorch compare app:1.2.3 app-single:1.2.3

      buildorch compare --dockerfiles app/Dockerfile app/Dockerfile.single app --platform linux/amd64
    """
    from buildorch.cli.options import one_platform

    platform = one_platform(platform)
    items = refs or []
    if dockerfiles is not None:
        if len(items) > 1:
            raise InputError("with --dockerfiles, give at most one argument: the build context")
        from buildorch.builds.spec import BuildSpec, parse_pairs
        from buildorch.engine.containers import throwaway_tag
        from buildorch.inspect.compare import compare_builds

        context = Path(items[0]) if items else Path(".")
        specs = [
            validated(
                BuildSpec,
                context=context,
                dockerfile=df,
                platforms=[platform] if platform else [],
                tags=[throwaway_tag("buildorch-compare", context, df.name)],
                build_args=pairs(parse_pairs, build_arg, "build arg"),
                version=version,
                load=True,
                progress=progress,
            )
            for df in dockerfiles
        ]
        result = compare_builds(specs[0], specs[1], keep=keep)
    else:
        if len(items) != 2:
            raise InputError("compare needs two images (A B), or --dockerfiles A B [CONTEXT]")
        from buildorch.inspect.compare import compare_images

        result = compare_images(items[0], items[1], platform)
    if json_out:
        emit_json(result.model_dump(mode="json"))
    else:
        from buildorch.cli.tables import print_comparison

        print_comparison(result)
