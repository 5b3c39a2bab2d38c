"""``release()``: build every platform, push by digest, verify what the registry holds, then tag it.

No tag ever points at an image that was not verified: the index is pushed
without a tag, pulled back by digest and run on every platform, and only then
tagged with ``docker buildx imagetools create`` (one call, several ``-t``).
A failure before that leaves every tag as it was. Example::

    from buildorch import ReleaseSpec, release
    result = release(ReleaseSpec(version="1.2.3", image="localhost:5000/team/app", context="app"))
    print(result.index_digest, result.platform_digests, result.tags)
"""

from __future__ import annotations

import contextlib
import re
import sys
import tempfile
import time
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
from buildorch.releases.models import PlatformImage, PushMethod, ReleaseResult, ReleaseSpec, Reproducibility
from buildorch.releases.plan import ReleasePlan, check_git, plan_release
from buildorch.releases.report import write_reports
from buildorch.releases.verify import verify

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
    client = _client(spec, log)
    try:
        existing: list[str] | None = client.tags()
    except registry.RegistryError as exc:
        if not exc.transient:
            raise InputError(f"cannot read the tags of {spec.image}: {exc.message}", "check the image name and registry") from exc
        if strict:
            raise PushFailed(f"the registry of {spec.image} does not answer: {exc.message}", _PUSH_HINT) from exc
        existing = None
    plan = plan_release(spec, existing_tags=existing, push_method=push_method(spec.builder), git=git, layout_dir=layout_dir)
    plan.build_plan = prepare(plan.build)
    return plan


def release(spec: ReleaseSpec, *, log: IO[str] | None = None) -> ReleaseResult:
    """Release ``spec`` and return a :class:`ReleaseResult`; reports go to ``spec.reports_dir``.

    Raises InputError (bad input, dirty tree, an existing X.Y.Z tag with other
    content), BuildFailed, PushFailed (the registry failed after retries) or
    VerificationFailed; in every case no tag was changed.
    """
    out = log or sys.stderr
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="buildorch-release-") as tmp:
        plan = prepare_release(spec, layout_dir=Path(tmp) / "oci", log=out, strict=True)
        for w in plan.warnings:
            out.write(f"warning: {w}\n")
        repro = _check_reproducible(plan, out) if spec.reproducible else Reproducibility()
        built = _build(plan, out)
        # the live view erases itself when the build succeeds: one line says what it did
        out.write(f"build: {built.steps_cached}/{built.steps_total} steps cached in {built.duration_seconds:.1f}s\n")
        index_digest = _push(plan, built, out)
    result = _describe(plan, built, index_digest)
    result.reproducibility = repro
    client = _client(spec, out)
    index_digest = _check_version_tag(plan, result, client)
    result.index_digest = index_digest
    result.previous_tags = {t: client.digest_of(t) for t in plan.tags}

    out.write(f"verify: {spec.image}@{index_digest}\n")
    result.verification = verify(spec, index_digest, log=out)
    result.duration_seconds = round(time.monotonic() - t0, 1)
    failure = result.verification.failure()
    if failure is not None:
        _fail(result, spec, f"verification failed: {failure}")
        raise VerificationFailed(
            f"release {spec.version} not tagged: verification failed on {failure}",
            f"nothing was tagged; the report is in {spec.reports_dir}/release.md",
        )
    _tag(plan, result, client, out)
    result.duration_seconds = round(time.monotonic() - t0, 1)
    write_reports(result, spec.reports_dir)
    history.record("release", {"": built}, name=spec.image, extra=result.model_dump(mode="json"))
    return result


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


def _client(spec: ReleaseSpec, log: IO[str] | None) -> registry.Client:
    return registry.Client(spec.image, Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds), log)


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
            raise PushFailed(f"push failed after {_attempts(backoff.attempts)}: {exc.message}", _PUSH_HINT) from exc
        raise
    except PushFailed as exc:
        raise PushFailed(f"push failed after {_attempts(backoff.attempts)}: {exc.message}", _PUSH_HINT) from exc


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
    try:
        _client(plan.spec, out).push_layout(plan.layout_dir, root)
    except registry.RegistryError as exc:
        tried = f"after {_attempts(plan.spec.push_attempts)}" if exc.transient else "(not retried: the registry said no)"
        raise PushFailed(f"push to {plan.spec.image} failed {tried}: {exc.message}", _PUSH_HINT) from exc
    return str(root["digest"])


