"""Scenario ``hostile-inputs``: at least 200 generated bad command lines per command, each refused cleanly.

Every case (``reliability/hostile_inputs.py``) runs through the console script's own entry
point, in this process: ``sys.argv`` is set and :func:`buildorch.cli.entry.main` called with
no argument, so it takes the path the installed ``buildorch`` takes, ``SystemExit`` and all.
A sample per command then runs as real processes (the venv's ``buildorch`` script) to
confirm the process ends the same way. Budget: about 3 minutes on two shared cores.

A case must end with exit code != 0 from the documented table, stderr of one ``error:``
line (``warning:`` lines before it, ``  |`` detail lines and one ``  hint:`` after it
allowed), no traceback, and nothing left behind: no file in the scratch project or the
temporary directory, no container, image or builder named ``r4-hostile``.

A bad input must be refused before buildorch starts real work. An audit hook (PEP 578)
watches every process and HTTP request the in-process cases start: reading is let through
(``docker image inspect``, ``buildx ls``, ``buildx build --call``, ``bake --print``, git, GET),
anything that would build, run, push, tag or create is stopped by raising
:class:`StartedWork` (a ``BaseException``, so no ``except Exception`` in buildorch swallows it)
and counted as a finding. With ``DOCKER_HOST`` or ``DOCKER_CONTEXT`` set by the case (a dead
socket, garbage) every docker command is let through: it cannot reach the engine.
"""

from __future__ import annotations

import contextlib
import functools
import io
import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reliability.common import TRACEBACK, buildorch_argv, docker
from reliability.hostile_inputs import CLOSED, Case, all_cases, project
from reliability.report import Figure

SEED = 19
PER_COMMAND = 200  # cases per command line (goal: >= 200)
SAMPLE = 3  # of them, per command, also run as real processes (about 1.3 s each on the shared cores)
WORKERS = 2  # processes sharing the command lines (the machine has two cores)
MARK = "r4-hostile"
STATE_DIRS = (".buildorch", ".buildorch/cache")

# docker sub-commands that only read: (first word, second word or None for any)
_READS = {("version", None), ("info", None), ("context", None), ("image", "inspect"), ("inspect", None),
          ("images", None), ("image", "ls"), ("pull", None), ("buildx", "version"), ("buildx", "inspect"),
          ("buildx", "ls"), ("buildx", "du"), ("buildx", "imagetools"), ("image", "history"), ("history", None)}  # fmt: skip
# What writes local state (a builder, a context, credentials) even when no engine answers: never let through.
_LOCAL_WRITES = {"create", "rm", "use", "login", "logout", "update"}


class StartedWork(BaseException):
    """A bad input got as far as starting real work (a build, a container, a push...)."""


_guard = threading.local()


def _docker_reads(args: list[str]) -> bool:
    words = [a for a in args[1:] if not a.startswith("-")]
    if len(words) >= 2 and words[0] == "buildx" and words[1] == "build":
        return any(a.startswith(("--call", "--print")) for a in args)
    if len(words) >= 2 and words[0] == "buildx" and words[1] == "bake":
        return any(a.startswith("--print") for a in args)
    return any((w1 == words[0] if words else False) and (w2 is None or (len(words) > 1 and words[1] == w2))
               for w1, w2 in _READS)  # fmt: skip


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not getattr(_guard, "on", False):
        return
    if event == "subprocess.Popen":
        argv = [os.fsdecode(a) for a in (args[1] if isinstance(args[1], (list, tuple)) else [args[1]])]
        prog = os.path.basename(argv[0]) if argv else ""
        if prog == "git" or prog == "ctr":
            return
        if prog == "docker-buildx":  # buildx run as its plugin (engine/docker_cli.argv)
            argv, prog = ["docker", "buildx", *argv[1:]], "docker"
        words = [a for a in argv[1:] if not a.startswith("-")][:2]
        unreachable = getattr(_guard, "unreachable", False) and not _LOCAL_WRITES.intersection(words)
        if prog == "docker" and (unreachable or _docker_reads(argv) or _refused_login(argv)):
            return
        _guard.hits.append(" ".join(argv)[:200])
        raise StartedWork(" ".join(argv)[:200])
    if event == "urllib.Request" and str(args[3] or "GET").upper() not in ("GET", "HEAD"):
        _guard.hits.append(f"{args[3]} {args[0]}"[:200])
        raise StartedWork(f"{args[3]} {args[0]}")


def _refused_login(argv: list[str]) -> bool:
    """``docker login`` to the refusing registry or the closed port: it can only fail."""
    return "login" in argv and any(a == CLOSED or a == getattr(_guard, "registry", None) for a in argv)


@functools.cache
def _install_hook() -> None:
    sys.addaudithook(_audit)  # cannot be removed: it does nothing unless _guard.on


