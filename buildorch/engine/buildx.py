"""The one module that runs ``docker`` (and ``docker buildx``), through python-on-whales.

Every docker command goes through here, so that every failure is turned into a
:class:`~buildorch.core.errors.BuildorchError` in one place and the rest of
buildorch never sees a ``DockerException``. (Registries over HTTP are
:mod:`buildorch.engine.registry`; containerd's ``ctr`` is :mod:`buildorch.engine.containerd`.)

python-on-whales' typed calls are used where they run the same command and
return what we need: removing containers and images. Elsewhere we use its
command runners (``utils.run`` and ``utils.stream_stdout_and_stderr``) with argv
we build ourselves:
  * ``buildx build`` and ``buildx bake``: ``docker.buildx.build()`` (0.81) runs
    ``buildx inspect`` and ``buildx ls`` before every build to guess whether an
    image gets loaded (two extra processes on a 0.35 s cached build), returns
    ``None`` when pushing and offers no result object when streaming, takes a
    single ``cache_to`` and silently drops a non-dict ``attest``
    (python-on-whales#506); ``bake()`` returns only the printed config (#504);
    and ``--dry-run`` must print the exact command we run;
  * ``image inspect``, ``container inspect``, ``buildx imagetools inspect --raw``:
    callers read Docker's own JSON (``Config``, ``Variant``, ``State.Health``,
    the raw manifest), which python-on-whales validates into its models first;
  * ``buildx inspect``, ``du``, ``prune``: no JSON in buildx 0.13, and no
    wrapper for ``du``; their text is parsed in :mod:`buildorch.engine.buildx_text`;
  * ``docker run``/``create``/``port``/``logs`` for smoke tests and debug: the
    caller needs the exit code and stderr of a failed start as docker printed them;
  * ``save``, ``export``, ``cp``: binary tars, streamed (see :func:`binary_stdout`).

python-on-whales is imported on first use, not with this module: importing it loads
every one of its components and their pydantic models (0.1 s, a fifth of a fully
cached 0.55 s build). ``buildx build``/``bake`` are therefore started by
:func:`stream`, which launches the process at once with the same Popen-and-reader-
threads scheme as python-on-whales' ``stream_stdout_and_stderr``; the caller then
loads python-on-whales (:func:`warm`) and its renderer while BuildKit works.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, Protocol

from buildorch.core.errors import BuildorchError, EngineError

if TYPE_CHECKING:
    from python_on_whales import DockerClient

_ENGINE_DOWN = re.compile(
    r"Cannot connect to the Docker daemon|Is the docker daemon running|connect: no such file or directory"
    r"|error during connect|permission denied while trying to connect"
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
    tail = last_lines(stderr, 1)
    reason = tail[0].strip() if tail else f"exit code {exc.return_code}"
    return BuildorchError(f"{what} failed: {reason}", details=last_lines(stderr))


def run(args: Sequence[str], *, what: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run ``docker ARGS...`` and return its stdout; raise a BuildorchError on failure."""
    full = [*docker_cmd(), *args]
    try:
        return str(_pow_utils().run(full, capture_stdout=True, capture_stderr=True, env=env or {}))
    except (_docker_exception(), FileNotFoundError) as exc:
        raise translate(exc, what or f"docker {' '.join(args[:2])}") from exc


def run_attached(args: Sequence[str], *, env: dict[str, str] | None = None) -> int:
    """Run ``docker ARGS...`` on the user's terminal (interactive shells) and return its exit code."""
    full = [*docker_cmd(), *args]
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
    full = [str(a) for a in (*docker_cmd(), *args)]
    try:
        proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
    except FileNotFoundError as exc:
        raise translate(exc, what) from exc
    return Running(proc, what)


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


def run_json(args: Sequence[str], *, what: str | None = None) -> Any:
    out = run(args, what=what)
    try:
        return json.loads(out)
    except ValueError as exc:
        raise BuildorchError(f"{what or 'docker'} printed something that is not JSON", "is the CLI too old?") from exc


def run_json_lines(args: Sequence[str], *, what: str | None = None) -> list[Any]:
    """For commands that print one JSON document per line (``buildx ls --format json``)."""
    out = run(args, what=what)
    return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


# -- the calls buildorch makes -------------------------------------------------


def engine_info() -> dict[str, Any]:
    """``docker info`` as JSON (engine version, storage driver, containerd store...)."""
    info = run_json(["info", "--format", "{{json .}}"], what="docker info")
    if not isinstance(info, dict) or not info.get("ServerVersion"):
        # The CLI prints client info and a ServerErrors list when the daemon is down.
        errs = " ".join(info.get("ServerErrors") or []) if isinstance(info, dict) else ""
        raise EngineError(
            "the Docker engine is not reachable" + (f": {errs}" if errs else ""),
            "start it (scripts/stack up), or point DOCKER_HOST at a running engine",
        )
    return info


def buildx_version() -> str:
    """``docker buildx version``, e.g. ``github.com/docker/buildx 0.13.1 ...``."""
    return run(["buildx", "version"], what="docker buildx version").strip()


