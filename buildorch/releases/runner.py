"""``release()``: build every platform, push by digest, verify what the registry holds, then tag it.

No tag ever points at an image that was not verified: the index is pushed
without a tag, pulled back by digest and run on every platform, and only then
tagged through the registry API by a child process that moves every tag or none,
even when the release is killed (``engine/registry_tags``). A failure before that
leaves every tag as it was. Example::

    from buildorch import ReleaseSpec, release
    result = release(ReleaseSpec(version="1.2.3", image="localhost:5000/team/app", context="app"))
    print(result.index_digest, result.platform_digests, result.tags)
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from buildorch.builds import history
from buildorch.builds.runner import prepare, run_plan
from buildorch.builds.spec import BuildResult
from buildorch.core.errors import BuildFailed, BuildorchError, InputError, PushFailed, VerificationFailed
from buildorch.core.oci import platform_digests
from buildorch.core.retry import Backoff, first_line, is_transient, with_retries
from buildorch.engine import buildx, registry
from buildorch.engine.buildx_text import parse_buildx_inspect
from buildorch.releases.lock import journal_path, scratch_dir
from buildorch.releases.models import PlatformImage, PushMethod, ReleaseResult, ReleaseSpec, Reproducibility
from buildorch.releases.plan import ReleasePlan, check_git, plan_release
from buildorch.releases.report import write_reports
from buildorch.releases.tagging import attempts, fail, tag_all, tagging_lock
from buildorch.releases.verify import verify
from buildorch.supply.chain import check as check_supply
from buildorch.supply.chain import secure

__all__ = ["ReleaseSpec", "prepare_release", "release"]


def push_method(builder: str | None) -> PushMethod:
    """``buildkit`` when the builder can push by digest itself, ``upload`` on the docker driver."""
    driver = parse_buildx_inspect(buildx.buildx_inspect(builder)).driver
    return "upload" if driver in ("", "docker") else "buildkit"


def prepare_release(
    spec: ReleaseSpec, *, layout_dir: Path | None = None, log: IO[str] | None = None, strict: bool = False
) -> ReleasePlan:
    """Check the inputs and git, read the registry's tags and plan everything. Writes nothing anywhere.

    A registry that does not answer (after retries) is a warning, or a PushFailed when ``strict``.
    ``prepare_release(spec).describe()`` is what ``buildorch release --dry-run`` prints.
    """
    git = check_git(spec)
    existing: list[str] | None = []
    for image in spec.destinations:
        tags = _read_tags(spec, image, log, strict)
        existing = None if tags is None or existing is None else [*existing, *tags]
    plan = plan_release(spec, existing_tags=existing, push_method=push_method(spec.builder), git=git, layout_dir=layout_dir)
    plan.build_plan = prepare(plan.build)
    return plan


def _read_tags(spec: ReleaseSpec, image: str, log: IO[str] | None, strict: bool) -> list[str] | None:
    """``image``'s tags (None: the registry does not answer and not ``strict``); when ``strict``, also that a push is allowed.

    Both come before anything is built: missing or refused credentials end the release here (exit 4).
    """
    client = _client(spec, log, image)
    try:
        tags = client.tags()
        if strict:
            client.check_push()
        return tags
    except registry.RegistryError as exc:
        if exc.status in (401, 403):
            raise  # the message says which registry and to run buildorch login
        if not exc.transient:
            raise InputError(f"cannot read the tags of {image}: {exc.message}", "check the image name and registry") from exc
        if strict:
            what = "does not answer" if exc.status is None else "failed"
            raise PushFailed(
                f"the registry of {image} {what} after {attempts(spec.push_attempts)}: {exc.message}", _PUSH_HINT
            ) from exc
        return None


def release(spec: ReleaseSpec, *, log: IO[str] | None = None, password: str | None = None) -> ReleaseResult:
    """Release ``spec`` and return a :class:`ReleaseResult`; reports go to ``spec.reports_dir``.

    Raises InputError (bad input, dirty tree, an existing X.Y.Z tag with other
    content), BuildFailed, PushFailed (the registry failed after retries) or
    VerificationFailed; in every case no tag was changed. ``password`` unlocks the
    signing key of ``spec.supply`` (default: ``$COSIGN_PASSWORD``); it is never stored.
    """
    out = log or sys.stderr
    staged = stage(spec, log=out, password=password)
    result = finish(staged, out)
    write_reports(result, spec.reports_dir)
    history.record("release", {"": staged.built}, name=spec.image, extra=result.model_dump(mode="json"))
    return result


@dataclass
class Staged:
    """A release built, pushed by digest to every destination and verified: everything but the tags."""

    plan: ReleasePlan
    built: BuildResult
    result: ReleaseResult
    clients: dict[str, registry.Client]
    started: float


def stage(spec: ReleaseSpec, *, log: IO[str] | None = None, password: str | None = None) -> Staged:
    """Build, push by digest and verify ``spec``; no tag is touched. VerificationFailed after writing the failed report."""
    out = log or sys.stderr
    t0 = time.monotonic()
    check_supply(spec.supply, password=password)
    with scratch_dir() as tmp:
        plan = prepare_release(spec, layout_dir=tmp / "oci", log=out, strict=True)
        for w in plan.warnings:
            out.write(f"warning: {w}\n")
        repro = _check_reproducible(plan, out) if spec.reproducible else Reproducibility()
        built = _build(plan, out)
        # the live view erases itself when the build succeeds: one line says what it did
        out.write(f"build: {built.steps_cached}/{built.steps_total} steps cached in {built.duration_seconds:.1f}s\n")
        index_digest = _push(plan, built, out)
        _push_extra(spec, index_digest, out)
    client = _client(spec, out)
    result = _describe(plan, built, index_digest, client)
    result.reproducibility = repro
    index_digest = _check_version_tag(plan, result, client)
    _check_other_destinations(plan, result, index_digest, out)
    if index_digest != result.built_index_digest:
        _push_extra(spec, index_digest, out)  # the reused index must be in every destination too
    result.index_digest = index_digest
    clients = {image: _client(spec, out, image) for image in spec.destinations}
    result.previous_tags = {t: client.digest_of(t) for t in plan.tags}
    result.previous_references = {f"{i}:{t}": c.digest_of(t) for i, c in clients.items() for t in plan.tags}

    if spec.verify == "none":
        out.write("verify: skipped (--verify none)\n")
    else:
        out.write(f"verify: {spec.image}@{index_digest}\n")
    result.verification = verify(spec, index_digest, log=out, client=client)
    if spec.verify == "none":
        result.warnings.append("--verify none: the images were not run before tagging")
    result.duration_seconds = round(time.monotonic() - t0, 1)
    failure = result.verification.failure()
    if failure is not None:
        fail(result, spec, f"verification failed: {failure}")
        raise VerificationFailed(
            f"release {spec.version} not tagged: verification failed on {failure}",
            f"nothing was tagged; the report is in {spec.reports_dir}/release.md",
        )
    _secure(spec, result, out, password)
    return Staged(plan, built, result, clients, t0)


def _secure(spec: ReleaseSpec, result: ReleaseResult, out: IO[str], password: str | None) -> None:
    """SBOMs, signature and attestations of the verified index, before any tag points at it (#17).

    Signed in the first destination (``--image``), where ``buildorch verify`` looks.
    """
    try:
        result.supply = secure(
            spec.image, str(result.index_digest), result.platform_digests, spec.supply, spec.reports_dir,
            password=password, log=out,
        )
    except BuildorchError as exc:
        fail(result, spec, f"supply chain: {first_line(exc)}")
        raise
    result.supply.provenance = "min" if spec.provenance == "false" and len(spec.platforms) == 1 else spec.provenance


def finish(staged: Staged, out: IO[str]) -> ReleaseResult:
    """Tag a staged release in every destination (all or none); the caller writes the reports and the history.

    Under the release lock of every destination: the tags to put back on a failure are
    read again there, so another release that tagged while this one verified is not undone.
    The tags move in a child process that finishes even if this one is killed (engine/registry_tags).
    """
    result, plan = staged.result, staged.plan
    images = list(staged.clients)
    with tagging_lock(images, out) as fds:
        main = staged.clients.get(plan.spec.image) or next(iter(staged.clients.values()))
        result.previous_tags = {t: main.digest_of(t) for t in plan.tags}
        result.previous_references = {f"{i}:{t}": c.digest_of(t) for i, c in staged.clients.items() for t in plan.tags}
        tag_all(plan, result, staged.clients, out, lock_fds=fds, journal=journal_path(images))
    staged.result.duration_seconds = round(time.monotonic() - staged.started, 1)
    return staged.result


def _client(spec: ReleaseSpec, log: IO[str] | None, image: str | None = None) -> registry.Client:
    return registry.Client(image or spec.image, Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds), log)


def _check_reproducible(plan: ReleasePlan, out: IO[str]) -> Reproducibility:
    """Two builds from nothing before the release's own; VerificationFailed (nothing pushed, nothing tagged) when they differ."""
    from buildorch.repro.check import check  # two throwaway builders: only with --reproducible

    found = check(plan.build, log=out)
    if not found.reproducible:
        raise VerificationFailed(
            f"release {plan.spec.version} not built: the image is not reproducible: {'; '.join(found.differences)}",
            "fix what buildorch check-reproducible names, or release without --reproducible",
        )
    out.write("check-reproducible: every platform's manifest digest matched\n")
    return Reproducibility(checked=True, reproducible=True)


def _build(plan: ReleasePlan, out: IO[str]) -> BuildResult:
    """``buildorch.builds.runner`` the plan, again on a transient registry failure (the rerun is cached)."""
    bplan = plan.build_plan or prepare(plan.build)
    backoff = Backoff(attempts=plan.spec.push_attempts, base=plan.spec.retry_base_seconds)

    def run() -> BuildResult:
        return run_plan(bplan, log=out)

    try:
        return with_retries(run, what="build", backoff=backoff, transient=transient_registry_failure, log=out)
    except BuildFailed as exc:
        if transient_registry_failure(exc):
            raise PushFailed(f"push failed after {attempts(backoff.attempts)}: {exc.message}", _PUSH_HINT) from exc
        raise
    except PushFailed as exc:
        raise PushFailed(f"push failed after {attempts(backoff.attempts)}: {exc.message}", _PUSH_HINT) from exc


# A build that failed talking to the registry (the cache export, a push), not in a Dockerfile step.
_REGISTRY_STEP = re.compile(
    r"failed to push|failed to do request|exporting cache|exporting to image|pushing|unexpected status from \w+ request", re.I
)


def transient_registry_failure(exc: Exception) -> bool:
    """Whether a failed build failed talking to the registry, for a reason that may pass (then it is rerun)."""
    text = " ".join([str(exc), *getattr(exc, "details", [])])
    return (isinstance(exc, PushFailed) or bool(_REGISTRY_STEP.search(text))) and is_transient(text)


_PUSH_HINT = "the registry refused or dropped the upload; nothing was tagged. Check it is up, then release again"


def _push(plan: ReleasePlan, built: BuildResult, out: IO[str]) -> str:
    """The pushed index digest: BuildKit pushed it, or the OCI layout is uploaded by digest here."""
    if plan.push_method == "buildkit":
        if not built.digest:
            raise PushFailed("the build pushed no image digest (no containerimage.digest in its metadata)")
        return built.digest
    assert plan.layout_dir is not None
    root = registry.layout_index(plan.layout_dir)
    out.write(f"push: uploading {root['digest']} to {plan.spec.image} by digest\n")
    with _push_errors(plan.spec, plan.spec.image):
        _client(plan.spec, out).push_layout(plan.layout_dir, root)
    return str(root["digest"])


def _push_extra(spec: ReleaseSpec, digest: str, out: IO[str]) -> None:
    """The same index, by digest, to every other ``--image`` (copied from the first: identical bytes, identical digest)."""
    source = _client(spec, out)
    for image in spec.images:
        out.write(f"push: copying {digest} to {image} by digest\n")
        with _push_errors(spec, image):
            _client(spec, out, image).copy_from(source, digest)


@contextlib.contextmanager
def _push_errors(spec: ReleaseSpec, image: str) -> Iterator[None]:
    try:
        yield
    except registry.RegistryError as exc:
        tried = f"after {attempts(spec.push_attempts)}" if exc.transient else "(not retried: the registry said no)"
        raise PushFailed(f"push to {image} failed {tried}: {exc.message}", exc.hint or _PUSH_HINT) from exc


def _describe(plan: ReleasePlan, built: BuildResult, index_digest: str, client: registry.Client) -> ReleaseResult:
    """The result so far, from what the registry holds under ``index_digest``."""
    spec = plan.spec
    platforms = platform_images(client, client.manifest_json(index_digest))
    return ReleaseResult(
        image=spec.image,
        images=spec.destinations,
        version=spec.version,
        tags=plan.tags,
        references=plan.references,
        index_digest=index_digest,
        built_index_digest=index_digest,
        platforms=platforms,
        build_time=plan.version.build_time,
        source_date_epoch=plan.version.source_date_epoch,
        revision=plan.git.revision,
        dirty=bool(plan.git.dirty_files),
        labels=plan.labels,
        push_method=plan.push_method,
        steps_cached=built.steps_cached,
        steps_total=built.steps_total,
        warnings=[*plan.warnings, *plan.tag_notes, *built.warnings],
    )


def platform_images(client: registry.Client, index: dict[str, Any]) -> dict[str, PlatformImage]:
    """Per platform of an index: manifest digest, layer bytes and the digest of its attestation manifest."""
    attestations = {
        (m.get("annotations") or {}).get("vnd.docker.reference.digest"): m["digest"]
        for m in index.get("manifests") or []
        if (m.get("annotations") or {}).get("vnd.docker.reference.type") == "attestation-manifest"
    }
    out = {}
    for p, digest in platform_digests(index).items():
        manifest = client.manifest_json(digest)
        size = sum(int(layer.get("size", 0)) for layer in manifest.get("layers") or [])
        out[p] = PlatformImage(digest=digest, size_bytes=size, attestation_digest=attestations.get(digest))
    return out


def _check_version_tag(plan: ReleasePlan, result: ReleaseResult, client: registry.Client) -> str:
    """The index to tag: the new one, or the existing X.Y.Z index when it holds the same images.

    An X.Y.Z tag on different content is refused unless ``force``.
    """
    tag = plan.semver.tag
    before = client.digest_of(tag)
    if before is None or before == result.index_digest:
        return str(result.index_digest)
    doc = client.manifest_json(before)
    old = platform_digests(doc) if doc.get("manifests") else {"?": before}
    if old == result.platform_digests:
        result.platforms = platform_images(client, doc)  # the attestations of the index that stays tagged
        result.warnings.append(
            f"{tag} already holds these images (index {before}; only the attestations differ): its tags stay on that index"
        )
        return before
    if plan.spec.force:
        result.warnings.append(f"--force: {tag} moves from {before} to different content")
        return str(result.index_digest)
    differ = sorted(p for p in set(old) | set(result.platform_digests) if old.get(p) != result.platform_digests.get(p))
    raise InputError(
        f"{plan.spec.image}:{tag} already exists with different content ({', '.join(differ)} differ): not moved",
        "release a new version, or pass --force to move the tag (the pushed index stays untagged)",
        details=[f"{p}: registry {old.get(p, '-')} vs new {result.platform_digests.get(p, '-')}" for p in differ],
    )


def _check_other_destinations(plan: ReleasePlan, result: ReleaseResult, index_digest: str, out: IO[str]) -> None:
    """The X.Y.Z rule in every other ``--image``: its tag may hold nothing or this index, else --force is needed."""
    tag = plan.semver.tag
    for image in plan.spec.images:
        before = _client(plan.spec, out, image).digest_of(tag)
        if before is None or before == index_digest:
            continue
        if not plan.spec.force:
            raise InputError(
                f"{image}:{tag} already exists with another index ({before}): not moved",
                "release a new version, or pass --force to move the tag (the pushed index stays untagged)",
            )
        result.warnings.append(f"--force: {image}:{tag} moves from {before} to {index_digest}")