@dataclass
class Result:
    case: Case
    code: int
    stderr: str
    seconds: float
    started_work: str | None = None
    leftovers: list[str] = field(default_factory=list)

    @property
    def traceback(self) -> bool:
        return TRACEBACK in self.stderr

    @property
    def one_line(self) -> bool:
        return self.code != 0 and one_line_error(self.stderr)


def one_line_error(stderr: str) -> bool:
    """``warning:`` lines, then one ``error:`` line, then ``  |`` details and at most one ``  hint:`` line."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    while lines and lines[0].startswith("warning:"):
        lines.pop(0)
    if not lines or not lines[0].startswith("error: "):
        return False
    rest = lines[1:]
    hints = [ln for ln in rest if ln.startswith("  hint: ")]
    details = [ln for ln in rest if ln.startswith("  | ")]
    return len(hints) <= 1 and len(hints) + len(details) == len(rest) and (not hints or rest[-1] == hints[0])


def _clear_caches() -> None:
    """What buildorch caches for the life of a process (the buildx version...), forgotten between cases."""
    for name, module in list(sys.modules.items()):
        if not name.startswith("buildorch.") or name == "buildorch.cli.app":
            continue
        for value in list(vars(module).values()):
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", "") == name:
                value.cache_clear()


@contextlib.contextmanager
def _environment(case: Case, tmp: Path) -> Iterator[None]:
    saved_env, saved_argv, saved_stdin = dict(os.environ), sys.argv, sys.stdin
    os.environ.update(dict(case.env))
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)
    sys.argv = ["buildorch", *case.argv]
    sys.stdin = io.StringIO(case.stdin)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        tempfile.tempdir = None
        sys.argv, sys.stdin = saved_argv, saved_stdin


def _state(path: str) -> bool:
    """The project's state directories and the cache's lock files (``flock`` files, kept on purpose:
    builds/cache_store.py) are buildorch's, made before a build starts: not leftovers of a bad input."""
    return path in STATE_DIRS or bool(re.fullmatch(r"\.buildorch/cache/\.[^/]+\.(export|readers)", path))


def _builders() -> set[str]:
    """buildx's builders, as files in the Docker config (a builder made and not removed is a leftover)."""
    instances = Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker") / "buildx" / "instances"
    return set(os.listdir(instances)) if instances.is_dir() else set()


def _reuse_apps() -> None:
    """Build each command's typer app and click command once per worker, not once per case.

    The console script builds them once per process; here a case is not a process, and building them
    is 2/3 of a case's time (typer reads every option's annotations). They are immutable descriptions,
    so reusing them changes no outcome: the process sample checks that it does not.
    """
    import typer.main

    from buildorch.cli import app

    app.make_app = functools.cache(app.make_app)
    built: dict[int, tuple[Any, Any]] = {}
    original = typer.main.get_command

    def get_command(typer_instance: Any) -> Any:
        if id(typer_instance) not in built:  # the instance is kept in the value: its id is not reused
            built[id(typer_instance)] = (typer_instance, original(typer_instance))
        return built[id(typer_instance)][1]

    typer.main.get_command = get_command


def _snapshot(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_in_process(case: Case, root: Path, tmp: Path, before: set[str]) -> Result:
    """One case through the console script's entry point, as ``buildorch ARGV`` runs it."""
    from buildorch.cli import entry

    # As a process has them: stdout strict UTF-8 (a lone surrogate printed there fails), stderr backslashreplace.
    out_b, err_b = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_b, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_b, encoding="utf-8", errors="backslashreplace", write_through=True)
    code, started = 0, None
    _guard.hits = []
    # DOCKER_HOST or DOCKER_CONTEXT set by the case: the engine cannot be reached, so any docker command may run.
    _guard.unreachable = any(k in ("DOCKER_HOST", "DOCKER_CONTEXT") and v.strip() for k, v in case.env)
    if case.env:
        _clear_caches()
    builders = _builders()
    start = time.monotonic()
    with _environment(case, tmp), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        _guard.on = True
        try:
            entry.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except StartedWork as exc:
            code, started = -1, str(exc)
        finally:
            _guard.on = False
    seconds = time.monotonic() - start
    if case.env:
        _clear_caches()
    if _guard.hits and started is None:  # stopped, then swallowed by buildorch: still a finding
        started = _guard.hits[0]
    # A builder is made only by `buildx create`, which the guard stops: one that appears now is another
    # session's (never removed here); only a name of this scenario's would be a leftover.
    made = sorted(n for n in _builders() - builders if MARK in n)
    new = sorted(_snapshot(root) - before) + [f"$TMPDIR/{n}" for n in os.listdir(tmp)]
    # The project's state, made before a build that then failed: not a leftover (see _state).
    left = [n for n in new if not (_state(n) and all(_state(str(p.relative_to(root))) for p in (root / n).rglob("*")))]
    for name in new:  # clean up, so that one leftover is counted once
        path = tmp / name.removeprefix("$TMPDIR/") if name.startswith("$TMPDIR/") else root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return Result(case, code, err_b.getvalue().decode(errors="replace"), seconds, started, left + [f"builder {n}" for n in made])


