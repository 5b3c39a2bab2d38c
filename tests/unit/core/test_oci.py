"""Reading `docker save` layouts: recorded from a multi-platform runtime image (layer blobs left out)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from buildorch.core.oci import find_platform, platform_images
from buildorch.engine.containers import small_blobs
from buildorch.inspect.image import layers_from_config


def saved_tar(root: Path, big: dict[str, int] | None = None) -> bytes:
    """A tar like `docker save` writes (blobs first, index.json last), from the recorded files."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, size in (big or {}).items():  # stand-ins for layer blobs, skipped by size
            info = tarfile.TarInfo(f"blobs/sha256/{name}")
            info.size = size
            tar.addfile(info, io.BytesIO(b"\0" * size))
        for path in sorted((root / "blobs/sha256").iterdir()):
            tar.add(str(path), arcname=f"blobs/sha256/{path.name}")
        for name in ("index.json", "oci-layout"):
            tar.add(str(root / name), arcname=name)
    return buf.getvalue()


def test_platforms_of_a_saved_multi_platform_image(data_dir: Path) -> None:
    blobs = small_blobs(io.BytesIO(saved_tar(data_dir / "inspect/oci_save_multi", {"big": 5000})), limit=4096)
    assert "sha256:big" not in blobs and "index.json" in blobs
    images = platform_images(blobs)
    # attestation manifests (unknown/unknown) are not platforms
    assert [i.platform for i in images] == ["linux/amd64", "linux/arm64"]
    arm = find_platform(images, "linux/arm64")
    assert arm is not None and arm.config["architecture"] == "arm64"
    assert arm.layer_sizes == [124282, 2688116]
    assert arm.content_size == 2460 + 124282 + 2688116
    assert find_platform(images, "linux/s390x") is None
    assert find_platform(images, "linux/arm64/v8") is arm


def test_layers_from_the_oci_config(data_dir: Path) -> None:
    blobs = small_blobs(io.BytesIO(saved_tar(data_dir / "inspect/oci_save_multi")))
    arm = find_platform(platform_images(blobs), "linux/arm64")
    assert arm is not None
    layers = layers_from_config(arm.config, arm.layer_sizes)
    sized = [(la.created_by, la.compressed_size) for la in layers if not la.empty]
    assert sized == [("COPY /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ # buildkit", 124282),
                     ("COPY /build/main /app # buildkit", 2688116)]
    assert layers[-1].created_by == 'ENTRYPOINT ["/app"]'


def test_missing_blobs_are_skipped(data_dir: Path) -> None:
    blobs = small_blobs(io.BytesIO(saved_tar(data_dir / "inspect/oci_save_multi")))
    arm = find_platform(platform_images(blobs), "linux/arm64")
    assert arm is not None
    del blobs[arm.manifest_digest]  # a platform whose content is not in the store
    assert [i.platform for i in platform_images(blobs)] == ["linux/amd64"]
    assert platform_images({}) == []
