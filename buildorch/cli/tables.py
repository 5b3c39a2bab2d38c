"""Rich tables for ``inspect``, ``compare`` and ``smoke`` (imported only when printing for people)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from buildorch.core.units import human_size

if TYPE_CHECKING:
    from buildorch.inspect.compare import Comparison
    from buildorch.inspect.image import ImageReport
    from buildorch.inspect.smoke import SmokeReport


def console() -> Console:
    out = Console()
    # Piped output has no width; give tables room instead of rich's 80 columns.
    return out if out.is_terminal else Console(width=120)


def _elf(report: ImageReport) -> str:
    main = report.main_executable
    if main is None:
        return "no entrypoint or cmd"
    if main.elf is None:
        return f"{main.path}: {main.note or '?'}"
    e = main.elf
    return (f"{main.resolved or main.path}: {e.machine} {e.bits}-bit, {'static' if e.static else 'dynamic'}, "
            f"{'stripped' if e.stripped else 'not stripped'}")


def _packages(report: ImageReport) -> str:
    p = report.packages
    return f"{p.count} ({p.manager})" if p.manager else "0 (no dpkg or apk database)"


def _health(report: ImageReport) -> str:
    hc = report.config.healthcheck
    return " ".join(hc[1:] if hc and hc[0] in ("CMD", "CMD-SHELL") else hc or []) or "none"


def summary_rows(report: ImageReport) -> list[tuple[str, str]]:
    c = report.config
    return [
        ("platform", report.platform),
        ("size", f"{human_size(report.size_uncompressed)} uncompressed, {human_size(report.size_compressed)} compressed"),
        ("layers", f"{sum(1 for la in report.layers if not la.empty)} with content, {len(report.layers)} history entries"),
        ("files", f"{report.file_count} files, {report.dir_count} dirs, {report.symlink_count} symlinks"),
        ("OS packages", _packages(report)),
        ("user", f"{c.user or '(root)'}{' - runs as root' if report.runs_as_root else ''}"),
        ("shell", report.shell or "none (use `buildorch debug --export` to look inside)"),
        ("entrypoint", " ".join(c.entrypoint or []) or "-"),
        ("cmd", " ".join(c.cmd or []) or "-"),
        ("main executable", _elf(report)),
        ("exposed ports", ", ".join(c.exposed_ports) or "-"),
        ("healthcheck", _health(report)),
        ("workdir", c.workdir or "/"),
    ]


def print_report(report: ImageReport) -> None:
    out = console()
    t = Table(title=f"{report.image} ({report.platform})", show_header=False, title_justify="left")
    t.add_column(style="bold")
    t.add_column(overflow="fold")
    for k, v in summary_rows(report):
        t.add_row(k, escape(v))  # what the image says is text, not markup: a VOLUME ["/var/x"] is "[/var/x]"
    for item in report.config.env:
        t.add_row("env", escape(item))
    for k, v in report.config.labels.items():
        t.add_row("label", escape(f"{k}={v}"))
    out.print(t)

    lt = Table(title="layers (oldest first)", title_justify="left")
    unc = report.layers_source == "history"
    lt.add_column("size" if unc else "compressed", justify="right")
    lt.add_column("created by", overflow="fold")
    for layer in report.layers:
        size = layer.size if unc else layer.compressed_size
        lt.add_row("-" if layer.empty else human_size(size), escape(layer.created_by))
    out.print(lt)

    ft = Table(title="largest files", title_justify="left")
    ft.add_column("size", justify="right")
    ft.add_column("path", overflow="fold")
    for f in report.largest_files:
        ft.add_row(human_size(f.size), escape(f.path))
    out.print(ft)


def print_comparison(cmp: Comparison) -> None:
    out = console()
    t = Table(title="comparison", title_justify="left")
    t.add_column("", style="bold")
    t.add_column(f"A: {cmp.a.image}", overflow="fold")
    t.add_column(f"B: {cmp.b.image}", overflow="fold")
    a_rows, b_rows = summary_rows(cmp.a), summary_rows(cmp.b)
    for (k, va), (_, vb) in zip(a_rows, b_rows, strict=True):
        t.add_row(k, escape(va), escape(vb))
    out.print(t)
    ratio = f"{cmp.size_ratio:.1f}x" if cmp.size_ratio is not None else "?"
    cratio = f"{cmp.size_ratio_compressed:.1f}x" if cmp.size_ratio_compressed is not None else "?"
    out.print(
        f"B/A size: {ratio} uncompressed ({human_size(cmp.b.size_uncompressed)} / {human_size(cmp.a.size_uncompressed)}), "
        f"{cratio} compressed ({human_size(cmp.b.size_compressed)} / {human_size(cmp.a.size_compressed)})"
    )


def print_smoke(report: SmokeReport) -> None:
    out = console()
    t = Table(title=f"smoke test of {report.image}", title_justify="left")
    for col in ("platform", "ready after", "path", "status", "latency", "result"):
        t.add_column(col)
    for p in report.platforms:
        ready = f"{p.ready_seconds:.1f}s ({p.ready_by})" if p.ready_seconds is not None else "never"
        if not p.checks:
            t.add_row(p.platform, ready, "-", "-", "-", _verdict(p.ok, p.error))
        for i, c in enumerate(p.checks):
            t.add_row(
                p.platform if i == 0 else "",
                ready if i == 0 else "",
                escape(c.path),
                str(c.status) if c.status is not None else "-",
                f"{c.latency_ms:.0f} ms" if c.latency_ms is not None else "-",
                _verdict(c.ok, c.error),
            )
    out.print(t)


def _verdict(ok: bool, error: Any) -> str:
    return "[green]ok[/green]" if ok else f"[red]FAIL[/red] {escape(str(error or ''))}".rstrip()
