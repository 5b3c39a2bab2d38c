"""Reading OCI documents: an image index's platforms, and the OCI layout that ``docker save`` writes
(its small JSON blobs, read from the tar by :func:`buildorch.engine.containers.small_blobs`).

Engine 26 (API 1.45) has no ``--platform`` for ``docker image inspect`` or
``docker image history`` (both need API 1.48+), and ``image history`` of an
image whose platform is not the host's fails ("snapshot ... does not exist").
A ``docker save`` of a containerd-store image holds the whole index, so the
config and manifest of any platform can be read from it. Only the small JSON
blobs are kept; layer blobs stream past.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

_INDEX_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json")


@dataclass
class PlatformImage:
    """One platform's manifest and config, from an OCI layout."""

    platform: str
    manifest_digest: str
    manifest: dict[str, Any]
    config: dict[str, Any]
    config_size: int = 0
    layer_sizes: list[int] = field(default_factory=list)  # compressed, as in the manifest

    @property
    def content_size(self) -> int:
        """Compressed content size: config plus layers (what ``docker image inspect`` calls Size)."""
        return self.config_size + sum(self.layer_sizes)


def _json(blobs: dict[str, bytes], key: str) -> dict[str, Any] | None:
    return json_object(blobs.get(key))


def json_object(raw: bytes | None) -> dict[str, Any] | None:
    """A blob read as a JSON object (an index, a manifest, a config); None for anything else."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def platform_string(p: dict[str, Any]) -> str:
    """``{"os": "linux", "architecture": "arm64"}`` -> ``linux/arm64`` (variant appended when set)."""
    return "/".join(str(x) for x in (p.get("os"), p.get("architecture"), p.get("variant")) if x)


def _is_image_platform(p: dict[str, Any]) -> bool:
    return bool(p.get("os")) and p.get("os") != "unknown" and p.get("architecture") != "unknown"


def platform_digests(index: dict[str, Any]) -> dict[str, str]:
    """``{"linux/amd64": "sha256:..."}`` from an OCI index, attestation manifests left out."""
    out: dict[str, str] = {}
    manifests = index.get("manifests")
    # A registry's answer: entries of the wrong shape are skipped, not trusted (nor a crash).
    for m in manifests if isinstance(manifests, list) else []:
        if not isinstance(m, dict) or not isinstance(m.get("digest"), str):
            continue
        p = m.get("platform")
        annotations = m.get("annotations")
        if isinstance(annotations, dict) and annotations.get("vnd.docker.reference.type") == "attestation-manifest":
            continue
        if not isinstance(p, dict) or p.get("os") in (None, "unknown"):
            continue
        out[platform_string(p)] = m["digest"]
    return out


def platform_images(blobs: dict[str, bytes]) -> list[PlatformImage]:
    """Every platform image the layout holds (attestation manifests left out), in index order."""
    top = _json(blobs, "index.json")
    if top is None:
        return []
    out: list[PlatformImage] = []
    seen: set[str] = set()

    def visit(desc: dict[str, Any], depth: int) -> None:
        digest = str(desc.get("digest", ""))
        doc = _json(blobs, digest)
        if doc is None or digest in seen or depth > 4:
            return  # content not in the store (e.g. a platform never pulled)
        seen.add(digest)
        media = doc.get("mediaType") or desc.get("mediaType")
        if media in _INDEX_TYPES or "manifests" in doc:
            for child in doc.get("manifests") or []:
                p = child.get("platform")
                if p is not None and not _is_image_platform(p):
                    continue
                visit(child, depth + 1)
            return
        cdesc = doc.get("config") or {}
        config = _json(blobs, str(cdesc.get("digest", "")))
        if config is None or not _is_image_platform(config):
            return
        plat = desc.get("platform") or config
        out.append(
            PlatformImage(
                platform=platform_string(plat),
                manifest_digest=digest,
                manifest=doc,
                config=config,
                config_size=int(cdesc.get("size") or 0),
                layer_sizes=[int(layer.get("size") or 0) for layer in doc.get("layers") or []],
            )
        )

    for desc in top.get("manifests") or []:
        visit(desc, 0)
    return out


def find_platform(images: list[PlatformImage], platform: str) -> PlatformImage | None:
    """The image for ``platform`` (``linux/arm64`` also matches ``linux/arm64/v8``)."""
    for img in images:
        if img.platform == platform:
            return img
    for img in images:
        if img.platform.startswith(platform + "/") or platform.startswith(img.platform + "/"):
            return img
    return None
