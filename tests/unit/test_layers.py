"""The package layers hold: every import in buildorch/ is read from the source (AST) and checked.

cli -> capabilities (releases > bakes, inspect, diagnosis, reports > builds > builders) -> engine -> core:
a module may import its own package and the packages below it, never one above or beside it.
Only cli/ imports typer; only engine/ runs processes or opens sockets. See ARCHITECTURE.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.recorded import ROOT

PACKAGE = ROOT / "buildorch"

# What each top-level part of buildorch may lean on: everything of a lower rank.
RANK = {
    "core": 0,
    "engine": 1,
    "builders": 2,
    "meta": 2,
    "ci": 2,
    "builds": 3,
    "bakes": 4,
    "inspect": 4,
    "diagnosis": 4,
    "reports": 4,
    "supply": 4,
    "repro": 4,
    "releases": 5,
    "cli": 6,
}
# The public surface: buildorch/__init__.py (lazy names), buildorch.errors (their public address), __main__.
API = {"__init__", "__main__", "errors"}
# Only engine/ talks to the outside world.
OUTSIDE = ("subprocess", "socket", "ssl", "urllib.request", "http.client", "python_on_whales")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def part_of(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, with its line, ``from X import y`` counted as X and X.y."""
    tree = ast.parse(path.read_text(), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return out


def target_part(name: str) -> str | None:
    """``buildorch.builds.spec`` -> ``builds``; None for anything outside buildorch or the package itself."""
    parts = name.split(".")
    if parts[0] != "buildorch" or len(parts) < 2:
        return None
    return parts[1]


def test_every_part_has_a_rank() -> None:
    parts = {part_of(p) for p in modules()}
    assert parts - API <= set(RANK), f"give these a rank in RANK (and a paragraph in ARCHITECTURE.md): {parts - API - set(RANK)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_only_go_down(path: Path) -> None:
    here = part_of(path)
    if here in API:
        return
    bad = []
    for line, name in imported(path):
        there = target_part(name)
        if there is None or there not in RANK or there == here:
            continue  # not buildorch, a name of the buildorch package itself, or this part
        if RANK[there] >= RANK[here]:
            bad.append(f"{path.relative_to(ROOT)}:{line}: {here} (rank {RANK[here]}) imports {name} (rank {RANK[there]})")
    assert not bad, "a layer imports one above or beside it:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_cli_imports_typer(path: Path) -> None:
    if part_of(path) == "cli":
        return
    bad = [f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in imported(path) if name.split(".")[0] == "typer"]
    assert not bad, "typer outside cli/:\n" + "\n".join(bad)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_engine_talks_to_the_outside(path: Path) -> None:
    if part_of(path) == "engine":
        return
    bad = [
        f"{path.relative_to(ROOT)}:{line}: {name}"
        for line, name in imported(path)
        if any(name == m or name.startswith(m + ".") for m in OUTSIDE)
    ]
    assert not bad, "a process or a socket outside engine/:\n" + "\n".join(bad)


MAX_LINES = 400  # issue 14: a module longer than this holds two subjects; split it where they part


def too_long(path: Path) -> int | None:
    n = len(path.read_text().splitlines())
    return n if n > MAX_LINES else None


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert too_long(path) is None, f"{path.relative_to(ROOT)} has {too_long(path)} lines (at most {MAX_LINES}): split it"


def test_the_checks_catch_a_violation(tmp_path: Path) -> None:
    f = tmp_path / "x.py"
    f.write_text("import typer\nfrom buildorch.cli.render import emit_json\nfrom buildorch.engine import buildx\n")
    assert [n for _, n in imported(f)] == ["typer", "buildorch.cli.render", "buildorch.cli.render.emit_json",
                                           "buildorch.engine", "buildorch.engine.buildx"]
    assert target_part("buildorch.cli.render") == "cli" and RANK["cli"] > RANK["builds"]
    f.write_text("x = 1\n" * (MAX_LINES + 1))
    assert too_long(f) == MAX_LINES + 1


def test_the_release_script_uses_only_the_public_api() -> None:
    script = ROOT / "scripts" / "release.py"
    used = [name for _, name in imported(script) if name.split(".")[0] == "buildorch"]
    assert used and all(name == "buildorch" or (name.count(".") == 1 and name.startswith("buildorch.")) for name in used), used
    assert not [n for n in used if target_part(n) in RANK], f"scripts/release.py reaches past the public API: {used}"
