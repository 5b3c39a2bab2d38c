"""After a build: the image's id, size and per-platform digests, and whether the cache covers every platform.

A loaded image is described from the engine's containerd store when it is there: buildx's
metadata file names the image (``containerimage.digest`` is the image id on that store) and
two blob reads give what ``docker image inspect`` would, so a fully cached build waits for no
``image inspect`` and never loads python-on-whales (a fifth of such a build's time). Elsewhere
(the classic image store, no access to containerd's socket, an image not for this machine's
platform) ``docker image inspect`` answers, as before.
"""

from __future__ import annotations

from typing import Any

from buildorch.builds import cache
from buildorch.builds.plan import BuildPlan
from buildorch.builds.spec import BuildResult
from buildorch.core.oci import platform_digests
from buildorch.core.platforms import host_platform
from buildorch.engine import buildx, containerd


def describe_images(plan: BuildPlan, result: BuildResult) -> None:
    """Fill image id, size and per-platform digests; check the cache covers every platform."""
    if not result.tags:
        return
    name = result.tags[0].rsplit(":", 1)[0] if ":" in result.tags[0].rsplit("/", 1)[-1] else result.tags[0]
    manifest: Any = None
    if result.loaded:
        if len(plan.invocations) == 1:
            describe_loaded(result)
        else:
            _from_inspect(result)
        manifest = containerd.store_blob
    elif result.pushed:
        result.platform_digests = platform_digests(buildx.imagetools_raw(result.tags[0]))

        def manifest(digest: str) -> Any:
            return buildx.imagetools_raw(f"{name}@{digest}")

    if len(result.platform_digests) > 1 and plan.cache.cache_to and manifest is not None:
        layers: dict[str, set[str]] = {}
        for p, digest in result.platform_digests.items():
            doc = manifest(digest)
            if doc:
                layers[p] = {m["digest"] for m in doc.get("layers") or []}
        missing = cache.missing_platforms(plan.cache, layers)
        if missing:
            result.warnings.append(f"the exported cache lacks layers for {', '.join(missing)} (moby/buildkit#2822)")
        result.cache_platforms_missing = missing


def describe_loaded(result: BuildResult) -> None:
    """Id, size and platform digests of the image one buildx run loaded (a build, or one target of a bake).

    From the containerd store when it answers exactly, else ``docker image inspect``.
    """
    if not _from_store(result):
        _from_inspect(result)


def _from_inspect(result: BuildResult) -> None:
    img = buildx.image_inspect(result.tags[0])
    if img:
        result.image_id = img.get("Id")
        result.size_bytes = img.get("Size")
        index = containerd.store_blob(result.image_id) if result.image_id else None
        if index and index.get("manifests"):
            result.platform_digests = platform_digests(index)


def _from_store(result: BuildResult) -> bool:
    """Id, size and platform digests from the containerd store; False when it cannot answer exactly.

    The size is what the engine reports for an image on that store: the index, this machine's
    platform's manifest, its config and its layers (checked against ``docker image inspect``).
    """
    descriptor = result.metadata.get("containerimage.descriptor")
    digest = result.digest
    if not digest or not isinstance(descriptor, dict) or descriptor.get("digest") != digest:
        return False
    top = containerd.store_blob(digest)
    if top is None:  # not on a containerd store (or no access to its socket)
        return False
    size = _int(descriptor.get("size"))
    if top.get("manifests"):
        digests = platform_digests(top)
        entry = next((m for m in top["manifests"] if m.get("digest") == digests.get(host_platform())), None)
        if entry is None:  # the engine picks another platform's manifest then: let it say which
            return False
        doc = containerd.store_blob(entry["digest"])
        size += _int(entry.get("size"))
    else:
        digests, doc = {}, top
    if doc is None or not isinstance(doc.get("config"), dict):
        return False
    size += _int(doc["config"].get("size")) + sum(_int(layer.get("size")) for layer in doc.get("layers") or [])
    result.image_id, result.size_bytes, result.platform_digests = digest, size, digests
    return True


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0
