"""``buildorch compare``: two images side by side, or the images of two Dockerfiles.

The workshop's question "how much does a multi-stage build save?" in one call:
both images are inspected with :func:`buildorch.inspect.image.inspect_image` for
the same platform and the size ratio B/A is computed from the uncompressed
filesystems (``docker export``) and from the compressed content.
"""

from __future__ import annotations

import sys
from typing import IO

from pydantic import BaseModel, computed_field

from buildorch.builds.runner import build
from buildorch.builds.spec import BuildSpec
from buildorch.engine import containers
from buildorch.inspect.image import ImageReport, inspect_image


class Comparison(BaseModel):
    """Reports for A and B, and how B's size relates to A's."""

    a: ImageReport
    b: ImageReport
    built_from: list[str] | None = None  # the two Dockerfiles, for --dockerfiles

    @computed_field  # type: ignore[prop-decorator]
    @property
    def size_ratio(self) -> float | None:
        """B/A, uncompressed filesystem size."""
        return ratio(self.b.size_uncompressed, self.a.size_uncompressed)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def size_ratio_compressed(self) -> float | None:
        """B/A, compressed content size."""
        return ratio(self.b.size_compressed, self.a.size_compressed)


def ratio(b: int | None, a: int | None) -> float | None:
    """``b / a`` rounded to 2 decimals; None when either is unknown or a is 0."""
    if not a or b is None:
        return None
    return round(b / a, 2)


def compare_images(a: str, b: str, platform: str | None = None) -> Comparison:
    """Inspect ``a`` and ``b`` (the same platform for both when given) and compare them."""
    containers.require_image(b)  # before a's container is made and exported: a missing b is bad input, found first
    ra = inspect_image(a, platform)
    rb = inspect_image(b, platform or ra.platform)
    return Comparison(a=ra, b=rb)


def compare_builds(spec_a: BuildSpec, spec_b: BuildSpec, *, keep: bool = False, log: IO[str] | None = None) -> Comparison:
    """Build two specs (each loading one platform under a throwaway tag), compare the images, remove them.

    ``keep`` leaves the images in the store (their tags are in the reports).
    """
    out = log or sys.stderr
    with containers.removed_after([], keep=keep) as made:
        for spec in (spec_a, spec_b):
            out.write(f"building {spec.dockerfile_path} as {spec.tags[0]}\n")
            build(spec, log=out)
            made.append(spec.tags[0])
        platform = spec_a.platforms[0] if spec_a.platforms else None
        result = compare_images(made[0], made[1], platform)
    result.built_from = [str(spec_a.dockerfile_path), str(spec_b.dockerfile_path)]
    if keep:
        out.write(f"kept images: {made[0]} {made[1]}\n")
    return result
