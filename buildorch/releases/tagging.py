"""Moving a release's tags: every tag in every destination, all or none, even when the release is killed.

Reused by anything that tags a verified index (``release``, a bake release, ``merge``):
``move_tags``, under ``tagging_lock``, hands the moves of every destination to
:mod:`buildorch.engine.registry_tags`, whose child process moves them with the registry API
(retried) and, when one image fails, puts back what it had moved in it and in the images
before it (``ReleaseResult.previous_references``); then PushFailed says what could not be.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from buildorch.core.errors import PushFailed
from buildorch.core.retry import Backoff
from buildorch.engine import registry, registry_tags
from buildorch.releases.lock import journal_path, release_lock
from buildorch.releases.models import ReleaseResult, ReleaseSpec
from buildorch.releases.plan import ReleasePlan
from buildorch.releases.report import write_reports


def tag_all(
    plan: ReleasePlan, result: ReleaseResult, clients: dict[str, registry.Client], out: IO[str],
    *, lock_fds: tuple[int, ...] = (), journal: Path | None = None,
) -> None:  # fmt: skip
    """Tag ``result.index_digest`` in every destination of ``clients``; all or none.

    Call it under the release lock of every destination (``lock_fds``: the child keeps it).
    When one destination fails (after retries), the tags already moved in it and in the
    destinations before it are put back (``result.previous_references``) and PushFailed says what could not be.
    """
    spec = plan.spec
    move_tags(
        str(result.index_digest), plan.tags, clients, result.previous_references,
        Backoff(attempts=spec.push_attempts, base=spec.retry_base_seconds), out, lock_fds=lock_fds, journal=journal,
        untagged="the verified index is pushed but untagged; release again once the registry is back",
        on_failure=lambda why: fail(result, spec, why),
    )  # fmt: skip


def move_tags(
    digest: str, tags: list[str], clients: dict[str, registry.Client], previous_references: dict[str, str | None],
    backoff: Backoff, out: IO[str], *, lock_fds: tuple[int, ...] = (), journal: Path | None = None,
    untagged: str = "the index is pushed but untagged", on_failure: Callable[[str], None] = lambda why: None,
    another: str = "another release may run at once", command: str = "release",
) -> None:  # fmt: skip
    """Point ``tags`` of every image of ``clients`` at ``digest`` through engine/registry_tags: all or none, kill-safe.

    ``release`` and ``merge`` both tag this way, under :func:`tagging_lock` (``lock_fds``).
    ``previous_references`` (``IMAGE:TAG`` -> digest or None), read inside the lock, is what a
    failure puts back; ``on_failure`` hears why before PushFailed (exit 4) is raised, with
    ``untagged`` as its hint when the registry gave none. ``command`` names the caller in the
    journal, for the message of whoever completes it after a kill.
    """
    moves = [
        registry_tags.Move(image, digest, tags, {t: previous_references.get(f"{image}:{t}") for t in tags}) for image in clients
    ]
    for image in clients:
        out.write(f"tag: {', '.join(tags)} of {image} -> {digest}\n")
    try:
        registry_tags.commit(moves, journal or journal_path(list(clients)), backoff, out, keep_fds=lock_fds, command=command)
    except registry_tags.TagsNotMoved as exc:
        on_failure(f"tagging failed: {exc.message}")
        raise PushFailed(
            f"tagging {exc.image} failed after {attempts(backoff.attempts)}: {exc.message}",
            exc.hint or untagged,  # the registry's own hint first: buildorch login for a refusal, a full disk
            details=exc.details or ["no tag was changed"],
        ) from exc
    for image, client in clients.items():
        moved_to = {t: client.digest_of(t) for t in tags}
        wrong = [t for t, d in moved_to.items() if d != digest]
        if wrong:
            raise PushFailed(f"after tagging, {image}:{', '.join(wrong)} do not point at {digest}", another)


@contextlib.contextmanager
def tagging_lock(images: list[str], out: IO[str]) -> Iterator[tuple[int, ...]]:
    """The release lock of ``images``, with the tagging of a killed release or merge of them completed first.

    Yields the lock's file descriptors for :func:`move_tags`. Read the tags to put back inside it.
    """
    with release_lock(images, out) as fds:
        # one whose tagging child died too (a machine that went down) left its journal: roll it forward
        registry_tags.recover(journal_path(images), out)
        yield fds


def restore_tags(plan: ReleasePlan, result: ReleaseResult, clients: dict[str, registry.Client]) -> list[str]:
    """Put the release's tags in each image of ``clients`` back where ``result.previous_references`` says; what could not be."""
    problems: list[str] = []
    for image, client in clients.items():
        before = {t: result.previous_references.get(f"{image}:{t}") for t in plan.tags}
        problems += restore(image, before, client)
    return problems


def restore(image: str, previous: dict[str, str | None], client: registry.Client) -> list[str]:
    """Put back tags that a failed tagging moved (``IMAGE:TAG: what happened`` per tag that had moved)."""
    return registry_tags.restore(client, image, previous)


def fail(result: ReleaseResult, spec: ReleaseSpec, why: str) -> None:
    result.status, result.error = "failed", why
    with contextlib.suppress(OSError):  # the error being raised matters more than its report
        write_reports(result, spec.reports_dir)


def attempts(n: int) -> str:
    return f"{n} attempt{'s' if n != 1 else ''}"
