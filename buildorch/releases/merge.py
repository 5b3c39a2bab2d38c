"""``buildorch merge``: the split builds' digests made into one index, checked, and only then tagged.

Each runner pushed one platform by digest (``buildorch build --push-by-digest --digest-dir
DIR``). The merge asks buildx for the index those digests make (``imagetools create
--dry-run``), refuses it when an expected platform is missing (exit 5, nothing pushed, no
tag moved), pushes it by digest, reads it back from the registry, and tags it as ``release``
does (``releases/tagging``): under the image's release lock, an X.Y.Z tag never moves to
other content without ``force``, and every tag moves in one step that a killed merge cannot
cut in half (engine/registry_tags); tags moved by a failed tagging are put back.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from buildorch.builds import digests
from buildorch.core import references
from buildorch.core.errors import InputError, PushFailed, VerificationFailed
from buildorch.core.oci import platform_digests
from buildorch.core.retry import Backoff
from buildorch.core.semver import SemVer
from buildorch.core.validation import PlatformList
from buildorch.engine import buildx, registry
from buildorch.releases.models import DEFAULT_PLATFORMS, PlatformImage, Verification
from buildorch.releases.runner import platform_images
from buildorch.releases.tagging import move_tags, tagging_lock

INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


class MergeSpec(BaseModel):
    """One merge: the digest directory, the image, the platforms that must be there, the tags."""

    model_config = ConfigDict(extra="forbid")

    digest_dir: Path
    image: str
    platforms: PlatformList = Field(default_factory=lambda: list(DEFAULT_PLATFORMS))
    tags: list[str] = Field(default=[], description="tag names (1.2.3, latest), not references")
    version: str | None = Field(default=None, description="the version the tags carry (X.Y.Z is guarded like release's)")
    force: bool = False
    verify: bool = Field(default=False, description="run each platform as release does (GET /health, -version) before tagging")
    health_paths: list[str] = Field(default_factory=lambda: ["/health"])
    port: int | None = None
    verify_timeout: float = 60.0
    push_attempts: int = 4
    retry_base_seconds: float = 1.0

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        references.check(v)
        name, tag = references.split(v)
        if tag is not None or "@" in v or references.registry_of(name) is None:
            raise ValueError(f"image {v!r}: give REGISTRY/NAME without a tag, e.g. localhost:5000/team/app")
        return name

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        return v or list(DEFAULT_PLATFORMS)

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        for t in v:
            references.check(f"localhost/x:{t}")
        return list(dict.fromkeys(v))


class MergeResult(BaseModel):
    status: Literal["merged", "failed"] = "merged"
    image: str
    version: str = ""
    index_digest: str | None = None
    tags: list[str] = []
    references: list[str] = []
    previous_tags: dict[str, str | None] = {}
    platforms: dict[str, PlatformImage] = {}
    verification: Verification = Field(default_factory=Verification)
    digests: list[str] = []
    duration_seconds: float = 0.0
    warnings: list[str] = []


def merge(spec: MergeSpec, *, log: IO[str] | None = None) -> MergeResult:
    """Index, check, push by digest, read back, tag. Raises ``VerificationFailed`` (exit 5) for a missing platform."""
    out = log or sys.stderr
    start = time.monotonic()
    try:
        files = digests.read(spec.digest_dir)
    except ValueError as exc:
        raise InputError(str(exc), "give the directory the split builds' digest files were gathered in") from exc
    result = MergeResult(image=spec.image, version=spec.version or "", digests=[f.digest for f in files])
    for f in files:
        if f.image and references.split(f.image)[0] != spec.image:
            raise InputError(f"digest file {f.path} is for {f.image}, not {spec.image}", "merge the image each runner built")
    if not spec.tags:
        raise InputError("merge needs tags: --tag NAME or --meta", "e.g. --tag 1.2.3 --tag latest")
    sources = [f"{spec.image}@{f.digest}" for f in files]
    # --dry-run prints the index buildx would push (a tag is required, none is written)
    argv = ["buildx", "imagetools", "create", "--dry-run", "-t", f"{spec.image}:merge", *sources]
    body = buildx.run(argv, what="imagetools create")
    index = json.loads(body)
    _check(result, spec, platform_digests(index), "the merged index")
    client = registry.Client(spec.image, Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds), out)
    data = json.dumps(index, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    try:
        client.retrying("push the index", lambda: client.put_manifest(digest, index.get("mediaType", INDEX_TYPE), data))
    except registry.RegistryError as exc:
        raise PushFailed(f"pushing the index of {spec.image} failed: {exc.message}", "no tag was changed") from exc
    result.index_digest = digest
    pushed = buildx.imagetools_raw(f"{spec.image}@{digest}")  # what the registry holds, not what we meant to send
    _check(result, spec, platform_digests(pushed), f"the pushed index {digest}")
    result.platforms = platform_images(client, pushed)
    result.verification.ok = True
    if spec.verify:
        _run_checks(result, spec, out)
    # the tags to put back are read where no other merge or release moves them; a killed one's tagging completed first
    with tagging_lock([spec.image], out) as fds:
        _guard_version(result, spec, client)
        _tag(result, spec, client, out, fds)
    result.duration_seconds = round(time.monotonic() - start, 3)
    return result


def _run_checks(result: MergeResult, spec: MergeSpec, out: IO[str]) -> None:
    """release's verification of the pushed index: each platform pulled by digest and run; exit 5 before any tag."""
    from buildorch.releases.models import ReleaseSpec
    from buildorch.releases.verify import verify

    version = SemVer.try_parse((spec.version or "").lstrip("v"))
    checks = ReleaseSpec(
        version=str(version or "0.0.0"), image=spec.image, platforms=spec.platforms, health_paths=spec.health_paths,
        port=spec.port, verify_timeout=spec.verify_timeout, version_args=["-version"] if version else [],
        push_attempts=spec.push_attempts, retry_base_seconds=spec.retry_base_seconds,
    )  # fmt: skip
    result.verification = verify(checks, str(result.index_digest), log=out)
    if not result.verification.ok:
        result.status = "failed"
        raise VerificationFailed(
            f"{spec.image}@{result.index_digest} not tagged: verification failed on {result.verification.failure()}",
            "the index is pushed but untagged; fix the image and build again",
        )


