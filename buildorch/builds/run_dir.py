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
    base = root or Path(tempfile.gettempdir())
    removed = 0
    for d in base.glob(f"{PREFIX}*"):
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
            if time.time() - st.st_mtime > _CREATING_GRACE_S:
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
            continue
        except OSError:
            continue
        with f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its build is running
            shutil.rmtree(d, ignore_errors=True)
            removed += 1
    return removed


@contextlib.contextmanager
def private_dir(root: Path | None = None) -> Iterator[Path]:
    """A fresh 0700 directory, locked while the body runs and removed after it (the dead runs' are swept first)."""
    sweep(root)
    d = Path(tempfile.mkdtemp(prefix=PREFIX, dir=root))
    lock = open(d / LOCK, "w")  # noqa: SIM115 - held open as long as the run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)
        lock.close()
