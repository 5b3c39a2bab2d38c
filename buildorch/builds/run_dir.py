"""A private directory per build run for buildx's metadata file, removed after the run, swept if it was killed.

The metadata file used to be ``/tmp/buildorch-metadata-PID-N.json``: a predictable
name in a shared directory (another user could plant a link there for buildx to
write through) and never deleted. Now each run gets a ``mkdtemp`` directory (mode
0700) holding a lock file it keeps ``flock``-ed; the run removes the directory at its
end, and a run killed before that (SIGKILL cannot be caught) leaves one whose lock
nobody holds, which the next run removes. The lock tells a running build from a dead
one without ``/proc``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "buildorch-run-"
LOCK = ".lock"
# A directory without its lock file is being created (mkdtemp, then the lock): left alone for this long.
_CREATING_GRACE_S = 60.0


def sweep(root: Path | None = None) -> int:
    """Remove run directories of this user whose run is gone; return how many."""
    return len(sweep_dirs(PREFIX, root, grace=_CREATING_GRACE_S))


def sweep_dirs(prefix: str, root: Path | None = None, *, grace: float) -> list[Path]:
    """Remove this user's ``prefix*`` directories (of :func:`private_dir`) whose lock nobody holds; return them.

    One without its lock file is being created: left alone for ``grace`` seconds.
    """
    base = root or Path(tempfile.gettempdir())
    removed: list[Path] = []
    for d in base.glob(f"{prefix}*"):
        try:
            st = d.lstat()
        except OSError:
            continue
        if not d.is_dir() or d.is_symlink() or st.st_uid != os.getuid():
            continue
        lock = d / LOCK
        try:
            f = open(lock)  # noqa: SIM115 - closed below
        except FileNotFoundError:
            if time.time() - st.st_mtime > grace:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
            continue
        except OSError:
            continue
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its run is alive
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d)
    return removed


@contextlib.contextmanager
def private_dir(root: Path | None = None, *, prefix: str = PREFIX, grace: float = _CREATING_GRACE_S) -> Iterator[Path]:
    """A fresh 0700 directory, locked while the body runs and removed after it (the dead runs' are swept first)."""
    sweep_dirs(prefix, root, grace=grace)
    d = Path(tempfile.mkdtemp(prefix=prefix, dir=root))
    with open(d / f"{LOCK}-new", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        os.replace(d / f"{LOCK}-new", d / LOCK)  # appears already held: a sweep never takes it in between
        try:
            yield d
        finally:
            shutil.rmtree(d, ignore_errors=True)