def _describe(plan: ReleasePlan, built: BuildResult, index_digest: str) -> ReleaseResult:
    """The result so far, from what the registry holds under ``index_digest``."""
    spec = plan.spec
    platforms = platform_images(spec.image, buildx.imagetools_raw(f"{spec.image}@{index_digest}"))
    return ReleaseResult(
        image=spec.image,
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


def platform_images(image: str, index: dict[str, Any]) -> dict[str, PlatformImage]:
    """Per platform of an index: manifest digest, layer bytes and the digest of its attestation manifest."""
    attestations = {
        (m.get("annotations") or {}).get("vnd.docker.reference.digest"): m["digest"]
        for m in index.get("manifests") or []
        if (m.get("annotations") or {}).get("vnd.docker.reference.type") == "attestation-manifest"
    }
    out = {}
    for p, digest in platform_digests(index).items():
        manifest = buildx.imagetools_raw(f"{image}@{digest}")
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
    doc = buildx.imagetools_raw(f"{plan.spec.image}@{before}")
    old = platform_digests(doc) if doc.get("manifests") else {"?": before}
    if old == result.platform_digests:
        result.platforms = platform_images(plan.spec.image, doc)  # the attestations of the index that stays tagged
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


def _tag(plan: ReleasePlan, result: ReleaseResult, client: registry.Client, out: IO[str]) -> None:
    """One ``imagetools create`` with every tag; retried; on failure, tags it moved are put back."""
    spec, digest = plan.spec, str(result.index_digest)
    argv = ["buildx", "imagetools", "create", *[a for r in plan.references for a in ("-t", r)], f"{spec.image}@{digest}"]
    out.write(f"tag: {', '.join(plan.tags)} -> {digest}\n")
    backoff = Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds)

    def transient(exc: Exception) -> bool:
        return is_transient(" ".join([str(exc), *getattr(exc, "details", [])]))

    def create() -> str:
        return buildx.run(argv, what="imagetools create")

    try:
        with_retries(create, what="tag", backoff=backoff, transient=transient, log=out)
    except BuildorchError as exc:
        problems = _restore(spec.image, result.previous_tags, client)
        _fail(result, spec, f"tagging failed: {first_line(exc)}")
        raise PushFailed(
            f"tagging {spec.image} failed after {_attempts(backoff.attempts)}: {first_line(exc)}",
            "the verified index is pushed but untagged; release again once the registry is back",
            details=problems or ["no tag was changed"],
        ) from exc
    moved = {t: client.digest_of(t) for t in plan.tags}
    wrong = [t for t, d in moved.items() if d != digest]
    if wrong:
        raise PushFailed(f"after tagging, {', '.join(wrong)} do not point at {digest}", "another release may run at once")


def _restore(image: str, previous: dict[str, str | None], client: registry.Client) -> list[str]:
    """Put back tags that a failed ``imagetools create`` moved; say what could not be."""
    problems = []
    for tag, before in previous.items():
        try:
            now = client.digest_of(tag)
        except registry.RegistryError:
            problems.append(f"{tag}: could not be read back (registry down?); it pointed at {before or 'nothing'}")
            continue
        if now == before:
            continue
        if before is None:
            problems.append(f"{tag}: created and cannot be removed through the registry API (it points at the verified index)")
            continue
        try:
            buildx.run(["buildx", "imagetools", "create", "-t", f"{image}:{tag}", f"{image}@{before}"], what="restore tag")
            problems.append(f"{tag}: moved back to {before}")
        except BuildorchError as exc:
            problems.append(f"{tag}: could not be moved back to {before}: {first_line(exc)}")
    return problems


def _fail(result: ReleaseResult, spec: ReleaseSpec, why: str) -> None:
    result.status, result.error = "failed", why
    with contextlib.suppress(OSError):  # the error being raised matters more than its report
        write_reports(result, spec.reports_dir)


def _attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"
