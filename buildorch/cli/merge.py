"""``buildorch merge``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from buildorch.cli import options
from buildorch.cli.options import validated


def merge(
    digest_dir: Annotated[Path, typer.Option(help="Directory of the digest files the split builds wrote.")],
    image: Annotated[str, typer.Option(help="REGISTRY/NAME without a tag (the name each split build pushed to).")],
    platform: Annotated[
        list[str] | None, typer.Option(help="Platforms that must be in the index. Default: linux/amd64,linux/arm64.")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", "-t", help="Tag name to apply (1.2.3, latest); repeatable.")] = None,
    meta: options.MetaOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Move an existing X.Y.Z tag to different content.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Before tagging, run every platform as release does: GET /health, -version.")
    ] = False,
    health_path: Annotated[list[str] | None, typer.Option(help="Path to GET with --verify, expecting 2xx; repeatable.")] = None,
    port: options.PortOpt = None,
    push_attempts: Annotated[
        int, typer.Option(help="Tries for each registry write before giving up (exit 4).", min=1, max=100)
    ] = 4,
    json_out: options.JsonOpt = False,
    dotenv: options.DotenvOpt = None,
) -> None:
    """Make one index of the split builds' digests, check every platform is in it, then tag it.

    Exit codes: 0 merged and tagged; 2 bad input (no digest files, no tags, X.Y.Z on
    other content without --force); 4 a registry write failed; 5 a platform is missing,
    or --verify failed (nothing tagged).

    Example: buildorch merge --digest-dir digests --image localhost:5000/team/app --meta
    """
    from buildorch.releases.merge import MergeSpec
    from buildorch.releases.merge import merge as run_merge

    tags, version = list(tag or []), None
    if meta:
        from buildorch.cli.meta import from_environment

        found = from_environment(Path("."), images=[image])
        tags += [t for t in found.tag_names if t not in tags]
        version = found.version
    platforms = [p.strip() for item in platform or [] for p in item.split(",") if p.strip()]
    spec = validated(
        MergeSpec, digest_dir=digest_dir, image=image, platforms=platforms, tags=tags, version=version, force=force,
        verify=verify, health_paths=health_path or ["/health"], port=port, push_attempts=push_attempts,
    )  # fmt: skip
    result = run_merge(spec)
    from buildorch.cli.report import show_result

    show_result(None, json_out, result.model_dump(mode="json"), lambda: summary_lines(result), "merge", dotenv)


def summary_lines(result: Any) -> list[str]:
    lines = [f"merged {', '.join(result.platforms)} into {result.image}@{result.index_digest}"]
    lines += [f"  {p}: {img.digest}" for p, img in result.platforms.items()]
    lines.append(f"  tagged: {', '.join(result.tags)}")
    return lines + [f"  warning: {w}" for w in result.warnings]
