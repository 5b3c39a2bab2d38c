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
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reliability.common import DOCUMENTED_EXITS, TRACEBACK, buildorch_argv, docker
from reliability.hostile_inputs import CLOSED, Case, all_cases, project
from reliability.report import Figure

SEED = 19
PER_COMMAND = 210  # cases per command line (goal: >= 200)
SAMPLE = 8  # of them, per command, also run as real processes
MARK = "r4-hostile"

# docker sub-commands that only read: (first word, second word or None for any)
_READS = {("version", None), ("info", None), ("context", None), ("image", "inspect"), ("inspect", None),
          ("images", None), ("image", "ls"), ("pull", None), ("buildx", "version"), ("buildx", "inspect"),
          ("buildx", "ls"), ("buildx", "du"), ("buildx", "imagetools")}  # fmt: skip


class StartedWork(BaseException):  # noqa: N818 - not an error of buildorch's: the scenario's own stop
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
        if prog == "docker" and (getattr(_guard, "unreachable", False) or _docker_reads(argv) or _refused_login(argv)):
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
    _guard.unreachable = any(k in ("DOCKER_HOST", "DOCKER_CONTEXT") for k, _ in case.env)
    if case.env:
        _clear_caches()
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
    left = sorted(_snapshot(root) - before) + [f"$TMPDIR/{n}" for n in os.listdir(tmp)]
    for name in left:  # clean up, so that one leftover is counted once
        path = tmp / name.removeprefix("$TMPDIR/") if name.startswith("$TMPDIR/") else root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return Result(case, code, err_b.getvalue().decode(errors="replace"), seconds, started, left)


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

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _refuse  # noqa: N815

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


def _docker_leftovers() -> list[str]:
    names = docker("ps", "-a", "--format", "{{.Names}} {{.Image}}", check=False).splitlines()
    names += docker("image", "ls", "--format", "{{.Repository}}:{{.Tag}}", check=False).splitlines()
    names += docker("buildx", "ls", "--format", "{{.Name}}", check=False).splitlines()
    return [n for n in names if MARK in n or n.startswith("r4-extra")]


def _short(case: Case) -> str:
    text = " ".join(case.argv)
    return repr(text if len(text) < 160 else text[:150] + f"...({len(text)} chars)")


def _finding(r: Result) -> str:
    first = next((ln for ln in r.stderr.splitlines() if ln.strip()), "")[:200]
    why = (f"started work: {r.started_work}" if r.started_work else "traceback" if r.traceback
           else f"left {r.leftovers[:3]}" if r.leftovers else f"exit {r.code}: {first!r}")  # fmt: skip
    return f"{r.case.command} [{r.case.kind}] {_short(r.case)}: {why}"


def select(cases: dict[str, list[Case]], rng: random.Random) -> dict[str, list[Case]]:
    """At most PER_COMMAND cases per command, every axis kept (seeded, so a run is reproducible)."""
    out = {}
    for cmd, pool in cases.items():
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


