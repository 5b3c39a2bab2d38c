"""Moving a release's tags: every tag in every destination, all or none.

Reused by anything that tags a verified index (``release``, a bake release): ``tag_all``
moves the tags image by image with ``buildx imagetools create`` (retried) and, when one
image fails, puts back what it had moved in it and in the images before it
(``ReleaseResult.previous_references``) before raising PushFailed.
"""

from __future__ import annotations

import contextlib
from typing import IO

from buildorch.core.errors import BuildorchError, PushFailed
from buildorch.core.retry import Backoff, first_line, is_transient, with_retries
from buildorch.engine import buildx, registry
from buildorch.releases.models import ReleaseResult, ReleaseSpec
from buildorch.releases.plan import ReleasePlan
from buildorch.releases.report import write_reports


def tag_all(plan: ReleasePlan, result: ReleaseResult, clients: dict[str, registry.Client], out: IO[str]) -> None:
    """Tag ``result.index_digest`` in every destination of ``clients``, in order; all or none.

    When one destination fails (after retries), the tags already moved in it and in the
    destinations before it are put back (``result.previous_references``) and PushFailed says what could not be.
    """
    spec, digest = plan.spec, str(result.index_digest)
    backoff = Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds)
    done: list[str] = []
    for image, client in clients.items():
        try:
            move_tags(image, plan.references_of(image), digest, backoff, out)
        except BuildorchError as exc:
            problems = restore_tags(plan, result, {i: clients[i] for i in [*done, image]})
            fail(result, spec, f"tagging failed: {first_line(exc)}")
            raise PushFailed(
                f"tagging {image} failed after {attempts(backoff.attempts)}: {first_line(exc)}",
                "the verified index is pushed but untagged; release again once the registry is back",
                details=problems or ["no tag was changed"],
            ) from exc
        done.append(image)
        moved_to = {t: client.digest_of(t) for t in plan.tags}
        wrong = [t for t, d in moved_to.items() if d != digest]
        if wrong:
            raise PushFailed(
                f"after tagging, {image}:{', '.join(wrong)} do not point at {digest}", "another release may run at once"
            )


def restore_tags(plan: ReleasePlan, result: ReleaseResult, clients: dict[str, registry.Client]) -> list[str]:
    """Put the release's tags in each image of ``clients`` back where ``result.previous_references`` says; what could not be."""
    problems: list[str] = []
    for image, client in clients.items():
        before = {t: result.previous_references.get(f"{image}:{t}") for t in plan.tags}
        problems += [f"{image}:{p}" for p in restore(image, before, client)]
    return problems


def move_tags(image: str, references: list[str], digest: str, backoff: Backoff, out: IO[str]) -> None:
    """Point every one of ``references`` at ``image@digest``: one ``imagetools create``, retried when the failure may pass."""
    argv = ["buildx", "imagetools", "create", *[a for r in references for a in ("-t", r)], f"{image}@{digest}"]
    out.write(f"tag: {', '.join(r.rsplit(':', 1)[1] for r in references)} of {image} -> {digest}\n")

    def transient(exc: Exception) -> bool:
        return is_transient(" ".join([str(exc), *getattr(exc, "details", [])]))

    def create() -> str:
        return buildx.run(argv, what="imagetools create")

    with_retries(create, what="tag", backoff=backoff, transient=transient, log=out)


def restore(image: str, previous: dict[str, str | None], client: registry.Client) -> list[str]:
    """Put back tags that a failed ``imagetools create`` moved; say what could not be."""
    problems = []
    for tag, before in previous.items():
        try:
            now = client.digest_of(tag)
        except BuildorchError:
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


def fail(result: ReleaseResult, spec: ReleaseSpec, why: str) -> None:
    result.status, result.error = "failed", why
    with contextlib.suppress(OSError):  # the error being raised matters more than its report
        write_reports(result, spec.reports_dir)


def attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"
