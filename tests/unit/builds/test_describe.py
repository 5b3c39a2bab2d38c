"""describe_images from the containerd store: the engine's own size rule, and a fall-back where it cannot answer."""

from __future__ import annotations

from typing import Any

import pytest

from buildorch.builds import describe
from buildorch.builds.spec import BuildResult

# Recorded from the engine (docker 26, containerd store): app/ built for linux/amd64 with --load.
INDEX_DIGEST = "sha256:6c9c7bc6b9e3e90461793c77b818c5c65ab45e1c0130a2026c7e1e3443f32a05"
AMD64 = "sha256:0bd950a6eea44a3c6ef6630b94821391ad674b91383ae07280fc5b8f6de99740"
BLOBS: dict[str, dict[str, Any]] = {
    INDEX_DIGEST: {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": AMD64, "size": 672,
             "platform": {"architecture": "amd64", "os": "linux"}},
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:b0199e", "size": 566,
             "annotations": {"vnd.docker.reference.digest": AMD64, "vnd.docker.reference.type": "attestation-manifest"},
             "platform": {"architecture": "unknown", "os": "unknown"}},
        ],
    },
    AMD64: {"config": {"digest": "sha256:c", "size": 2392}, "layers": [{"digest": "sha256:l1", "size": 3073609}]},
}  # fmt: skip
# What `docker image inspect` reported for it: index 855 + manifest 672 + config 2392 + layers 3073609.
ENGINE_SIZE = 3077528


def loaded(digest: str = INDEX_DIGEST, size: int = 855) -> BuildResult:
    r = BuildResult(tags=["app:1"], platforms=["linux/amd64"])
    r.loaded, r.digest = True, digest
    r.metadata = {"containerimage.digest": digest, "containerimage.descriptor": {"digest": digest, "size": size}}
    return r


def test_the_store_gives_the_engines_id_size_and_digests(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(describe.containerd, "store_blob", BLOBS.get)
    monkeypatch.setattr(describe, "host_platform", lambda: "linux/amd64")
    r = loaded()
    assert describe._from_store(r)
    assert (r.image_id, r.size_bytes, r.platform_digests) == (INDEX_DIGEST, ENGINE_SIZE, {"linux/amd64": AMD64})


@pytest.mark.parametrize(
    "why",
    ["classic store", "another platform", "descriptor of another image"],
)
def test_the_store_declines_where_it_cannot_answer_exactly(monkeypatch: pytest.MonkeyPatch, why: str) -> None:
    monkeypatch.setattr(describe, "host_platform", lambda: "linux/arm64" if why == "another platform" else "linux/amd64")
    monkeypatch.setattr(describe.containerd, "store_blob", (lambda d: None) if why == "classic store" else BLOBS.get)
    r = loaded()
    if why == "descriptor of another image":
        r.metadata["containerimage.descriptor"] = {"digest": "sha256:other", "size": 1}
    assert not describe._from_store(r)
    assert r.image_id is None and r.size_bytes is None
