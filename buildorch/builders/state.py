"""Which builders buildorch created, so that ``buildorch builder rm`` never removes anyone else's.

Kept in ``~/.buildorch/builders.json`` (``BUILDORCH_STATE_DIR`` overrides the folder),
per Docker config folder: buildx keeps its builders there, so the same name in another
``DOCKER_CONFIG`` is another builder.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from buildorch.builders.config import BuilderSpec


def state_file() -> Path:
    """Where the list lives: ``$BUILDORCH_STATE_DIR/builders.json`` or ``~/.buildorch/builders.json``."""
    root = os.environ.get("BUILDORCH_STATE_DIR") or str(Path.home() / ".buildorch")
    return Path(root) / "builders.json"


def docker_config_dir() -> str:
    """The Docker config folder buildx keeps its builders in (``DOCKER_CONFIG`` or ``~/.docker``)."""
    return str(Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker").expanduser().resolve())


def _read_state() -> dict[str, Any]:
    try:
        data = json.loads(state_file().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_state(data: dict[str, Any]) -> None:
    f = state_file()
    f.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=f.parent, prefix=".builders-")
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=2)
    os.replace(tmp, f)  # never half a file


def created_by_buildorch() -> set[str]:
    """Names of the builders buildorch created in the current Docker config."""
    return set(_read_state().get(docker_config_dir(), {}))


def remember(name: str, spec: BuilderSpec | None) -> None:
    """Note that buildorch created ``name`` from ``spec``; ``spec=None`` forgets it."""
    data = _read_state()
    mine = data.setdefault(docker_config_dir(), {})
    if spec is None:
        mine.pop(name, None)
    else:
        mine[name] = {"created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "spec": spec.model_dump(mode="json")}
    _write_state(data)
