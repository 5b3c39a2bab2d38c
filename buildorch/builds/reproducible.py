"""Whether a build's image can be bit-for-bit reproducible, and the output options that make it so.

buildorch always passes ``SOURCE_DATE_EPOCH`` (the commit time), which BuildKit uses for
the image config's dates; the files in the layers keep their build-time mtimes unless
the exporter is asked to rewrite them (``rewrite-timestamp=true``, BuildKit >= 0.13).
The docker driver with the containerd image store refuses that option (``exporter option
"rewrite-timestamp" conflicts with "unpack"``), so it is added only on builders that
export themselves: docker-container, remote, kubernetes.
"""

from __future__ import annotations

from buildorch.core.errors import InputError

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
    return driver in REWRITING_DRIVERS


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


def refuse_on(driver: str, builder: str | None) -> None:
    """``release --reproducible`` on a builder that cannot rewrite timestamps: exit 2."""
    if not can_rewrite(driver):
        raise InputError(
            f"--reproducible needs a builder that rewrites layer timestamps; {builder or 'the current builder'} "
            f"uses the {driver or 'unknown'} driver",
            "pass --builder NAME of a docker-container or remote builder (buildorch builder create NAME --driver docker-container)",
        )
