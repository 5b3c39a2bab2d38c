"""One release of an image at a time on this machine: a lock per image, held while its tags move.

A release snapshots the tags it will move, moves them, and on a failure puts back
the snapshot. Two releases of one image interleaving those steps could each put
back what the other had just moved. The lock is local (``flock`` on a file under
``$XDG_CACHE_HOME/buildorch/locks``, released by the kernel when the process dies,
so a killed release never leaves one behind): a registry has no compare-and-swap
on tags to build a lock from, so releases of one image from several machines must
be serialised by whoever starts them (a CI concurrency group, for example). The
snapshot is taken inside the lock, after verification, right before the tags move.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from buildorch.builds import image_lock, run_dir
from buildorch.core.errors import BuildorchError


def lock_dir() -> Path:
    return image_lock.lock_dir()  # one directory for buildorch's locks


def lock_path(image: str) -> Path:
    """The lock file of ``image`` (a repository, without tag): a hash, since names hold ``/`` and ``:``."""
    return lock_dir() / f"release-{hashlib.sha256(image.encode()).hexdigest()[:24]}.lock"


def journal_path(images: list[str]) -> Path:
    """Where the tag moves of a release of ``images`` are written before they start (see engine/registry_tags)."""
    return lock_path(min(images)).with_suffix(".journal")


@contextlib.contextmanager
def release_lock(images: list[str], out: IO[str], *, timeout: float = 900.0) -> Iterator[tuple[int, ...]]:
    """Hold the release lock of every image in ``images`` (in one order, so two releases never deadlock).

    Waits for another release of the same image to finish tagging, saying so once; after
    ``timeout`` seconds raises a BuildorchError that names the lock file. Yields the
    locks' file descriptors: a child that inherits them holds the locks until it exits.
    """
    held: list[IO[str]] = []
    try:
        for image in sorted(set(images)):
            path = lock_path(image)
            path.parent.mkdir(parents=True, exist_ok=True)
            f = open(path, "a")  # noqa: SIM115 - held open as long as the lock is
            held.append(f)
            deadline, said = time.monotonic() + timeout, False
            while True:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not said:
                        out.write(f"waiting for another release of {image} to finish tagging (lock {path})\n")
                        said = True
                    if time.monotonic() > deadline:
                        raise BuildorchError(
                            f"another release of {image} has held its lock for {timeout:.0f} s",
                            f"is a release stuck? its lock file is {path}",
                        ) from None
                    time.sleep(0.2)
        yield tuple(h.fileno() for h in held)
    finally:
        for h in held:
            h.close()  # closing the file releases its flock


SCRATCH_PREFIX = "buildorch-release-"
_SCRATCH_GRACE_S = 3600.0  # one without its lock is being created (or predates locks)


@contextlib.contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory for one release (its OCI layout), locked while in use; stale ones are removed first.

    A SIGKILL skips ``TemporaryDirectory``'s clean-up: the next release removes every such
    directory whose lock nobody holds (its release is gone): the build's run directories' mechanism.
    """
    with run_dir.private_dir(prefix=SCRATCH_PREFIX, grace=_SCRATCH_GRACE_S) as path:
        yield path


def sweep_scratch(root: Path | None = None, *, grace: float = _SCRATCH_GRACE_S) -> list[Path]:
    """Remove the release scratch directories of releases that ended without cleaning up; return them."""
    return run_dir.sweep_dirs(SCRATCH_PREFIX, root, grace=grace)
