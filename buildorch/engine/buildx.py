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

How the commands run (python-on-whales' runners, the build stream, binary output) and
how their failures read is :mod:`buildorch.engine.docker_cli`.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import re
from collections.abc import Sequence
from typing import Any

from buildorch.core import dirs
from buildorch.core.errors import BuildorchError, EngineError
from buildorch.engine import docker_cli
from buildorch.engine.docker_cli import (
    Running as Running,
)
from buildorch.engine.docker_cli import _docker, _docker_exception
from buildorch.engine.docker_cli import (
    binary_stdout as binary_stdout,
)
from buildorch.engine.docker_cli import (
    docker_cmd as docker_cmd,
)
from buildorch.engine.docker_cli import (
    drop_early as drop_early,
)
from buildorch.engine.docker_cli import (
    last_lines as last_lines,
)
from buildorch.engine.docker_cli import (
    run as run,
)
from buildorch.engine.docker_cli import (
    run_attached as run_attached,
)
from buildorch.engine.docker_cli import (
    run_capture as run_capture,
)
from buildorch.engine.docker_cli import (
    start_early as start_early,
)
from buildorch.engine.docker_cli import (
    stream as stream,
)
from buildorch.engine.docker_cli import (
    translate as translate,
)
from buildorch.engine.docker_cli import (
    warm as warm,
)


def run_json(args: Sequence[str], *, what: str | None = None) -> Any:
    out = run(args, what=what)
    try:
        return json.loads(out)
    except ValueError as exc:
        raise BuildorchError(f"{what or 'docker'} printed something that is not JSON", "is the CLI too old?") from exc


def run_json_lines(args: Sequence[str], *, what: str | None = None) -> list[Any]:
    """For commands that print one JSON document per line (``buildx ls --format json``)."""
    out = run(args, what=what)
    # split("\n"), not splitlines(): that also splits on U+0085 and U+2028, which Go's JSON leaves unescaped
    # inside strings (a builder whose error quotes such a DOCKER_HOST broke every `builder ls`).
    try:
        return [json.loads(line) for line in out.split("\n") if line.strip().startswith("{")]
    except ValueError as exc:
        raise BuildorchError(f"{what or 'docker'} printed a line that is not JSON ({exc})", "is the CLI too old?") from exc


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
    """``docker buildx version``, e.g. ``github.com/docker/buildx 0.13.1 ...``.

    Kept on disk for the plugin file it came from (:func:`_known_version`): a bake asks on every
    run, and the process was a third of what a cached bake starts on 2 cores.
    """
    stamp = _plugin_stamp()  # taken before asking: a plugin replaced meanwhile is not filed under its new stamp
    known = _known_version(stamp)
    if known is not None:
        return known
    text = run(["buildx", "version"], what="docker buildx version").strip()
    if stamp is not None and text:
        _remember_version(stamp, text)
    return text


VERSION_FILE = "buildx-versions.json"  # in core.dirs.user_cache_dir()


def _plugin_stamp() -> tuple[str, list[int]] | None:
    """The plugin that ``buildx`` commands run and what identifies its file's contents, or None (then: no disk cache).

    The ctime changes with every write to the file and cannot be set back (unlike the mtime that
    ``cp -p`` and package managers keep), so an upgraded or rebuilt buildx is asked again.
    """
    plugin = docker_cli.buildx_plugin()
    if plugin is None:
        return None
    try:
        st = os.stat(plugin)
    except OSError:
        return None
    return plugin, [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _known_version(stamp: tuple[str, list[int]] | None) -> str | None:
    if stamp is None:
        return None
    try:
        entry = json.loads((dirs.user_cache_dir() / VERSION_FILE).read_bytes()).get(stamp[0])
        if entry["stamp"] == stamp[1] and isinstance(entry["version"], str) and entry["version"]:
            return str(entry["version"])
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass  # none yet, or unreadable: ask buildx (and write the file again)
    return None


def _remember_version(stamp: tuple[str, list[int]], text: str) -> None:
    path = dirs.user_cache_dir() / VERSION_FILE
    try:
        doc = json.loads(path.read_bytes())
        if not isinstance(doc, dict):
            doc = {}
    except (OSError, ValueError):
        doc = {}
    doc[stamp[0]] = {"stamp": stamp[1], "version": text}
    tmp = path.with_name(f"{path.name}.{os.getpid()}")
    try:  # written aside and renamed, so a concurrent reader sees the old file or the new one
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(doc, indent=1))
        os.replace(tmp, path)
    except OSError:  # a read-only home: every bake asks buildx, as before
        with contextlib.suppress(OSError):
            tmp.unlink()


@functools.cache
def buildx_release() -> tuple[int, int, int]:
    """The buildx version as numbers, asked once per process and only by what depends on it (0.04 s).

    ``(0, 13, 1)`` for Debian's ``0.13.1+ds1``, ``(0, 38, 2)`` for ``v0.38.2``; ``(0, 0, 0)`` when unreadable.
    An everyday build never asks: its argv is the same on every buildx since 0.13. What will
    ask (a bake) starts the question early with :func:`ask_buildx_version`.
    """
    return parse_buildx_version(buildx_version())


def ask_buildx_version() -> None:
    """Start ``docker buildx version`` now (:func:`docker_cli.start_early`), unless its answer is known.

    A bake needs it after ``--print`` and before it starts: asked only then, it added a whole
    docker CLI start (0.1-0.2 s) to every bake. Known from an earlier run of the same plugin
    file (:func:`_known_version`), nothing is started.
    """
    cached = getattr(buildx_release, "cache_info", None)  # a test may have put a plain function there
    if not (cached is not None and cached().currsize) and _known_version(_plugin_stamp()) is None:
        docker_cli.start_early(["buildx", "version"])


def parse_buildx_version(text: str) -> tuple[int, int, int]:
    m = re.search(r"\sv?(\d+)\.(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else (0, 0, 0)


# buildx 0.15 added --call (build, check, outline, targets); before, --print did outline and targets
# when BUILDX_EXPERIMENTAL was set, and there were no Dockerfile checks.
CALL_SINCE = (0, 15, 0)


def call_request(method: str, options: str = "") -> tuple[list[str], dict[str, str]] | None:
    """The flags (and environment) with which this buildx runs ``--call METHOD``, or None when it cannot."""
    value = method + (f",{options}" if options else "")
    if buildx_release() >= CALL_SINCE:
        return ["--call", value], {}
    if method in ("outline", "targets"):
        return ["--print", value], {"BUILDX_EXPERIMENTAL": "1"}  # 0.13: hidden unless experimental
    return None


# buildx 0.19 made bake ask for filesystem entitlements (--allow fs=DIR) to read or write
# outside the working directory, as buildorch's local caches may be (BUILDORCH_CACHE_DIR).
@functools.cache
def _targets_request() -> tuple[list[str], dict[str, str]] | None:
    """How this buildx asks BuildKit for a Dockerfile's stages: ``--call`` (newer), ``--print`` (0.13, experimental)."""
    try:
        return call_request("targets", "format=json")
    except BuildorchError:
        return None


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
