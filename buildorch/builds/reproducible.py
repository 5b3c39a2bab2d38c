"""Whether a build's image can be bit-for-bit reproducible, and the output options that make it so.

buildorch always passes ``SOURCE_DATE_EPOCH`` (the commit time), which BuildKit uses for
the image config's dates; the files in the layers keep their build-time mtimes unless
the exporter is asked to rewrite them (``rewrite-timestamp=true``, BuildKit >= 0.13).
The docker driver with the containerd image store refuses that option on image outputs
(``exporter option "rewrite-timestamp" conflicts with "unpack"``) but takes it on an OCI
layout (seen with buildx 0.13.1 / engine 26.1.5; release uses that). So it is added to
image outputs on builders that export themselves (docker-container, remote,
kubernetes), and to OCI outputs on every driver.
"""

from __future__ import annotations

# Drivers whose image/OCI exporters accept rewrite-timestamp.
REWRITING_DRIVERS = frozenset({"docker-container", "remote", "kubernetes"})
# Output types whose exporter writes layers (and so can rewrite their timestamps).
_LAYER_OUTPUTS = frozenset({"image", "registry", "oci", "docker"})

NOT_REPRODUCIBLE = (
    "the docker driver cannot rewrite file timestamps in layers: this image will not be bit-for-bit "
    "reproducible; build on a docker-container or remote builder for that "
    "(buildorch builder create NAME --driver docker-container, then --builder NAME)"
)


def can_rewrite(driver: str) -> bool:
    """Whether the driver's image exporter (``--push``, ``type=image``) takes rewrite-timestamp."""
    return driver in REWRITING_DRIVERS


def output_type(output: str | None) -> str:
    """``type=`` of an ``--output`` value; ``--push`` is an image output. A bare path is a local one."""
    if output is None:
        return "image"
    for f in output.split(","):
        k, _, v = f.partition("=")
        if k.strip().lower() == "type":
            return v.strip().lower()
    return "local"


def decide(driver: str, output: str | None) -> tuple[bool, bool]:
    """(add rewrite-timestamp, warn that the image will not be reproducible) for a push (None) or an --output."""
    kind = output_type(output)
    if kind == "oci":
        return True, False
    if kind not in _LAYER_OUTPUTS:
        return False, False  # local files or a tar of them: no layers to rewrite
    return (True, False) if can_rewrite(driver) else (False, True)


def with_rewrite(output: str) -> str:
    """``--output`` value with ``rewrite-timestamp=true`` added when its exporter writes layers.

    An explicit ``rewrite-timestamp=`` is kept as given; a local or tar output is unchanged.
    """
    fields = [f for f in output.split(",") if f]
    keys = {f.partition("=")[0].strip().lower(): f.partition("=")[2].strip() for f in fields}
    kind = keys.get("type", "")
    if kind not in _LAYER_OUTPUTS or "rewrite-timestamp" in keys:
        return output
    return ",".join([*fields, "rewrite-timestamp=true"])


def push_output() -> str:
    """What ``--push`` means, as an output that rewrites timestamps."""
    return "type=image,push=true,rewrite-timestamp=true"
