"""One build at a time per image name loaded into an engine: a ``flock`` per tag.

Four ``buildorch build`` of one tag at once failed half the time with ``image
"docker.io/library/app:4.1.0": already exists`` in the step ``naming to ...``.
BuildKit's image exporter names an image with ``Images.Update`` and, when that
says "not found", ``Images.Create`` (moby/buildkit ``exporter/containerimage/export.go``):
two exporters that both see "not found" both create, and containerd's image store
refuses the second. The race is between the engine's exporters; buildx offers no
way to run only the naming step again.

Why a lock and not a retry: a retry means a failed attempt, a second build (its
steps then counted again, its log shown twice), and it can lose the race again
with a third build; a lock makes buildorch's own builds of one image name on one
engine run one after the other, and the later ones are cheap (every step cached).
The lock covers the whole run from the cache staging to the cache swap, so each
build in turn also exports its cache (with a narrower lock, all but one would skip
the export). Builds that push (the registry's tag ``PUT`` is last-writer-wins) or
write elsewhere do not name an image in the engine and take no lock. A build by
another tool is not covered: it is the one race left, and it still fails as before.

The lock files live in ``$XDG_CACHE_HOME/buildorch/locks`` (``~/.cache/...``), one
small empty file per image name and engine, kept (removing a lock file that someone
may be about to lock would let two builds hold "the" lock at once). ``flock`` dies
with the process: a killed build never leaves the lock taken.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from buildorch.core import dirs, references


def lock_dir(environ: dict[str, str] | None = None) -> Path:
    return dirs.user_cache_dir(environ) / "locks"


def canonical_name(tag: str) -> str:
    """``app:4.1.0`` and ``docker.io/library/app:4.1.0`` are one image in the store: one lock."""
    try:
        name, tagpart = references.split(tag)
    except ValueError:  # a reference buildx will refuse anyway: it still gets a lock of its own
        return tag.lower()
    if references.registry_of(name) is None:
        name = f"docker.io/{name}" if "/" in name else f"docker.io/library/{name}"
    return f"{name}:{tagpart or 'latest'}".lower()


def lock_path(tag: str, environ: dict[str, str] | None = None) -> Path:
    """The lock file of ``tag`` on the engine this process talks to (``DOCKER_HOST``/``DOCKER_CONTEXT``)."""
    env = os.environ if environ is None else environ
    engine = env.get("DOCKER_HOST") or env.get("DOCKER_CONTEXT") or "default"
    # The environment holds bytes that are not UTF-8 as lone surrogates (PEP 383): hash them back as bytes.
    key = hashlib.sha256(f"{engine}\0{canonical_name(tag)}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
    return lock_dir(environ) / f"image-{key}.lock"


@contextlib.contextmanager
def images_locked(tags: list[str], on_wait: IO[str] | None = None, poll: float = 0.2) -> Iterator[None]:
    """Hold the lock of every tag (in one global order, so two builds never deadlock) while the body runs.

    When another build holds one, says so once on ``on_wait`` and waits for it.
    A lock directory that cannot be created means no lock (the build runs as before).
    """
    names = sorted({canonical_name(t) for t in tags})
    held: list[IO[str]] = []
    try:
        try:
            lock_dir().mkdir(parents=True, exist_ok=True)
        except OSError:
            names = []
        for name in names:
            f = open(lock_path(name), "a")  # noqa: SIM115 - held open as long as the lock is
            held.append(f)
            told = False
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not told and on_wait is not None:
                        on_wait.write(f"waiting for another build of {name} to finish (one at a time per image name)\n")
                        on_wait.flush()
                        told = True
                    time.sleep(poll)
        yield
    finally:
        for h in held:
            with contextlib.suppress(OSError):
                h.close()