def _check(result: MergeResult, spec: MergeSpec, present: dict[str, str], what: str) -> None:
    result.verification.index_platforms = sorted(present)
    missing = [p for p in spec.platforms if p not in present]
    result.verification.missing_platforms = missing
    if missing:
        result.status = "failed"
        raise VerificationFailed(
            f"{what} lacks {', '.join(missing)} (it has {', '.join(sorted(present)) or 'nothing'}): no tag was moved",
            "wait for every platform's build, or check that its digest file reached the merge job",
        )


def _guard_version(result: MergeResult, spec: MergeSpec, client: registry.Client) -> None:
    """release's rule: an existing X.Y.Z tag on other images is not moved without ``force``."""
    version = SemVer.try_parse((spec.version or "").lstrip("v"))
    if version is None or version.tag not in spec.tags:
        return
    before = client.digest_of(version.tag)
    if before is None or before == result.index_digest:
        return
    old = platform_digests(buildx.imagetools_raw(f"{spec.image}@{before}"))
    new = {p: img.digest for p, img in result.platforms.items()}
    if old == new or spec.force:
        result.warnings.append(f"{version.tag} moves from {before} ({'same images' if old == new else '--force'})")
        return
    raise InputError(
        f"{spec.image}:{version.tag} already exists with different content: not moved",
        "merge a new version, or pass --force (the merged index stays untagged)",
    )


def _tag(result: MergeResult, spec: MergeSpec, client: registry.Client, out: IO[str], lock_fds: tuple[int, ...]) -> None:
    """Every tag to the index through release's tagging (engine/registry_tags): all or none, even when killed."""
    digest = str(result.index_digest)
    result.tags = list(spec.tags)
    result.references = [f"{spec.image}:{t}" for t in spec.tags]
    result.previous_tags = {t: client.digest_of(t) for t in spec.tags}  # read inside the lock: what a failure puts back
    previous = {f"{spec.image}:{t}": d for t, d in result.previous_tags.items()}

    def failed(_why: str) -> None:  # the error raised says why; the result only records that it failed
        result.status = "failed"

    backoff = Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds)
    # the journal is journal_path([image]): release's, so either completes the other's interrupted tagging
    move_tags(digest, spec.tags, {spec.image: client}, previous, backoff, out, lock_fds=lock_fds,
              untagged="the merged index is pushed but untagged; merge again", on_failure=failed,
              another="another merge or release of the image may run at once", command="merge")  # fmt: skip
