"""``# syntax=`` lines: BuildKit pulls the frontend image they name before it reads the Dockerfile.

On an engine that cannot reach a registry that pull fails late, with a message about DNS
or a registry host. :func:`frontend_warning` says so before the build starts, with what
to do. The docker driver takes the image from the engine's image store when it is there
(seen with BuildKit 0.13: a local image is used as the frontend without a pull), and a
registry mirror configured in the engine serves Docker Hub images.
"""

from __future__ import annotations

from pathlib import Path

from buildorch.core import dockerfile, references
from buildorch.core.errors import BuildorchError
from buildorch.engine import buildx


def mirrors() -> list[str]:
    """The engine's registry mirrors (``docker info``: RegistryConfig.Mirrors); none when it cannot be asked."""
    try:
        info = buildx.engine_info()
    except BuildorchError:
        return []
    return list((info.get("RegistryConfig") or {}).get("Mirrors") or [])


def frontend_warning(path: Path, text: str | None = None) -> str | None:
    """A warning when ``path`` names a ``# syntax=`` frontend that is neither in the image store nor in a mirror."""
    try:
        found = dockerfile.detect_syntax(text if text is not None else dockerfile.read_text(path))
    except OSError:
        return None
    if found is None:
        return None
    ref, line = found
    if buildx.image_inspect(ref) is not None:
        return None
    hub = references.registry_of(ref) in (None, "docker.io", "index.docker.io")
    mirrored = mirrors() if hub else []
    # Imported here: the registry client loads http.client, ssl and email (20 ms), which
    # a build pays before BuildKit starts; only a Dockerfile with `# syntax=` and mirrors needs it.
    from buildorch.engine import registry

    if any(registry.has_manifest(m, ref) for m in mirrored):
        return None
    where = "the local image store" + (f" or the registry mirrors ({', '.join(mirrored)})" if mirrored else "")
    return (
        f"{path} line {line}: '# syntax={ref}' makes BuildKit pull the frontend image {ref} before it reads the file, "
        f"and it is not in {where}: without registry access the build fails. Remove the line (BuildKit's built-in "
        f"frontend reads heredocs, RUN --mount and ARG in FROM), or make the image available (docker pull {ref}, "
        "or docker load it)"
    )
