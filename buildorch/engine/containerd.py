"""Reading the engine's containerd content store: the blob's file where it can, else ``ctr``.

Engine 26's API shows only the host platform of a multi-platform image
(``docker image inspect`` has no ``--platform`` before API 1.48); containerd's own
CLI reads the whole index. It needs containerd's socket (root on a local engine):
where it is not there, callers go without what it would have told them.

``ctr`` costs 20-30 ms a blob (a Go binary starting and dialling the socket), and a
loaded image takes two (index, then manifest): a tenth of what buildorch adds to a fully
cached build. containerd keeps each blob as a read-only file named by its digest under
its root (``ROOT/io.containerd.content.v1.content/blobs/sha256/HEX``, the layout of its
local content store since 1.0), so the default daemon's blob is read from there first.
The bytes are hashed and must match the digest asked for: a file that is missing,
unreadable or not that content is never believed, and ``ctr`` answers instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from buildorch.core.oci import json_object

# The root of the containerd that ``ctr`` reaches by default (/run/containerd/containerd.sock,
# the daemon a Docker engine with the containerd image store uses unless configured otherwise).
DEFAULT_ROOT = Path("/var/lib/containerd")
_DIGEST = re.compile(r"sha256:([0-9a-f]{64})")


def store_blob(digest: str) -> dict[str, Any] | None:
    """A JSON blob (index or manifest) from the engine's containerd image store, or None.

    The Docker API of engine 26 shows only the host platform of a multi-platform
    image; containerd's own CLI reads the index. Needs access to containerd's
    content store or socket; elsewhere the caller goes without.
    """
    raw = blob_file(digest)
    return json_object(raw if raw is not None else _ctr_blob(digest))


def blob_file(digest: str, root: Path | None = None) -> bytes | None:
    """The blob ``digest`` from containerd's content directory under ``root``, checked against its digest; else None.

    Without ``root``: the default daemon's, unless CONTAINERD_ADDRESS points ``ctr`` at another daemon.
    """
    found = _DIGEST.fullmatch(digest)
    if found is None:
        return None
    if root is None:
        if os.environ.get("CONTAINERD_ADDRESS"):
            return None
        root = DEFAULT_ROOT
    try:
        data = (root / "io.containerd.content.v1.content" / "blobs" / "sha256" / found[1]).read_bytes()
    except (OSError, ValueError):
        return None
    return data if hashlib.sha256(data).hexdigest() == found[1] else None


def _ctr_blob(digest: str) -> bytes | None:
    try:
        out = subprocess.run(
            ["ctr", "--namespace", "moby", "content", "get", digest], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout if out.returncode == 0 else None
