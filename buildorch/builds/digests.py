"""Split builds: one platform pushed by digest only, and the digest file the merge reads.

The pattern of docker's multi-platform docs (build-push-action, github-builder): each
runner pushes its platform with ``push-by-digest=true`` (no tag is written, so nothing half
done is visible) and leaves a file named after the digest's hex in a directory that CI
carries to the merge job (an artifact). The file holds the platform and the image name, so
the merge can say which platform is missing without asking the registry first; docker's own
merge step reads only the names, so both kinds of merge work on the same directory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

_HEX = re.compile(r"^[0-9a-f]{64}$")


def output_spec(name: str) -> str:
    """buildx's ``--output`` for a push by digest of ``name`` (REGISTRY/NAME, no tag)."""
    return f"type=image,name={name},push-by-digest=true,name-canonical=true,push=true"


def platform_slug(platform: str) -> str:
    return platform.replace("/", "-")


@dataclass(frozen=True)
class DigestFile:
    digest: str
    platform: str | None
    image: str | None
    path: Path


def write(directory: Path, digest: str, platform: str, image: str) -> Path:
    """``DIR/<hex>`` holding ``{"digest", "platform", "image"}``."""
    hexpart = digest.removeprefix("sha256:")
    if not _HEX.match(hexpart):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hexpart
    path.write_text(json.dumps({"digest": f"sha256:{hexpart}", "platform": platform, "image": image}) + "\n")
    return path


def read(directory: Path) -> list[DigestFile]:
    """Every digest file of ``directory`` (docker's empty files too); ``ValueError`` when there is none."""
    if not directory.is_dir():
        raise ValueError(f"digest directory {directory} does not exist")
    found = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or not _HEX.match(path.name):
            continue
        platform = image = None
        text = path.read_text().strip()
        if text:
            try:
                data = json.loads(text)
            except ValueError as exc:
                raise ValueError(f"digest file {path} is not JSON: {exc}") from exc
            platform, image = data.get("platform"), data.get("image")
        found.append(DigestFile(f"sha256:{path.name}", platform, image, path))
    if not found:
        raise ValueError(f"no digest files in {directory}: each split build writes one (--push-by-digest --digest-dir DIR)")
    return found
