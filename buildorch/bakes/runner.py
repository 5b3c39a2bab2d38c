"""``bake()``: run a planned bake, show its progress, and return one typed result per target.

The plan (``buildorch.bakes.plan``) says what runs; here its resolved definition
is written to a private file (``mkstemp``, removed afterwards) and baked with
``--progress rawjson --metadata-file``. python-on-whales' ``bake()`` returns
only the printed config (its issue #504), so results come from the metadata
file (one key per target) and the progress stream. Planning writes nothing; the
caches are created (and a damaged one set aside) here, just before the bake.

What is needed only once buildx runs (the progress tracker and view, the failure
translator, the fallback, the description of images, the record) is imported after
``docker buildx bake`` has started, while it works (:class:`_View`), as a build's runner does.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from buildorch.bakes.models import BakeSpec, as_csv
from buildorch.bakes.plan import BakePlan, plan_bake
from buildorch.builds import cache
from buildorch.builds.spec import BuildResult
from buildorch.core.errors import BuildorchError, EngineError, InputError
from buildorch.core.oci import platform_digests
from buildorch.engine import buildx

if TYPE_CHECKING:
    from buildorch.bakes.progress import BakeTracker
    from buildorch.builds.display import Renderer

__all__ = ["BakePlan", "BakeSpec", "bake", "plan_bake", "run_plan"]


def bake(spec: BakeSpec, *, renderer: Renderer | None = None, log: IO[str] | None = None) -> dict[str, BuildResult]:
    """Bake ``spec`` and return one :class:`BuildResult` per target.

    >>> from buildorch.bakes.runner import bake                # doctest: +SKIP
    >>> from buildorch.bakes.fallback import drop_cache_export, failed_cache_exports
from buildorch.bakes.models import BakeSpec, as_csv
    >>> results = bake(BakeSpec(files=["bakefiles/docker-bake.hcl"], targets=["default"], version="1.2.3"))
    >>> {name: (r.steps_cached, r.steps_total) for name, r in results.items()}
    """
    return run_plan(plan_bake(spec), renderer=renderer, log=log)


def run_plan(plan: BakePlan, *, renderer: Renderer | None = None, log: IO[str] | None = None) -> dict[str, BuildResult]:
    out = log or sys.stderr
    for w in plan.warnings:
        out.write(f"warning: {w}\n")
    names = list(plan.definition.target)
    platforms = sorted({p for t in plan.definition.target.values() for p in t.platforms})
    caches = [tp.cache for tp in plan.targets.values() if tp.cache is not None]
    for name, tp in plan.targets.items():
        if tp.cache is not None:
            _stage(plan, name, tp.cache, out)
    t0 = time.monotonic()
    while True:  # again only when some targets' cache export failed: each round drops at least one export
        view = _View(plan, names, platforms, renderer, out)
        try:
            meta = _run_once(plan, view)
            break
        except EngineError:
            _abandon(caches, *view.made())
            raise
        except BuildorchError as exc:
            from buildorch.bakes.fallback import drop_cache_export, failed_cache_exports
            from buildorch.builds.display import shown_failure
            from buildorch.builds.failures import translate_failure

            tracker, shown = view.made()
            failed = failed_cache_exports(tracker)
            if not failed or plan.spec.cache_required or set(failed) & set(plan.fallbacks):
                _abandon(caches, tracker, shown)
                raise shown_failure(translate_failure(tracker, exc), tracker, shown) from exc
            tracker.finish()
            shown.close(tracker)
            for name, why in failed.items():
                out.write(f"warning: {drop_cache_export(plan, name, why)}\n")
        except BaseException:
            _abandon(caches, *view.made())
            raise
    tracker, shown = view.made()
    tracker.finish()
    shown.close(tracker)
    for c in caches:
        cache.commit(c)
    elapsed = round(time.monotonic() - t0, 3)
    results = {name: target_result(plan, name, tracker, meta.get(name) or {}, elapsed) for name in plan.definition.target}
    from buildorch.builds import history  # loaded while buildx ran (_run_once)

    history.record("bake", results)
    return results


class _View:
    """One bake run's progress tracker and view, made once ``docker buildx bake`` has started.

    Their modules (and the failure translator, the fallback, the image description and the
    record, needed after the run) load while buildx works: 20-30 ms off a fully cached bake's
    start. A run that fails before buildx started makes them then, to report it.
    """

    def __init__(self, plan: BakePlan, names: list[str], platforms: list[str], renderer: Renderer | None, out: IO[str]):
        self.plan, self.names, self.platforms, self.renderer, self.out = plan, names, platforms, renderer, out
        self.pair: tuple[BakeTracker, Renderer] | None = None

    def made(self) -> tuple[BakeTracker, Renderer]:
        if self.pair is None:
            from buildorch.bakes import fallback  # noqa: F401  (what follows the run: see the class docstring)
            from buildorch.bakes.progress import BakeTracker
            from buildorch.builds import describe, failures, history  # noqa: F401
            from buildorch.builds.display import make_renderer

            targets = self.plan.definition.target
            tracker = BakeTracker(self.names, platforms={n: list(t.platforms) for n, t in targets.items()})
            shown = self.renderer or make_renderer(
                self.plan.spec.progress, self.out, title=f"bake {' '.join(self.names)}", platforms=self.platforms
            )
            self.pair = (tracker, shown)
        return self.pair


def _stage(plan: BakePlan, name: str, c: cache.CachePlan, out: IO[str]) -> None:
    """Create the target's cache directory, set a damaged one aside, take its locks (the plan only said so).

    When another build or bake holds the cache's export lock, this target imports the
    cache but does not export it: its ``cache-to`` leaves the definition, as ``build``
    drops its ``--cache-to`` (an export into a staging directory nobody swaps in would be left over).
    The import names the generation the live link points at now, as a build's does: another
    build or bake may swap the link while BuildKit still reads this one's blobs.
    """
    staged = c.staging_dir
    for w in cache.stage(c):
        out.write(f"warning: target {name}: {w}\n")
        c.warnings.append(w)
    target = plan.definition.target[name]
    if staged is not None and c.staging_dir is None:
        c.cache_to = []
        target.cache_to = []
    pinned = cache.pinned_import(c)
    if pinned:  # what runs; the result shows the cache itself (target_result)
        target.cache_from = [pinned[1] if x == pinned[0] else x for x in target.cache_from]


def _run_once(plan: BakePlan, view: _View) -> dict[str, Any]:
    """One ``docker buildx bake`` of the definition as it stands; its metadata file's content."""
    with run_files(plan) as (definition_file, metadata_file):
        plan.ran = plan.argv(definition_file, metadata_file, allow=entitlements(plan))
        # The definition's paths are relative to the current directory, as --print gave them
        # (newer buildx rebases them on the bake file's directory when this is set).
        env = {"BUILDX_BAKE_FILE_RELATIVE_PATHS": "false"}
        running = buildx.stream(plan.ran, what="docker buildx bake", env=env)
        try:
            tracker, shown = view.made()
        except BaseException:
            running.close()
            raise
        for src, raw in running:
            text = raw.decode("utf-8", errors="replace")
            if src == "stderr":
                shown.update(tracker, tracker.feed(text), text)
        return _read_metadata(Path(metadata_file))