@functools.cache
def _targets_request() -> tuple[list[str], dict[str, str]] | None:
    """How this buildx asks BuildKit for a Dockerfile's stages: ``--call`` (newer), ``--print`` (0.13, experimental)."""
    try:
        help_text = run(["buildx", "build", "--help"], what="docker buildx build --help")
    except BuildorchError:
        return None
    if "--call" in help_text:
        return ["--call", "targets,format=json"], {}
    return ["--print", "targets,format=json"], {"BUILDX_EXPERIMENTAL": "1"}  # 0.13: hidden unless experimental


def dockerfile_targets(context: str, dockerfile: str | None = None, builder: str | None = None) -> dict[str, Any] | None:
    """BuildKit's own list of a Dockerfile's stages (``targets`` subrequest), or None when this buildx cannot ask.

    ``{"targets": [{"name": "builder", "base": "golang:...", "platform": ..., "default": true, ...}]}``.
    BuildKit reads only the Dockerfile (the context is not sent). Raises a BuildorchError
    with BuildKit's message when it refuses the file or the builder fails.
    """
    request = _targets_request()
    if request is None:
        return None
    flags, env = request
    argv = ["buildx", "build", "--progress", "quiet", *flags]
    if builder:
        argv += ["--builder", builder]
    if dockerfile:
        argv += ["--file", dockerfile]
    try:
        out = run([*argv, context], what="BuildKit's list of stages", env=env)
    except BuildorchError as exc:
        if re.search(r"unknown flag: --(print|call)\b", exc.message):  # buildx older than 0.10
            return None
        raise
    start = out.find("{")  # buildx 0.13 prints the (empty) image id first
    try:
        doc = json.loads(out[start:]) if start >= 0 else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("targets"), list):
        raise BuildorchError("BuildKit's list of stages is not the JSON expected", "is buildx older than 0.10?")
    return doc


def buildx_inspect(builder: str | None = None) -> str:
    """The text of ``docker buildx inspect [--bootstrap] [NAME]`` (its only stable format in 0.13)."""
    args = ["buildx", "inspect"] + ([builder] if builder else [])
    return run(args, what="docker buildx inspect")


def buildx_ls() -> list[dict[str, Any]]:
    """``docker buildx ls --format json`` (buildx >= 0.13), one dict per builder."""
    return run_json_lines(["buildx", "ls", "--format", "json"], what="docker buildx ls")


def buildx_du(builder: str | None = None) -> str:
    """The text of ``docker buildx du --verbose`` (python-on-whales has no wrapper; buildx 0.13 no JSON)."""
    return run(["buildx", "du", "--verbose", *(["--builder", builder] if builder else [])], what="docker buildx du")


def buildx_prune(builder: str | None = None, *, older_than: int | None = None, keep_storage: int | None = None) -> str:
    """``docker buildx prune --force`` with an age (seconds) and a size (bytes) limit; returns what it printed."""
    args = ["buildx", "prune", "--force"]
    if builder:
        args += ["--builder", builder]
    if older_than is not None:
        args += ["--filter", f"until={older_than}s"]
    if keep_storage is not None:
        args += ["--keep-storage", str(keep_storage)]
    return run(args, what="docker buildx prune")


def remove_container(cid: str) -> None:
    """``docker container rm --force --volumes CID``."""
    try:
        _docker().container.remove(cid, force=True, volumes=True)
    except (_docker_exception(), FileNotFoundError) as exc:
        raise translate(exc, f"docker rm {cid}") from exc


def remove_image(ref: str) -> None:
    """``docker image rm REF`` (the tag; the image goes with its last tag)."""
    try:
        _docker().image.remove(ref)
    except (_docker_exception(), FileNotFoundError) as exc:
        raise translate(exc, f"docker image rm {ref}") from exc


def image_inspect(ref: str) -> dict[str, Any] | None:
    """``docker image inspect REF`` as a dict, or None when there is no such image."""
    try:
        out = run_json(["image", "inspect", ref], what=f"docker image inspect {ref}")
    except EngineError:
        raise
    except BuildorchError:
        return None
    return out[0] if isinstance(out, list) and out else None


def imagetools_raw(ref: str) -> dict[str, Any]:
    """The raw manifest or index of ``REF`` in a registry (``buildx imagetools inspect --raw``)."""
    doc = run_json(["buildx", "imagetools", "inspect", "--raw", ref], what=f"imagetools inspect {ref}")
    if not isinstance(doc, dict):
        raise BuildorchError(f"imagetools inspect {ref} printed no manifest")
    return doc


# -- binary output and exit codes (inspect, debug, smoke) ----------------------
# python-on-whales' runners decode stdout as text and hold it whole in memory; a
# `docker export` or `docker save` is a binary tar that can be gigabytes, and
# `docker run CMD` must hand back CMD's exit code, so these two use subprocess.


@contextlib.contextmanager
def binary_stdout(args: Sequence[str], *, what: str) -> Iterator[IO[bytes]]:
    """Run ``docker ARGS...`` and yield its stdout as a binary stream, read as it comes.

    What the caller leaves unread is drained; a non-zero exit raises a BuildorchError.
    """
    full = [str(a) for a in (*docker_cmd(), *args)]
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(full, stdout=subprocess.PIPE, stderr=err)
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


def run_capture(args: Sequence[str]) -> tuple[int, str, str]:
    """Run ``docker ARGS...``; return ``(exit code, stdout, stderr)`` whatever the exit code."""
    full = [str(a) for a in (*docker_cmd(), *args)]
    try:
        proc = subprocess.run(full, capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise translate(exc, "docker") from exc
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
