"""The first difference between two image manifests, as diffoci names it: which layer,
which file, which attribute; and the config fields that differ. Pure: it takes the
documents and the layer bytes, the caller fetches them.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# Tar header attributes compared, in the order they are reported.
# Content first: a file written with the date differs in its bytes, and its mtime then
# differs too only as a consequence.
ATTRIBUTES = ("type", "content", "size", "linkname", "mode", "uid", "gid", "uname", "gname", "mtime")


@dataclass
class Difference:
    """Where two images first differ. ``layer`` is 0-based; ``path`` the file inside it."""

    platform: str
    what: str  # "config" | "layer-count" | "layer" | "media-type"
    layer: int | None = None
    path: str | None = None
    attribute: str | None = None
    left: str | None = None
    right: str | None = None
    config_fields: list[str] = field(default_factory=list)

    def describe(self) -> str:
        where = self.platform
        if self.what == "layer-count":
            return f"{where}: the images have {self.left} and {self.right} layers"
        if self.what == "layer" and self.path is not None:
            return (f"{where}: layer {self.layer}, file {self.path}: {self.attribute} differs "
                    f"({self.left} vs {self.right})")
        if self.what == "layer":
            return f"{where}: layer {self.layer} differs ({self.left} vs {self.right}) but its files do not: the tar itself"
        if self.what == "config":
            return f"{where}: the image config differs in {', '.join(self.config_fields)}"
        return f"{where}: {self.what} differs ({self.left} vs {self.right})"


def _flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(doc, dict):
        out: dict[str, Any] = {}
        for k, v in doc.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: doc}


def config_fields(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    """Dotted names of the config fields whose values differ (lists compared whole), sorted."""
    a, b = _flatten(left), _flatten(right)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def decompress(media_type: str, blob: bytes) -> bytes:
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if media_type.endswith("zstd") or blob[:4] == b"\x28\xb5\x2f\xfd":
        raise ValueError("zstd-compressed layers cannot be read here (Python 3.14 has zstd); build with gzip to compare")
    return blob


def tar_entries(data: bytes) -> dict[str, dict[str, str]]:
    """Path -> its attributes (content as a sha256) of one uncompressed layer tar."""
    out: dict[str, dict[str, str]] = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tf:
        for m in tf:
            content = ""
            if m.isfile():
                fh = tf.extractfile(m)
                content = "sha256:" + hashlib.sha256(fh.read() if fh else b"").hexdigest()
            out[m.name.lstrip("./") or "/"] = {
                "type": m.type.decode("ascii", "replace") if isinstance(m.type, bytes) else str(m.type),
                "mode": oct(m.mode),
                "uid": str(m.uid),
                "gid": str(m.gid),
                "uname": m.uname,
                "gname": m.gname,
                "linkname": m.linkname,
                "mtime": str(int(m.mtime)),
                "size": str(m.size),
                "content": content,
            }
    return out


def first_file_difference(left: bytes, right: bytes) -> tuple[str, str, str | None, str | None] | None:
    """(path, attribute, left value, right value) of the first differing file, by path order; None when equal."""
    a, b = tar_entries(left), tar_entries(right)
    for path in sorted(a.keys() | b.keys()):
        if path not in a or path not in b:
            return path, "presence", "present" if path in a else "absent", "present" if path in b else "absent"
        for attr in ATTRIBUTES:
            if a[path][attr] != b[path][attr]:
                return path, attr, a[path][attr], b[path][attr]
    return None


def first_difference(
    platform: str,
    left: dict[str, Any],
    right: dict[str, Any],
    blob: Callable[[str, str], bytes],
) -> Difference | None:
    """Compare two image manifests; ``blob(side, digest)`` returns a blob of side "left" or "right"."""
    if left.get("config", {}).get("digest") != right.get("config", {}).get("digest"):
        fields = config_fields(json.loads(blob("left", left["config"]["digest"])),
                               json.loads(blob("right", right["config"]["digest"])))
        config_diff: Difference | None = Difference(platform, "config", config_fields=fields)
    else:
        config_diff = None
    la, lb = left.get("layers") or [], right.get("layers") or []
    if len(la) != len(lb):
        return Difference(platform, "layer-count", left=str(len(la)), right=str(len(lb)),
                          config_fields=config_diff.config_fields if config_diff else [])
    for i, (x, y) in enumerate(zip(la, lb, strict=True)):
        if x["digest"] == y["digest"]:
            continue
        fx = first_file_difference(decompress(x.get("mediaType", ""), blob("left", x["digest"])),
                                   decompress(y.get("mediaType", ""), blob("right", y["digest"])))
        d = Difference(platform, "layer", layer=i, left=x["digest"][:19], right=y["digest"][:19])
        if fx:
            d.path, d.attribute, d.left, d.right = fx
        if config_diff:
            d.config_fields = config_diff.config_fields
        return d
    return config_diff
