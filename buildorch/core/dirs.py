"""Where buildorch keeps what belongs to the user rather than to a project: ``$XDG_CACHE_HOME/buildorch``."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(environ: dict[str, str] | None = None) -> Path:
    """``$XDG_CACHE_HOME/buildorch``, else ``~/.cache/buildorch`` (the XDG base directory rule)."""
    env = os.environ if environ is None else environ
    return Path(env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "buildorch"
