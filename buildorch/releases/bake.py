"""``buildorch release --bake GROUP``: every target of a bake group released as its own image, in one run.

buildx resolves the bake file (``bake --print``, with ``VERSION`` set to the release's);
each target becomes a :class:`ReleaseSpec` with its context, Dockerfile, stage, platforms
and build args. Its image is ``PREFIX/TARGET`` with ``--image PREFIX``, else the name of
its first tag in the bake file (``tags = ["${REGISTRY}/app:${VERSION}"]`` gives
``REGISTRY/app``). Every target is staged first (built, pushed by digest, verified); the
tags move only when all passed, target by target, and a tagging failure puts back the
tags of the targets already tagged. One ``release.json`` holds every target.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ValidationError

from buildorch.bakes.plan import default_files, print_definition
from buildorch.builds import history
from buildorch.core import references
from buildorch.core.errors import BuildorchError, InputError, PushFailed
from buildorch.core.retry import first_line
from buildorch.core.validation import validation_message
from buildorch.releases.models import ReleaseResult, ReleaseSpec
from buildorch.releases.report import render_markdown
from buildorch.releases.runner import Staged, finish, stage
from buildorch.releases.tagging import restore_tags

# set by the release itself (ReleaseSpec refuses them as build args)
_RELEASE_ARGS = ("VERSION", "BUILD_TIME", "SOURCE_DATE_EPOCH")


class BakeReleaseResult(BaseModel):
    """What ``release --bake GROUP`` did: one ReleaseResult per target (also written as release.json)."""

    group: str
    version: str
    status: str = "released"
    error: str | None = None
    targets: dict[str, ReleaseResult] = {}
    output_dir: str | None = None


def image_of(name: str, target: dict[str, Any], prefix: str | None) -> str:
    """The image a bake target is released to: ``PREFIX/NAME``, else the name of its first tag."""
    if prefix:
        return f"{prefix.rstrip('/')}/{name}"
    tags = target.get("tags") or []
    if not tags:
        raise InputError(
            f"bake target {name} has no tags: its image name comes from its first tag",
            "give it tags = [\"REGISTRY/NAME:${VERSION}\"], or pass --image REGISTRY/PREFIX (each target goes to PREFIX/TARGET)",
        )
    image, _ = references.split(str(tags[0]))
    return image


def target_specs(
    group: str, files: list[Path], version: str, prefix: str | None, output_dir: Path, **common: Any
) -> dict[str, ReleaseSpec]:
    """A ReleaseSpec per target of ``group``, from buildx's resolved bake file; ``common`` goes to each.

    A target's own reports (written only when it fails verification) go to ``output_dir/targets/NAME``.
    """
    files = files or default_files()
    args = ["buildx", "bake", *[a for f in files for a in ("--file", str(f))], group]
    defn = print_definition(args, {**os.environ, "VERSION": version}, files=files)
    names = defn.resolve_group(group)
    specs: dict[str, ReleaseSpec] = {}
    for name in names:
        t = defn.target[name].dump()
        context = Path(t.get("context") or ".")
        dockerfile = t.get("dockerfile")
        df = None if not dockerfile else (Path(dockerfile) if Path(dockerfile).is_absolute() else context / dockerfile)
        build_args = {k: str(v) for k, v in (t.get("args") or {}).items() if v is not None and k not in _RELEASE_ARGS}
        fields = {"platforms": t["platforms"]} if t.get("platforms") and "platforms" not in common else {}
        try:
            specs[name] = ReleaseSpec(
                version=version, image=image_of(name, t, prefix), context=context, dockerfile=df, target=t.get("target"),
                build_args=build_args, output_dir=output_dir / "targets" / name, **fields, **common,
            )
        except ValidationError as exc:
            raise InputError(f"bake target {name}: {validation_message(exc)}") from exc
    images = [s.image for s in specs.values()]
    twice = sorted({i for i in images if images.count(i) > 1})
    if twice:
        raise InputError(
            f"several targets of {group} release to the same image: {', '.join(twice)}",
            "pass --image REGISTRY/PREFIX (each target goes to PREFIX/TARGET), or give the targets distinct tags",
        )
    return specs


def release_bake(specs: dict[str, ReleaseSpec], group: str, output_dir: Path, *, log: IO[str] | None = None) -> BakeReleaseResult:
    """Stage every target, then tag them all; on a tagging failure put back the targets already tagged."""
    out = log or sys.stderr
    if not specs:
        raise InputError(f"bake group {group} has no targets")
    version = next(iter(specs.values())).version
    staged: dict[str, Staged] = {}
    for name, spec in specs.items():
        out.write(f"release: target {name} -> {spec.image}\n")
        staged[name] = stage(spec, log=out)
    result = BakeReleaseResult(group=group, version=version)
    done: list[str] = []
    for name, st in staged.items():
        try:
            result.targets[name] = finish(st, out)
        except PushFailed as exc:
            problems = [p for d in done for p in restore_tags(staged[d].plan, staged[d].result, staged[d].clients)]
            result.status, result.error = "failed", f"tagging {name} failed: {first_line(exc)}"
            result.targets = {n: s.result for n, s in staged.items()}
            write_bake_reports(result, output_dir)
            raise PushFailed(
                f"tagging target {name} failed: {exc.message}",
                "the verified indexes are pushed; the tags of the targets tagged before were put back",
                details=[*exc.details, *problems],
            ) from exc
        done.append(name)
    write_bake_reports(result, output_dir)
    for name, st in staged.items():
        history.record("release", {name: st.built}, name=st.plan.spec.image, extra=result.targets[name].model_dump(mode="json"))
    return result


def write_bake_reports(result: BakeReleaseResult, directory: Path) -> None:
    """One release.json (every target) and one release.md (a section per target)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        result.output_dir = str(directory)
        (directory / "release.json").write_text(json.dumps(result.model_dump(mode="json"), indent=2) + "\n")
        md = [f"# Release {result.version} of bake group {result.group}: {result.status}\n"]
        md += [f"## Target {name}\n\n{render_markdown(r)}" for name, r in result.targets.items()]
        (directory / "release.md").write_text("\n".join(md))
    except OSError as exc:
        if result.status == "released":
            raise BuildorchError(f"cannot write the release report to {directory}: {exc}") from exc