def run_process(case: Case, root: Path, script: list[str]) -> tuple[int, str]:
    argv = [os.fsencode(a) for a in [*script, *case.argv]]  # a lone surrogate goes back to the byte it was
    env = {**os.environ, **dict(case.env)}
    proc = subprocess.run(argv, capture_output=True, cwd=root, env=env, input=case.stdin.encode(), timeout=120, check=False)
    return proc.returncode, proc.stderr.decode(errors="replace")


class _Refusing(BaseHTTPRequestHandler):
    """A registry that refuses everything: 401 with a challenge whose realm must not be followed, or 403."""

    def _refuse(self) -> None:
        if self.path.startswith("/v2/") and "r4-403" not in self.path:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Bearer realm="file:///etc/passwd",service="r4"')
        else:
            self.send_response(403)
        body = b'{"errors":[{"code":"DENIED","message":"r4 refuses"}]}'
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _refuse

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _docker_leftovers() -> list[str]:
    names = docker("ps", "-a", "--format", "{{.Names}} {{.Image}}", check=False).splitlines()
    names += docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).splitlines()
    names += docker("buildx", "ls", "--format", "{{.Name}}", check=False).splitlines()
    return [n for n in names if MARK in n or n.startswith("r4-extra")]


def select(cases: dict[str, list[Case]]) -> dict[str, list[Case]]:
    """At most PER_COMMAND cases per command, every axis kept (seeded per command: reproducible, whatever the split)."""
    out = {}
    for cmd, pool in cases.items():
        rng = random.Random(f"{SEED}-{cmd}")
        if len(pool) <= PER_COMMAND:
            out[cmd] = pool
            continue
        by_axis: dict[str, list[Case]] = {}
        for c in pool:
            by_axis.setdefault(c.kind.split("/")[0], []).append(c)
        first = [rng.choice(v) for v in by_axis.values()]  # one of each axis, then a random fill
        rest = [c for c in pool if c not in first]
        out[cmd] = first + rng.sample(rest, max(0, PER_COMMAND - len(first)))
    return out


@dataclass
class Share:
    """What one worker ran: its cases' results, the sample again as processes, and what stayed in its project."""

    chosen: dict[str, int]
    results: list[Result]
    sample: list[tuple[Result, int, str]]
    left_after: list[str]
    in_process_s: float
    process_s: float


def _worker(index: int, commands: list[str], work: Path, registry: str) -> Share:
    """Run ``commands``' cases in-process, then a sample as processes, in a scratch project of this worker's own."""
    _install_hook()
    _reuse_apps()
    _guard.registry = registry
    root = work / f"w{index}"
    proj = project(root / "p")
    tmp = root / "tmp"
    tmp.mkdir()
    chosen = {c: v for c, v in select(all_cases(proj, registry)).items() if c in commands}
    before = _snapshot(proj.root)
    script = Path(sys.executable).with_name("buildorch")
    prefix = [str(script)] if script.exists() else buildorch_argv()
    cwd = os.getcwd()
    os.chdir(proj.root)
    try:
        start = time.monotonic()
        results = [run_in_process(case, proj.root, tmp, before) for cases in chosen.values() for case in cases]
        in_process_s = time.monotonic() - start
    finally:
        os.chdir(cwd)
    # The sample as real processes: the same exit code and the same shape of stderr.
    sample = []
    for cmd in chosen:
        ok = [r for r in results if r.case.command == cmd and r.case.argv_ok and not r.started_work]
        sample += random.Random(f"{SEED}-{cmd}-sample").sample(ok, min(SAMPLE, len(ok)))
    start = time.monotonic()
    procs = [(r, *run_process(r.case, proj.root, prefix)) for r in sample]
    process_s = time.monotonic() - start
    left = sorted(_snapshot(proj.root) - before)
    return Share({c: len(v) for c, v in chosen.items()}, results, procs, left, in_process_s, process_s)


def run() -> tuple[list[Figure], list[str]]:
    work = Path(tempfile.mkdtemp(prefix=f"{MARK}-"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    registry = f"127.0.0.1:{server.server_address[1]}"
    try:
        commands = list(all_cases(project(work / "names"), registry))
        split = [commands[i::WORKERS] for i in range(WORKERS)]
        # fork: the children inherit the imported buildorch; the refusing registry keeps serving from here.
        with multiprocessing.get_context("fork").Pool(WORKERS) as pool:
            shares = pool.starmap(_worker, [(i, cmds, work, registry) for i, cmds in enumerate(split)])
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)
    from reliability.hostile_figures import figures

    return figures(shares, _docker_leftovers())
