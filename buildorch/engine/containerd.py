"""Reading the engine's containerd content store directly, with ``ctr``.

Engine 26's API shows only the host platform of a multi-platform image
(``docker image inspect`` has no ``--platform`` before API 1.48); containerd's own
CLI reads the whole index. It needs containerd's socket (root on a local engine):
where it is not there, callers go without what it would have told them.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any


def store_blob(digest: str) -> dict[str, Any] | None:
    """A JSON blob (index or manifest) from the engine's containerd image store, or None.

    The Docker API of engine 26 shows only the host platform of a multi-platform
    image; containerd's own CLI reads the index. Needs access to containerd's
    socket (root on a local engine); elsewhere the caller goes without.
    """
    try:
        out = subprocess.run(
            ["ctr", "--namespace", "moby", "content", "get", digest], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    try:
        doc = json.loads(out.stdout)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
