"""How buildorch runs ``docker``: argv, python-on-whales' runners, streams, and one translation of failures.

Every docker command goes through here (the calls themselves are in
:mod:`buildorch.engine.buildx`), so that every failure is turned into a
:class:`~buildorch.core.errors.BuildorchError` in one place and the rest of
buildorch never sees a ``DockerException``.

python-on-whales is imported on first use, not with this module: importing it loads
every one of its components and their pydantic models (0.15-0.2 s, a third of a fully
cached 0.5 s build). ``buildx build``/``bake`` are therefore started by
:func:`stream`, which launches the process at once with the same Popen-and-reader-
threads scheme as python-on-whales' ``stream_stdout_and_stderr``; the caller then
loads its renderer, and python-on-whales (:func:`warm`) when the calls after the build
need it, while BuildKit works. Plain argv commands (:func:`run`) are started as its
``utils.run`` starts them, without it; its typed calls (images, containers, inspect)
are what it is imported for.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, Protocol

from buildorch.core.errors import BuildorchError, EngineError
from buildorch.engine import plugins

if TYPE_CHECKING:
    from python_on_whales import DockerClient

_ENGINE_DOWN = re.compile(
    r"Cannot connect to the Docker daemon|Is the docker daemon running|connect: no such file or directory"
    r"|error during connect|permission denied while trying to connect"
)
# gRPC's words for a connection to BuildKit that broke while a command used it: with the docker
# driver BuildKit is the engine, so the engine stopped or restarted (a remote node: explain_failure
# in builders/ops names it from the details). Not "503 Service Unavailable": a registry's answer.
_ENGINE_LOST = re.compile(
    r"code = Unavailable|Unavailable: error reading from server|error reading from server: EOF"
    r"|transport is closing|the client connection is closing"
)
_NO_BUILDX = re.compile(r"'buildx' is not a docker command|unknown command \"buildx\"")


@functools.cache
def _pow_utils() -> ModuleType:
    """python-on-whales' command runners, imported on first use (see the module docstring)."""
    from python_on_whales import utils

    return utils


def _docker() -> DockerClient:
    from python_on_whales import docker

    return docker


def _docker_exception() -> type[Any]:  # python-on-whales' DockerException, imported on first use
    from python_on_whales.exceptions import DockerException

    return DockerException


def warm() -> None:
    """Import python-on-whales now: called while a build runs, so the calls after it do not wait for the import."""
    _pow_utils()


def docker_cmd() -> list[str]:
    """The ``docker`` argv prefix: the ``docker`` found on PATH, as python-on-whales' default client runs it.

    buildorch never configures python-on-whales' client (no ``--host``/``--context`` of its
    own: DOCKER_HOST and DOCKER_CONTEXT reach the CLI through the environment), so this is
    the same command without importing python-on-whales to ask it.
    """
    return [shutil.which("docker") or "docker"]


class _Failed(Protocol):
    """What :func:`translate` reads from a failed docker call (python-on-whales' DockerException has these)."""

    stderr: str | bytes | None
    stdout: str | bytes | None
    return_code: int


class _Exit(Exception):
    """A failed ``docker`` run started here rather than by python-on-whales (same fields as its DockerException)."""

    def __init__(self, return_code: int, stderr: str | bytes | None, stdout: str | bytes | None = None) -> None:
        super().__init__(f"docker exited with code {return_code}")
        self.return_code, self.stderr, self.stdout = return_code, stderr, stdout


def _text(value: str | bytes | None) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else (value or "")


def last_lines(text: str | None, n: int = 20) -> list[str]:
    lines = [ln for ln in (text or "").splitlines() if ln.strip()]
    return lines[-n:]


def translate(exc: _Failed | FileNotFoundError, what: str) -> BuildorchError:
    """Turn a failed docker call into a one-line, actionable error."""
    if isinstance(exc, FileNotFoundError):
        return EngineError("the docker CLI was not found", "install Docker, or run scripts/stack up")
    stderr = _text(exc.stderr)
    text = f"{stderr}\n{_text(exc.stdout)}"
    if _ENGINE_DOWN.search(text):
        return EngineError(
            "the Docker engine is not reachable",
            "start it (scripts/stack up), or point DOCKER_HOST at a running engine",
        )
    if _NO_BUILDX.search(text):
        return EngineError("docker buildx is not installed", "install the docker-buildx plugin (scripts/stack up does)")
    if _ENGINE_LOST.search(text):
        return EngineError(
            f"{what} lost its connection to BuildKit: the Docker engine (or the builder's node) stopped or restarted",
            "check that it answers again (buildorch doctor), then run the same command again",
            details=last_lines(stderr, 1),  # buildx's own line: what explain_failure reads to name a node
        )
    tail = last_lines(stderr, 1)
    reason = tail[0].strip() if tail else f"exit code {exc.return_code}"
    return BuildorchError(f"{what} failed: {reason}", details=last_lines(stderr))


