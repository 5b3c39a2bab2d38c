"""``buildorch debug``: build one stage, then run a command in it, open a shell, or export its files.

The stage is built through :func:`buildorch.builds.runner.build` (version args, cache)
and loaded under a throwaway tag that is removed afterwards. A stage of another
architecture runs under QEMU: ``docker run --platform`` is all it takes once
binfmt is registered. ``--export`` uses BuildKit's local output, so it needs
nothing in the stage, not even a shell.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from buildorch.builds.runner import build
from buildorch.builds.spec import BuildResult, BuildSpec
from buildorch.core.errors import InputError
from buildorch.engine import buildx, containers

SHELLS = ("/bin/bash", "/bin/sh")


class DebugOutcome(BaseModel):
    """What ``buildorch debug`` did: the build, then the command run or the export written."""

    image: str | None = None
    platform: str | None = None
    command: list[str] = []
    exit_code: int = 0
    stdout: str | None = None  # only when captured (--json)
    stderr: str | None = None
    export_dir: str | None = None
    exported_files: int | None = None
    kept: bool = False
    build: BuildResult


def stdin_is_pipe() -> bool:
    """stdin is a pipe or a file (``debug -- sh < script.sh``): forward it with ``-i``."""
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def find_shell(image: str, platform: str) -> str | None:
    """``/bin/bash`` or ``/bin/sh`` if the image has one (read with ``docker cp``: no shell needed to look)."""
    with containers.created(image, platform) as cid:
        for shell in SHELLS:
            found = containers.copy_out(cid, shell, limit=0)
            if found is not None and found[0] in ("file", "symlink"):
                return shell
    return None


def run_argv(image: str, platform: str, command: list[str], *, tty: bool, stdin: bool, user: str | None) -> list[str]:
    """``docker run --rm ... --entrypoint CMD[0] IMAGE CMD[1:]``: CMD replaces the image's ENTRYPOINT too."""
    argv = ["run", "--rm", "--pull", "never", "--platform", platform]
    if tty:
        argv.append("-it")
    elif stdin:
        argv.append("-i")
    if user:
        argv += ["--user", user]
    return [*argv, "--entrypoint", command[0], image, *command[1:]]


def debug_stage(
    spec: BuildSpec,
    command: list[str],
    *,
    interactive: bool,
    capture: bool = False,
    user: str | None = None,
    keep: bool = False,
    call: str = "buildorch debug",
    log: IO[str] | None = None,
) -> DebugOutcome:
    """Build ``spec`` (load, one throwaway tag) and run ``command`` in it, or a shell when ``interactive``.

    ``capture`` keeps the command's output in the outcome instead of the terminal.
    ``call`` is how the user called us, for hints. Raises InputError when there is
    nothing to run (no command and no terminal, or no shell in the stage).
    """
    out = log or sys.stderr
    tag = spec.tags[0]
    with containers.removed_after([], keep=keep) as made:
        result = build(spec, log=out)
        made.append(tag)
        meta = containers.require_image(tag)
        platform = spec.platforms[0] if spec.platforms else containers.default_platform(meta)
        stage = spec.target or "the last stage"
        out.write(f"debug: built {stage} ({platform}) as {tag}\n")
        if not command:
            shell = find_shell(tag, platform)
            if shell is None:
                raise InputError(
                    f"stage {stage!r} has no shell (/bin/sh), so there is nothing to open",
                    f"look at its files with `{call} --export DIR`, or pass a command that exists in it after --",
                )
            if not interactive:
                raise InputError(
                    "no command given and stdin is not a terminal",
                    f"pass one after --, e.g. `{call} -- ls -la /`",
                )
            command = [shell]
        outcome = DebugOutcome(image=tag, platform=platform, command=command, kept=keep, build=result)
        out.write(f"debug: running {' '.join(command)}\n")
        out.flush()
        tty = interactive and not capture and sys.stdout.isatty()
        # A shell on a terminal gets -it; piped stdin (`-- sh < script`) is forwarded with -i.
        argv = run_argv(tag, platform, command, tty=tty, stdin=not tty and (interactive or stdin_is_pipe()), user=user)
        if capture:
            outcome.exit_code, outcome.stdout, outcome.stderr = buildx.run_capture(argv)
        else:
            outcome.exit_code = buildx.run_attached(argv)
    if keep:
        out.write(f"debug: kept image {tag}\n")
    return outcome


def export_stage(spec: BuildSpec, dest: Path, *, log: IO[str] | None = None) -> DebugOutcome:
    """Build ``spec`` with ``--output type=local,dest=DEST`` (``spec.output`` already says so)."""
    result = build(spec, log=log)
    files = sum(len(f) for _, _, f in os.walk(dest))
    return DebugOutcome(platform=spec.platforms[0] if spec.platforms else None, export_dir=str(dest),
                        exported_files=files, build=result)
