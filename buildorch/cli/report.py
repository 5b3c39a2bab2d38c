"""``buildorch report``: a build record as one self-contained HTML page, or Markdown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

ReportFormat = Literal["html", "md"]


def report(
    record: Annotated[
        str | None,
        typer.Argument(help="Record id (or unique prefix), last~N (N before the latest) or a record file. Default: the latest."),
    ] = None,
    last: Annotated[bool, typer.Option("--last", help="The latest record (the default).")] = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    fmt: Annotated[str, typer.Option("--format", help="html or md.")] = "html",
) -> None:
    """Draw a build record: timeline per platform, cache, summary, trend.

    Example: buildorch report --last -o report.html
    """
    from buildorch.core.errors import InputError

    if fmt not in ("html", "md"):
        raise InputError(f"unknown --format {fmt!r}: use html or md")
    if last and record:
        raise InputError("--last and a RECORD exclude each other")
    text = render_report(None if last else record, fmt)  # type: ignore[arg-type]
    if output is None:
        typer.echo(text, nl=False)
    else:
        write_report(text, output)
        typer.echo(f"report: {output}", err=True)


def render_report(record: str | None, fmt: ReportFormat = "html") -> str:
    from buildorch.builds import history
    from buildorch.reports.html import render_html
    from buildorch.reports.markdown import render_markdown

    rec = history.find(record)
    trend = history.same_target(rec)
    return render_html(rec, trend) if fmt == "html" else render_markdown(rec, trend)


def show_result(
    report: Path | None,
    json_out: bool,
    data: Any,
    lines: Callable[[], list[str]],
    kind: str | None = None,
    dotenv: Path | None = None,
) -> None:
    """The end of build, bake and release: the ``--report`` file, CI's outputs, then JSON or the summary lines on stdout."""
    from buildorch.cli.render import emit_json

    report_written(report)
    if kind is not None:
        ci_outputs(kind, data, dotenv)
    if json_out:
        emit_json(data)
        return
    for line in lines():
        typer.echo(line)


def ci_outputs(kind: str, data: Any, dotenv: Path | None) -> None:
    """``$GITHUB_OUTPUT``, ``$GITHUB_STEP_SUMMARY`` (when CI set them) and ``--dotenv FILE``."""
    import os

    from buildorch.ci.outputs import write_all
    from buildorch.core.errors import BuildorchError

    try:
        write_all(kind, data, os.environ, dotenv)  # type: ignore[arg-type]
    except OSError as exc:
        raise BuildorchError(f"cannot write CI outputs: {exc}", "check GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and --dotenv") from exc


def report_written(path: Path | None) -> None:
    """``--report FILE`` of build, bake and release: draw the record this run just wrote."""
    if path is None:
        return
    from buildorch.builds import history
    from buildorch.reports.html import render_html
    from buildorch.reports.markdown import render_markdown

    rec = history.written_last()
    if rec is None:
        typer.echo("warning: no build record was written (BUILDORCH_HISTORY=0?): no report", err=True)
        return
    trend = history.same_target(rec) or [rec]
    write_report(render_html(rec, trend) if report_format(path) == "html" else render_markdown(rec, trend), path)
    typer.echo(f"report: {path}", err=True)


def write_report(text: str, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def report_format(path: Path) -> ReportFormat:
    """``--report FILE``: Markdown for ``.md``, HTML otherwise."""
    return "md" if path.suffix.lower() in (".md", ".markdown") else "html"