def run(args: Sequence[str], *, what: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run ``docker ARGS...`` and return its stdout; raise a BuildorchError on failure.

    Run as python-on-whales' ``utils.run`` runs it (same environment, ``DOCKER_CLI_EXPERIMENTAL``
    for buildx, stdout decoded with its last newline dropped), without importing it: its runner
    is these lines, and the import (0.15-0.2 s of pydantic models) was most of what ``bake``
    added before buildx started (``bake --print``, then ``buildx version``).
    """
    proc = _early.pop(_early_key(args, env), None) or start(args, what=what, env=env)
    return finish(proc, what=what or f"docker {' '.join(map(str, args[:2]))}")


# Read-only commands started before the call that needs their answer: see start_early.
_early: dict[tuple[tuple[str, ...], tuple[tuple[str, str], ...]], subprocess.Popen[bytes]] = {}


def start_early(args: Sequence[str], *, env: dict[str, str] | None = None) -> None:
    """Start ``docker ARGS...`` now; the first :func:`run` of the same command and environment takes its answer.

    For a command whose answer is needed after work that does not depend on it: a bake's
    ``--print`` and ``buildx version`` (a buildx start each, :func:`buildx_plugin`) run
    while the bake's models load. Only for commands that change nothing: one started on a
    guess that the validated input does not confirm is never read, and is killed when this
    process ends. A command that cannot start is left to the real call to report.
    """
    key = _early_key(args, env)
    if key in _early:
        return
    try:
        proc = start(args, env=env)
    except BuildorchError:
        return
    if not _early:
        atexit.register(drop_early)
    _early[key] = proc


def _early_key(args: Sequence[str], env: dict[str, str] | None) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    return tuple(str(a) for a in args), tuple(sorted((env or {}).items()))


def drop_early() -> None:
    """Kill what start_early started and nothing read (a guess the input did not confirm).

    At exit, and when a new command starts its own guesses (a process that runs many
    commands, as tests do, keeps none of an earlier one's).
    """
    while _early:
        _, proc = _early.popitem()
        with contextlib.suppress(OSError):
            proc.kill()
            proc.communicate()


def start(args: Sequence[str], *, what: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``docker ARGS...`` (as :func:`run` runs it) and return at once: :func:`finish` waits for its answer."""
    args = [str(a) for a in args]  # paths too, as python-on-whales' runner takes them
    environ = {**os.environ, **(env or {})}
    if args[:1] == ["buildx"]:
        environ["DOCKER_CLI_EXPERIMENTAL"] = "enabled"
    try:
        return subprocess.Popen(argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ)
    except FileNotFoundError as exc:
        raise translate(exc, what or f"docker {' '.join(args[:2])}") from exc


def argv(args: Sequence[str]) -> list[str]:
    """The command line that runs ``docker ARGS...``: a ``buildx`` command runs its plugin directly (:func:`buildx_plugin`)."""
    args = [str(a) for a in args]
    plugin = buildx_plugin() if args[:1] == ["buildx"] else None
    return [plugin, *args[1:]] if plugin else [*docker_cmd(), *args]


def buildx_plugin() -> str | None:
    """The ``docker-buildx`` that :func:`docker_cmd`'s ``docker buildx`` runs (:mod:`~buildorch.engine.plugins`), or None."""
    return plugins.buildx_plugin(docker_cmd()[0])


def finish(proc: subprocess.Popen[bytes], *, what: str) -> str:
    """The stdout of a command :func:`start` started, once it ended; a BuildorchError when it failed."""
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        failed = _Exit(proc.returncode, stderr.decode(errors="replace"), stdout.decode(errors="replace"))
        raise translate(failed, what) from failed
    out = stdout.decode(errors="replace")
    return out[:-1] if out.endswith("\n") else out


def run_attached(args: Sequence[str], *, env: dict[str, str] | None = None) -> int:
    """Run ``docker ARGS...`` on the user's terminal (interactive shells) and return its exit code."""
    full = argv(args)
    try:
        _pow_utils().run(full, capture_stdout=False, capture_stderr=False, env=env or {})
    except _docker_exception() as exc:
        return int(exc.return_code)
    except FileNotFoundError as exc:
        raise translate(exc, "docker") from exc
    return 0


def stream(args: Sequence[str], *, what: str, env: dict[str, str] | None = None) -> Running:
    """Start ``docker ARGS...`` now; iterate the result for ``(stream, line)`` as they come.

    The process runs from this call on, not from the first ``next()``: the caller can
    prepare its progress view while it runs (and must :meth:`Running.close` it if it
    gives up before reading). Iterating raises a BuildorchError once the command has
    ended with a non-zero code; the caller, which saw the lines, can add what they said.
    """
    try:
        proc = subprocess.Popen(argv(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})},
                                preexec_fn=_die_with_parent())  # fmt: skip
    except FileNotFoundError as exc:
        raise translate(exc, what) from exc
    return Running(proc, what)