def entitlements(plan: BakePlan) -> list[str]:
    """Directories to grant with ``--allow fs=`` (buildx 0.17+ has the flag and asks for it; 0.13 has neither)."""
    dirs = plan.cache_dirs_outside()
    if not dirs and not plan.spec.allow:
        return []
    if buildx.buildx_release() < (0, 17):
        if plan.spec.allow:
            raise InputError("bake --allow needs buildx 0.17 or newer", "drop --allow: this buildx asks for no entitlement")
        return []
    return dirs


@contextlib.contextmanager
def run_files(plan: BakePlan) -> Iterator[tuple[str, str]]:
    """The definition file (private, ``mkstemp``) and the metadata file of one run; removed afterwards.

    A ``--metadata-file`` the user asked for is kept.
    """
    made: list[str] = []
    try:
        fd, definition_file = tempfile.mkstemp(prefix="buildorch-bake-", suffix=".json")
        made.append(definition_file)
        with os.fdopen(fd, "w") as f:
            f.write(plan.definition_file())
        if plan.metadata_file is not None:
            metadata_file = str(plan.metadata_file)
        else:
            fd, metadata_file = tempfile.mkstemp(prefix="buildorch-bake-metadata-", suffix=".json")
            os.close(fd)
            made.append(metadata_file)
        yield definition_file, metadata_file
    finally:
        for name in made:
            with contextlib.suppress(OSError):
                os.unlink(name)


def _read_metadata(path: Path) -> dict[str, Any]:
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def _abandon(caches: list[cache.CachePlan], tracker: BakeTracker, shown: Renderer) -> None:
    tracker.finish()
    shown.close(tracker)
    for c in caches:
        cache.discard(c)  # every previous cache stays as it was


def target_result(plan: BakePlan, name: str, tracker: BakeTracker, meta: dict[str, Any], elapsed: float) -> BuildResult:
    """One target's result, from the definition that ran, its progress and its metadata entry."""
    t = plan.definition.target[name]
    c = tp.cache if (tp := plan.targets.get(name)) is not None else None
    args = {k: v for k, v in t.args.items() if v is not None}
    steps = tracker.view(name)
    result = BuildResult(
        tags=list(t.tags),
        platforms=list(t.platforms),
        target=t.target,
        build_args=args,
        version=args.get("VERSION", plan.version.version),
        build_time=args.get("BUILD_TIME", plan.version.build_time),
        digest=meta.get("containerimage.digest"),
        pushed=t.pushes,
        # the docker driver stores an image with no output given (metadata then names it)
        loaded=t.loads or (not t.output and "image.name" in meta),
        steps_total=steps.steps_total,
        steps_cached=steps.steps_cached,
        steps=steps.step_results(),
        duration_seconds=tracker.span(name) or elapsed,
        # the caches buildorch made are shown as such: the live cache, not its generation or this run's staging
        cache_from=list(c.cache_from) if c is not None else [as_csv(x) for x in t.cache_from],
        cache_to=cache.shown_cache_to(c) if c is not None else [as_csv(x) for x in t.cache_to],
        warnings=[*_cache_warnings(plan, name), *([plan.fallbacks[name]] if name in plan.fallbacks else []), *tracker.warnings],
        command=["docker", *(plan.ran or plan.argv())],
        metadata=meta,
    )
    if result.pushed and result.tags:
        result.platform_digests = platform_digests(buildx.imagetools_raw(result.tags[0]))
    if result.loaded and result.tags:
        from buildorch.builds.describe import describe_loaded  # loaded while buildx ran (_View)

        describe_loaded(result)  # as a build's: from the containerd store, without `docker image inspect`
    return result


def _cache_warnings(plan: BakePlan, name: str) -> list[str]:
    tp = plan.targets.get(name)
    return list(tp.cache.warnings) if tp is not None and tp.cache is not None else []
