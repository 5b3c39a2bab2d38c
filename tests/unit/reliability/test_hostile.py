"""The hostile-inputs scenario's own logic: what counts as one error line, which docker commands only read,
and that the table covers every command line with at least 200 cases (no Docker needed)."""

from pathlib import Path

import pytest

from reliability import hostile
from reliability.hostile_inputs import all_cases, project


@pytest.mark.parametrize(
    ("stderr", "ok"),
    [
        ("error: bad\n", True),
        ("error: bad\n  hint: do this\n", True),
        ("warning: x\nerror: bad\n  | detail\n  hint: do this\n", True),
        ("", False),
        ("Usage: buildorch build\nTry 'buildorch build -h' for help.\n\nError: No such option: --x\n", False),
        ("error: a\nerror: b\n", False),
        ("error: a\n  hint: x\n  hint: y\n", False),
        ("error: a\nb\n", False),  # a newline in the message split the line
        ("retrying...\nerror: a\n", False),
    ],
)
def test_one_line_error(stderr: str, ok: bool) -> None:
    assert hostile.one_line_error(stderr) is ok


@pytest.mark.parametrize(
    ("argv", "reads"),
    [
        (["docker", "image", "inspect", "x"], True),
        (["docker", "buildx", "build", "--call", "targets", "."], True),
        (["docker", "buildx", "bake", "--print", "-f", "x"], True),
        (["docker", "buildx", "build", "--load", "."], False),
        (["docker", "buildx", "bake", "-f", "x"], False),
        (["docker", "buildx", "create", "--name", "x"], False),
        (["docker", "run", "--rm", "x"], False),
        (["docker", "push", "x"], False),
    ],
)
def test_only_reading_docker_commands_pass_the_guard(argv: list[str], reads: bool) -> None:
    assert hostile._docker_reads(argv) is reads


def test_every_command_line_has_at_least_200_cases(tmp_path: Path) -> None:
    import typer.main

    from buildorch.cli.app import app

    root = typer.main.get_command(app)
    lines = {"(root)"}
    for name, cmd in getattr(root, "commands", {}).items():
        subs = getattr(cmd, "commands", None)
        lines |= {f"{name} {sub}" for sub in subs} if subs else {name}
    chosen = hostile.select(all_cases(project(tmp_path / "p"), "127.0.0.1:5999"))
    assert set(chosen) == lines
    assert min(len(v) for v in chosen.values()) >= 200
    again = hostile.select(all_cases(project(tmp_path / "q"), "127.0.0.1:5999"))
    assert [c.kind for c in again["build"]] == [c.kind for c in chosen["build"]]  # seeded: the same run twice
    nul = [c for cases in chosen.values() for c in cases if not c.argv_ok]
    assert nul and all(any("\x00" in a for a in c.argv) for c in nul)  # only a NUL keeps a case out of processes