@functools.cache
def _prctl() -> Any:
    import ctypes  # loaded before the fork: the child only calls it

    return ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent() -> Any:
    """A ``preexec_fn`` that has Linux kill the child (SIGKILL) when buildorch dies; None elsewhere.

    A SIGKILLed buildorch (the OOM killer, ``kill -9``, a CI runner's timeout) cannot stop
    its ``buildx build``: the orphan went on exporting the cache into a staging directory
    whose export lock had died with buildorch, while the next build removed that
    directory as an orphan and exported beside it, and it wrote its metadata file after
    nobody was left to delete it. BuildKit cancels the solve when buildx goes away.
    """
    if not sys.platform.startswith("linux"):  # prctl(PR_SET_PDEATHSIG) is Linux's; elsewhere the orphan lives on
        return None
    prctl, parent = _prctl(), os.getpid()

    def preexec() -> None:
        prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        if os.getppid() != parent:  # buildorch died before the line above: nobody would kill us
            os._exit(1)

    return preexec


class Running:
    """A started ``docker`` command whose stdout and stderr lines are read by two threads into one queue."""

    def __init__(self, proc: subprocess.Popen[bytes], what: str) -> None:
        self.proc, self.what = proc, what
        self._lines: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        for name, pipe in (("stdout", proc.stdout), ("stderr", proc.stderr)):
            # Daemon threads: a Ctrl-C in the caller must not wait for docker to close its pipes.
            threading.Thread(target=self._pump, args=(pipe, name), daemon=True).start()

    def _pump(self, pipe: IO[bytes], name: str) -> None:
        with pipe:
            for line in iter(pipe.readline, b""):
                self._lines.put((name, line))
        self._lines.put(None)

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        stderr: list[bytes] = []
        ended = 0
        try:
            while ended < 2:
                item = self._lines.get()
                if item is None:
                    ended += 1
                    continue
                if item[0] == "stderr":
                    stderr.append(item[1])
                yield item
        finally:
            if ended < 2:  # the caller stopped reading (an error, Ctrl-C): nobody else will
                self.close()
        code = self.proc.wait()
        if code != 0:
            raise translate(_Exit(code, b"".join(stderr)), self.what)

    def close(self) -> None:
        """Stop the command if it still runs (SIGKILL, as python-on-whales' runner leaves it to the caller)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


# -- binary output and exit codes (inspect, debug, smoke) ----------------------
# python-on-whales' runners decode stdout as text and hold it whole in memory; a
# `docker export` or `docker save` is a binary tar that can be gigabytes, and
# `docker run CMD` must hand back CMD's exit code, so these two use subprocess.


@contextlib.contextmanager
def binary_stdout(args: Sequence[str], *, what: str) -> Iterator[IO[bytes]]:
    """Run ``docker ARGS...`` and yield its stdout as a binary stream, read as it comes.

    What the caller leaves unread is drained; a non-zero exit raises a BuildorchError.
    """
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(argv(args), stdout=subprocess.PIPE, stderr=err)
        except FileNotFoundError as exc:
            raise translate(exc, what) from exc
        assert proc.stdout is not None
        try:
            yield proc.stdout
            while proc.stdout.read(1 << 20):
                pass
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        finally:
            proc.stdout.close()
        code = proc.wait()
        if code != 0:
            err.seek(0)
            raise translate(_Exit(code, err.read()), what)


def run_capture(args: Sequence[str], *, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """Run ``docker ARGS...``; return ``(exit code, stdout, stderr)`` whatever the exit code."""
    try:
        proc = subprocess.run(argv(args), capture_output=True, check=False, env={**os.environ, **(env or {})} if env else None)
    except FileNotFoundError as exc:
        raise translate(exc, "docker") from exc
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
