"""A Dockerfile's stages as BuildKit lists them, with buildorch's parser as the fallback.

``buildorch stages`` and the check of ``--target`` before a build ask BuildKit itself
(:func:`buildorch.engine.buildx.dockerfile_targets`: ``--call targets``, or ``--print=targets``
on buildx 0.13), so that the answer is the builder's own. buildorch's parser
(:mod:`buildorch.core.dockerfile`) answers when BuildKit cannot be asked: no engine, a
``# syntax=`` frontend that is not available, a buildx without the request, ``--local``; it
is also the fast path of ``--dry-run`` and of ``BuildSpec``'s validation. It adds what
BuildKit's list lacks: each stage's ARGs, and the ARGs before the first FROM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from buildorch.builds.frontend import frontend_warning
from buildorch.core import dockerfile
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.engine import buildx


class StageRow(BaseModel):
    """One stage: its position, name (None when unnamed), base image, platform, line and ARGs."""

    index: int
    name: str | None = None
    base: str
    platform: str | None = None
    line: int | None = None
    args: dict[str, str | None] = {}
    description: str | None = None  # BuildKit's: the comment just above the FROM, when it starts with the name


class StagesReport(BaseModel):
    """What ``buildorch stages`` prints: ``read_by`` says whose answer it is."""

    dockerfile: str
    read_by: Literal["buildkit", "buildorch"]
    stages: list[StageRow] = []
    default: int | None = None  # the stage built without --target (the last)
    global_args: dict[str, str | None] = {}
    syntax: str | None = None
    warnings: list[str] = []

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages if s.name]


def dockerfile_path(context: Path, file: Path | None) -> Path:
    path = file if file is not None else context / "Dockerfile"
    if not context.is_dir():
        raise InputError(f"build context {context} is not a directory")
    if not path.is_file():
        raise InputError(f"Dockerfile {path} not found", "pass -f/--file PATH")
    return path


def from_parser(path: Path, parsed: dockerfile.Dockerfile) -> StagesReport:
    rows = [StageRow(index=s.index, name=s.name, base=s.base, platform=s.platform, line=s.line, args=s.args)
            for s in parsed.stages]
    return StagesReport(dockerfile=str(path), read_by="buildorch", stages=rows,
                        default=len(rows) - 1 if rows else None, global_args=parsed.global_args,
                        syntax=parsed.syntax, warnings=list(parsed.warnings))


def from_buildkit(path: Path, doc: dict[str, Any], parsed: dockerfile.Dockerfile | None) -> StagesReport:
    """BuildKit's targets, with the parser's ARGs when both read the same stages."""
    targets = [t for t in doc["targets"] if isinstance(t, dict)]
    rows = []
    for i, t in enumerate(targets):
        ranges = (t.get("location") or {}).get("ranges") or [{}]
        rows.append(StageRow(index=i, name=t.get("name") or None, base=str(t.get("base", "")),
                             platform=t.get("platform") or None, line=(ranges[0].get("start") or {}).get("line"),
                             description=t.get("description") or None))
    report = StagesReport(dockerfile=str(path), read_by="buildkit", stages=rows,
                          default=next((i for i, t in enumerate(targets) if t.get("default")), len(rows) - 1 if rows else None))
    if parsed is None:
        return report
    report.syntax, report.global_args, report.warnings = parsed.syntax, parsed.global_args, list(parsed.warnings)
    if [(s.name, s.base) for s in parsed.stages] == [(r.name, r.base) for r in rows]:
        for row, stage in zip(rows, parsed.stages, strict=True):
            row.args = stage.args
    else:
        report.warnings.append(
            f"buildorch's parser reads other stages than BuildKit ({', '.join(map(str, [s.name for s in parsed.stages]))}): "
            "BuildKit's are shown, without their ARGs; please report this Dockerfile"
        )
    return report


def list_stages(context: Path, file: Path | None = None, *, builder: str | None = None, local: bool = False) -> StagesReport:
    """The stages of CONTEXT/Dockerfile (or ``file``): BuildKit's answer when it can be asked, else the parser's.

    Raises InputError when the file is refused (by BuildKit, or by the parser when it answers).
    """
    path = dockerfile_path(context, file)
    parsed: dockerfile.Dockerfile | None = None
    refused: dockerfile.DockerfileError | None = None
    try:
        parsed = dockerfile.read(path)
    except dockerfile.DockerfileError as exc:
        refused = exc
    why_not = "--local" if local else None
    if why_not is None and (warning := frontend_warning(path)):
        why_not = warning
    doc = None
    if why_not is None:
        try:
            doc = buildx.dockerfile_targets(str(context), str(file) if file is not None else None, builder)
        except EngineError as exc:
            why_not = f"BuildKit cannot be asked ({exc.message})"
        except BuildorchError as exc:
            if builder is not None and f'no builder "{builder}" found' in exc.message:
                raise InputError(f"no builder {builder!r}", "see docker buildx ls, or leave --builder out") from exc
            if parsed is None:
                reason = exc.message.removeprefix("BuildKit's list of stages failed: ").removeprefix("ERROR: ")
                raise InputError(f"BuildKit refused {path}: {reason}") from exc
            why_not = exc.message
        if doc is None and why_not is None:
            why_not = "this buildx cannot ask BuildKit for the stages"
    if doc is not None:
        return from_buildkit(path, doc, parsed)
    if refused is not None:
        raise InputError(str(refused), None if local else why_not)
    assert parsed is not None
    report = from_parser(path, parsed)
    if not local:
        report.warnings.insert(0, f"read by buildorch's parser: {why_not}")
    return report


def buildkit_stage_names(context: Path, file: Path | None, builder: str | None) -> list[str] | None:
    """The stage names BuildKit reads, or None when it cannot be asked or refuses (the build will say why)."""
    path = file if file is not None else context / "Dockerfile"
    if frontend_warning(path) is not None:
        return None
    try:
        doc = buildx.dockerfile_targets(str(context), str(file) if file is not None else None, builder)
    except BuildorchError:
        return None
    if doc is None:
        return None
    return [str(t["name"]).lower() for t in doc["targets"] if isinstance(t, dict) and t.get("name")]


def confirm_target(context: Path, file: Path | None, target: str, builder: str | None) -> None:
    """Raise InputError when BuildKit itself reads no stage ``target`` (the parser found one)."""
    names = buildkit_stage_names(context, file, builder)
    if names is None or target.lower() in names:
        return
    path = file if file is not None else context / "Dockerfile"
    listed = ", ".join(dict.fromkeys(names)) or "none (no FROM ... AS name)"
    raise InputError(f"stage {target!r} not found in {path} by BuildKit; its stages are: {listed}",
                     "buildorch's parser found it: please report this Dockerfile")
