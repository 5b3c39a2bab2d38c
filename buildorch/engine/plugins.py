"""Where the docker CLI finds its plugins: the ``docker-buildx`` that ``docker buildx`` runs.

buildorch runs that plugin itself (:func:`buildorch.engine.docker_cli.argv`); this module
only finds it, in the docker CLI's order, from files (no process is started).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

# Where the docker CLI looks for plugins after the directories its configuration names (docker/cli,
# cli-plugins/manager: defaultSystemPluginDirs), in its order.
SYSTEM_PLUGIN_DIRS = (
    "/usr/local/lib/docker/cli-plugins", "/usr/local/libexec/docker/cli-plugins",
    "/usr/lib/docker/cli-plugins", "/usr/libexec/docker/cli-plugins",
)  # fmt: skip


def buildx_plugin(docker: str) -> str | None:
    """The ``docker-buildx`` that ``docker buildx`` runs, found as the docker CLI finds it; None when unsure.

    ``docker buildx X`` starts the docker CLI, which runs the plugin once to read its metadata
    and once more to do X: 0.07 s and two thirds of the CPU of a question (the version, a
    bake file's ``--print``: 0.11 s against 0.04 s here), and the same 0.07 s in front of every
    build and bake, whose start shares 2 cores with buildorch's own. buildx run standalone
    sets itself up as the plugin does (its root command "match[es] plugin behavior for
    standalone mode": the same client options, environment, contexts and configuration), so
    buildorch runs it directly, picked as the docker CLI picks it (cli-plugins/manager
    ``getPluginDirs``, the same order since plugins came in 2019): its configuration's
    ``cliPluginsExtraDirs``, then ``cli-plugins`` in its configuration directory
    (DOCKER_CONFIG, else ~/.docker), then SYSTEM_PLUGIN_DIRS; the first that exists. None (so
    ``docker buildx`` is run) when ``docker`` (the CLI buildorch runs) is not an
    executable file, the configuration cannot be read, or that first file is no executable.
    """
    if not (os.path.isfile(docker) and os.access(docker, os.X_OK)):
        return None
    return _plugin_in(os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker"))


@functools.cache
def _plugin_in(config: str) -> str | None:
    config_dir = Path(config)
    extra: Any = []
    try:
        extra = json.loads((config_dir / "config.json").read_bytes()).get("cliPluginsExtraDirs") or []
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(extra, list) or not all(isinstance(d, str) for d in extra):
        return None
    for d in (*extra, str(config_dir / "cli-plugins"), *SYSTEM_PLUGIN_DIRS):
        candidate = Path(d) / "docker-buildx"
        if candidate.exists():
            return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None
    return None
