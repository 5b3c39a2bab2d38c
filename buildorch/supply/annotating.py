"""OCI annotations of a release: buildx's ``--annotation`` syntax, and the image exporter's attributes.

``[TYPE[,TYPE...]:]KEY=VALUE`` with TYPE one of ``manifest`` (the default), ``index``,
``manifest-descriptor``, ``index-descriptor``, optionally with a platform
(``manifest[linux/arm64]:KEY=VALUE``), as ``docker buildx build --annotation`` reads it.
They are given to the exporter as ``annotation-TYPE[PLATFORM].KEY=VALUE`` attributes of
``--output``, which works for both of release's outputs (image push by digest, OCI layout).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Annotation", "default_index_annotations", "output_attributes", "parse"]

TYPES = ("manifest", "index", "manifest-descriptor", "index-descriptor")
_TYPE = re.compile(r"^(?P<type>[a-z-]+)(?:\[(?P<platform>[a-z0-9]+/[a-z0-9]+(?:/[a-z0-9]+)?)\])?$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


@dataclass(frozen=True)
class Annotation:
    kind: str
    key: str
    value: str
    platform: str | None = None

    def attribute(self) -> str:
        """``annotation-index.org.opencontainers.image.title=app`` (for ``--output``)."""
        plat = f"[{self.platform}]" if self.platform else ""
        return f"annotation-{self.kind}{plat}.{self.key}={self.value}"


def parse(raw: str) -> list[Annotation]:
    """One ``--annotation`` value as buildx reads it; ValueError saying what is wrong."""
    if "=" not in raw:
        raise ValueError(f"annotation {raw!r} has no '=': use [TYPE:]KEY=VALUE, e.g. index:org.example.team=web")
    left, value = raw.split("=", 1)
    kinds: list[tuple[str, str | None]] = [("manifest", None)]
    key = left
    if ":" in left:
        prefix, key = left.split(":", 1)
        kinds = []
        for part in prefix.split(","):
            m = _TYPE.match(part.strip())
            if not m or m.group("type") not in TYPES:
                raise ValueError(f"annotation {raw!r}: unknown type {part!r} (use {', '.join(TYPES)}, optionally [os/arch])")
            kinds.append((m.group("type"), m.group("platform")))
    if not _KEY.match(key):
        raise ValueError(f"annotation {raw!r}: invalid key {key!r}")
    if "\n" in value or "\r" in value:
        raise ValueError(f"annotation {key}: the value must be one line")
    return [Annotation(kind, key, value, platform) for kind, platform in kinds]


def default_index_annotations(labels: dict[str, str], description: str | None) -> list[Annotation]:
    """The ``org.opencontainers.image.*`` annotations of a release index: the labels it already sets, and a description."""
    keys = ("title", "version", "created", "source", "revision")
    out = [
        Annotation("index", f"org.opencontainers.image.{k}", labels[f"org.opencontainers.image.{k}"])
        for k in keys
        if labels.get(f"org.opencontainers.image.{k}")
    ]
    if description:
        out.append(Annotation("index", "org.opencontainers.image.description", description))
    return out


def output_attributes(annotations: list[Annotation]) -> str:
    """``,``-joined exporter attributes, each CSV-quoted when it holds a comma or a quote (buildx reads --output as CSV)."""
    parts = []
    for a in annotations:
        attr = a.attribute()
        parts.append('"' + attr.replace('"', '""') + '"' if any(c in attr for c in ',"') else attr)
    return ",".join(parts)