def run() -> tuple[list[Figure], list[str]]:
    _install_hook()
    rng = random.Random(SEED)
    work = Path(tempfile.mkdtemp(prefix=f"{MARK}-"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    registry = f"127.0.0.1:{server.server_address[1]}"
    _guard.registry = registry
    script = Path(sys.executable).with_name("buildorch")
    prefix = [str(script)] if script.exists() else buildorch_argv()
    cwd = os.getcwd()
    results: list[Result] = []
    try:
        proj = project(work / "p")
        tmp = work / "tmp"
        tmp.mkdir()
        chosen = select(all_cases(proj, registry), rng)
        before = _snapshot(proj.root)
        os.chdir(proj.root)
        start = time.monotonic()
        for cmd, cases in chosen.items():
            for case in cases:
                results.append(run_in_process(case, proj.root, tmp, before))
        in_process_s = time.monotonic() - start
        os.chdir(cwd)
        # The sample as real processes: the same exit code and the same first line.
        sample = []
        for cmd, cases in chosen.items():
            ok = [r for r in results if r.case.command == cmd and r.case.argv_ok and not r.started_work]
            sample += rng.sample(ok, min(SAMPLE, len(ok)))
        start = time.monotonic()
        with ThreadPoolExecutor(2) as pool:
            procs = list(pool.map(lambda r: run_process(r.case, proj.root, prefix), sample))
        process_s = time.monotonic() - start
        after = _snapshot(proj.root)
    finally:
        os.chdir(cwd)
        server.shutdown()
        server.server_close()
        shutil.rmtree(work, ignore_errors=True)
    docker_left = _docker_leftovers()
    return figures(chosen, results, sample, procs, docker_left, sorted(after - before), in_process_s, process_s)


def figures(chosen: dict[str, list[Case]], results: list[Result], sample: list[Result], procs: list[tuple[int, str]],
            docker_left: list[str], process_left: list[str], in_process_s: float, process_s: float,
            ) -> tuple[list[Figure], list[str]]:  # fmt: skip
    n = len(results)
    per_cmd = Counter(r.case.command for r in results)
    exits = Counter(str(r.code) for r in results)
    exits_by_cmd = {cmd: dict(Counter(str(r.code) for r in results if r.case.command == cmd)) for cmd in per_cmd}
    bad_line = [r for r in results if not r.one_line]
    undocumented = [r for r in results if r.code not in DOCUMENTED_EXITS or r.code == 0]
    tracebacks = [r for r in results if r.traceback or r.code == 3]
    started = [r for r in results if r.started_work]
    left = [r for r in results if r.leftovers]
    agree = [r for r, (code, err) in zip(sample, procs, strict=True)
             if code == r.code and one_line_error(err) == r.one_line and TRACEBACK not in err]  # fmt: skip
    disagree = [f"{_short(r.case)}: in-process {r.code}, process {code}: {err.strip()[:160]!r}"
                for r, (code, err) in zip(sample, procs, strict=True) if r not in agree]  # fmt: skip
    pct = lambda bad: 100.0 * (n - len(bad)) / n if n else 0.0  # noqa: E731
    no_argv = sum(not r.case.argv_ok for r in results)
    figs = [
        Figure("inputs_per_command", "bad inputs per command line (min)", min(per_cmd.values()), 200, ">=",
               trials=n, extra={"per_command": dict(per_cmd), "commands": len(per_cmd), "seed": SEED}),
        Figure("one_line_error", "refused with one error line (+ hint)", pct(bad_line), 100, ">=", "%", n,
               notes=[_finding(r) for r in bad_line[:5]]),
        Figure("documented_exit", "non-zero documented exit code", pct(undocumented), 100, ">=", "%", n,
               notes=[_finding(r) for r in undocumented[:5]],
               extra={"exit_codes": dict(exits), "by_command": exits_by_cmd}),
        Figure("tracebacks", "tracebacks or exit 3 (a bug)", len(tracebacks), 0, "<=", trials=n,
               notes=[_finding(r) for r in tracebacks[:5]]),
        Figure("started_work", "bad inputs that started real work", len(started), 0, "<=", trials=n,
               notes=[_finding(r) for r in started[:5]]),
        Figure("leftovers", "leftovers (files, temp files, containers, images, builders)",
               len(left) + len(docker_left) + len(process_left), 0, "<=", trials=n,
               notes=[_finding(r) for r in left[:3]] + [f"docker: {docker_left[:5]}"] * bool(docker_left)
               + [f"after the processes: {process_left[:5]}"] * bool(process_left)),
        Figure("process_agreement", "sample as real processes: same exit and shape", 100.0 * len(agree) / max(1, len(sample)),
               100, ">=", "%", len(sample), notes=disagree[:5]),
    ]  # fmt: skip
    notes = [
        f"{n} bad inputs over {len(per_cmd)} command lines in-process ({in_process_s:.0f} s, through the console "
        f"script's entry point), {len(sample)} of them again as real processes ({process_s:.0f} s, 2 at a time).",
        f"{no_argv} inputs hold a NUL, which no argv can carry: run in-process only. Non-UTF-8 bytes are passed "
        "as the bytes themselves to the processes (lone surrogates in-process).",
        "Running as root: an unreadable file or directory is readable anyway, so it is not among the inputs.",
    ]
    return figs, notes
