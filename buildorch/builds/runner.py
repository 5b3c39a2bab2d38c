"""``build()``: run a planned build, show its progress, and return a typed result.

What is needed only once BuildKit runs (the progress parser and view, the failure
translator, the description of the image, the record) is imported after ``buildx build``
has started, while BuildKit works: 20-30 ms off every build's critical path, a tenth of
what buildorch adds to a fully cached 0.5 s build. So is what only some builds need
(a target's check, a push's registry probe, a farm's node inspection).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import time
from typing import IO, TYPE_CHECKING

from buildorch.builds import cache, image_lock, run_dir
from buildorch.builds.frontend import frontend_warning
from buildorch.builds.plan import BuildPlan, Invocation, plan_build
from buildorch.builds.spec import BuildResult, BuildSpec
from buildorch.core import dockerfile, references
from buildorch.core.errors import BuildFailed, BuildorchError, EngineError, InputError, PushFailed
from buildorch.engine import buildx

if TYPE_CHECKING:
    from buildorch.builds.display import Renderer
    from buildorch.core.retry import Backoff


def needs_store_check(spec: BuildSpec) -> bool:
    """Whether the default output depends on the containerd image store (one ``docker info``)."""
    return len(spec.platforms) > 1 and not (spec.push or spec.output or spec.load_per_platform)


def prepare(spec: BuildSpec) -> BuildPlan:
    """Plan ``spec`` against this engine (checks the image store only when it matters)."""
    from buildorch.engine.buildx_text import containerd_store, parse_buildx_inspect  # some builds only

    store = True
    if needs_store_check(spec):
        store = containerd_store(buildx.engine_info())
    driver = None
    if spec.push or spec.output:  # images that leave the machine: reproducible where the builder can (#24)
        driver = parse_buildx_inspect(buildx.buildx_inspect(spec.builder)).driver
    plan = plan_build(spec, containerd_store=store, driver=driver)
    with contextlib.suppress(dockerfile.DockerfileError):  # BuildKit will say what it refuses
        plan.warnings += dockerfile.read(spec.dockerfile_path).warnings  # duplicate stage names, empty continuation lines
    frontend = frontend_warning(spec.dockerfile_path)  # runs docker only for a file with a `# syntax=` line
    if frontend:
        plan.warnings.append(frontend)
    return plan


def build(spec: BuildSpec, *, renderer: Renderer | None = None, log: IO[str] | None = None) -> BuildResult:
    """Build ``spec`` and return a :class:`BuildResult`.

    Raises :class:`~buildorch.core.errors.BuildFailed` (with the failed step's last log
    lines), :class:`~buildorch.core.errors.PushFailed` or another BuildorchError.

    >>> from buildorch import BuildSpec, build          # doctest: +SKIP
    >>> r = build(BuildSpec(context="app", platforms=["linux/amd64", "linux/arm64"]))
    >>> r.steps_cached, r.steps_total, r.digest
    """
    plan = prepare(spec)
    return run_plan(plan, renderer=renderer, log=log)


def run_plan(plan: BuildPlan, *, renderer: Renderer | None = None, log: IO[str] | None = None) -> BuildResult:
    spec = plan.spec
    if spec.call and spec.call.partition(",")[0].strip().lower() != "build":
        raise InputError(
            f"call={spec.call!r} asks BuildKit instead of building",
            "use buildorch.builds.calls.run_call(prepare(spec)), as `buildorch build --call` does",
        )
    out = log or sys.stderr
    for w in plan.warnings:
        out.write(f"warning: {w}\n")
    if spec.target:
        from buildorch.builds.stages import confirm_target

        # BuildKit's own list of stages (0.2 s): the parser's answer was the fast path; this is the builder's.
        confirm_target(spec.context, spec.dockerfile, spec.target, spec.builder)
    t0 = time.monotonic()
    result = BuildResult(
        tags=plan.tags,
        platforms=spec.platforms,
        target=spec.target,
        build_args=plan.build_args,
        version=plan.version.version,
        build_time=plan.version.build_time,
        cache_from=plan.cache.cache_from,
        cache_to=cache.shown_cache_to(plan.cache),
        warnings=list(plan.warnings),
    )
    if plan.output == "push":
        _check_push_registries(plan.tags, out)
    # Only a build that names an image in the engine's store races another of the same name (image_lock's docstring).
    named = [t for inv in plan.invocations for t in inv.tags] if plan.output == "load" else []
    with run_dir.private_dir() as scratch, image_lock.images_locked(named, on_wait=out):
        if spec.metadata_file is None:  # buildx writes its metadata into this run's private directory
            for inv in plan.invocations:
                private = scratch / inv.metadata_file.name
                inv.argv = [str(private) if a == str(inv.metadata_file) else a for a in inv.argv]
                inv.metadata_file = private
        _run_staged(plan, result, renderer, out)
        if spec.builder or len(spec.platforms) > 1:
            from buildorch.builders.ops import nodes_for_build  # see explain_failure in _run_staged

            result.nodes = nodes_for_build(spec.builder, spec.platforms)
        result.duration_seconds = round(time.monotonic() - t0, 3)
        result.loaded = plan.output == "load"
        result.pushed = plan.output == "push"
        result.tags = [t for inv in plan.invocations for t in inv.tags]
        from buildorch.builds.describe import describe_images  # loaded during the build (_run_invocation)

        describe_images(plan, result)  # under the lock: the tag still names this build's image
    # Loaded while BuildKit works (_run_invocation): their pydantic models are not needed to start it.
    from buildorch.builds import history
    from buildorch.builds.cache_usage import remember_registry_cache

    if plan.cache.registry_ref:
        remember_registry_cache(plan.cache.registry_ref)
    history.record("build", {"": result})
    return result


def _run_staged(plan: BuildPlan, result: BuildResult, renderer: Renderer | None, out: IO[str]) -> None:
    """Stage the cache, run every invocation, then swap the new cache in (or drop it on failure)."""
    spec = plan.spec
    _stage_cache(plan, result, out)
    try:
        for inv in plan.invocations:
            try:
                _run_invocation(inv, spec, result, renderer, out)
            except BuildFailed as exc:
                if not _cache_export_failed(exc) or spec.cache.required:
                    raise
                # The image was built and exported; only the cache export broke (BuildKit
                # can lose a blob its live solver graph still refers to after a prune).
                # The build goes on without exporting the cache, as for any unusable cache.
                from buildorch.builds.failures import cache_export_warning

                warning = cache_export_warning(exc.message.split(": ", 1)[-1])
                out.write(f"warning: {warning}\n")
                result.warnings.append(warning)
                cache.discard(plan.cache)
                cache.mark_stale(plan.cache)
                plan.cache.staging_dir = None
                result.cache_to = plan.cache.cache_to = []
                inv.argv = _without_cache_export(inv.argv)
                _run_invocation(inv, spec, result, renderer, out)
    except BuildorchError as exc:
        cache.discard(plan.cache)  # the previous cache stays as it was
        # Imported here: builders/ loads tomllib and ssl, which a build that succeeds on
        # the default builder never needs (a cached build takes 0.4 s; every import shows).
        from buildorch.builders.ops import explain_failure

        named = explain_failure(spec.builder, spec.platforms, exc)  # a node that did not answer, by name
        if named is exc:
            raise
        raise named from exc
    except BaseException:
        cache.discard(plan.cache)
        raise
    cache.commit(plan.cache)


def _check_push_registries(tags: list[str], out: IO[str], backoff: Backoff | None = None) -> None:
    """Before a ``--push`` build: every registry it pushes to answers, or PushFailed (exit 4) with nothing built.

    Without this, a registry that is down fails the build after it ran, blamed on whatever
    step touched the registry first (often "importing cache manifest"). A registry that
    does not answer is tried again as release does (a restarting registry comes back).
    """
    from buildorch.core.retry import Backoff, with_retries
    from buildorch.engine import registry  # the HTTP client: for pushes only (see frontend.py)

    # Docker Hub is not probed (its API host is not the name in the tag, and it is seldom down).
    hosts = sorted({h for h in (references.registry_of(t) for t in tags) if h and h not in ("docker.io", "index.docker.io")})

    def probe(host: str) -> str:
        ok, why = registry.reachable(host, timeout=3.0)
        if not ok:
            raise ConnectionError(why)
        return why

    for host in hosts:
        try:
            with_retries(functools.partial(probe, host), what=f"reach {host}", backoff=backoff or Backoff(attempts=3, base=1.0),
                         transient=lambda exc: True, log=out)  # fmt: skip
        except ConnectionError as exc:
            raise PushFailed(
                f"registry {host} does not answer ({exc}): nothing was built",
                "start it, or check the address in --tag; the build pushes there",
            ) from None


def _stage_cache(plan: BuildPlan, result: BuildResult, out: IO[str]) -> None:
    """Take the cache's locks and seed its staging directory; adjust the argv to what the store decided.

    The import names the generation the live link points at now, not the link: another
    build may swap the link while BuildKit still reads blobs from this one. When another
    build holds the export lock, this one builds without exporting.
    """
    c = plan.cache
    staging = c.staging_dir
    for w in cache.stage(c):
        out.write(f"warning: {w}\n")
        result.warnings.append(w)
    if c.local_dir is None:
        return
    pinned = cache.pinned_import(c)
    swaps: dict[str, str | None] = dict([pinned]) if pinned else {}
    if staging is not None and c.staging_dir is None:
        swaps[cache.local_to(staging, c.mode)] = None
        c.cache_to = [x for x in c.cache_to if swaps.get(x, x) is not None]
        result.cache_to = cache.shown_cache_to(c)
    for inv in plan.invocations:
        inv.argv = _swapped(inv.argv, swaps)


def _swapped(argv: list[str], swaps: dict[str, str | None]) -> list[str]:
    """``argv`` with each flag value in ``swaps`` replaced, or dropped with its flag when mapped to None."""
    out: list[str] = []
    for arg in argv:
        if arg in swaps:
            new = swaps[arg]
            if new is None:
                out.pop()  # its --cache-to
                continue
            arg = new
        out.append(arg)
    return out


def _renderer(spec: BuildSpec, inv: Invocation, out: IO[str]) -> Renderer:
    """The progress view of one invocation, headed by what it builds: ``build app:1.2.3 · target runtime``."""
    from buildorch.builds.display import make_renderer

    what = inv.tags[0] if inv.tags else (spec.context.resolve().name or str(spec.context))
    title = f"build {what}" + (f" · target {spec.target}" if spec.target else "")
    return make_renderer(spec.progress, out, title=title, platforms=inv.platforms)


def _cache_export_failed(exc: BuildFailed) -> bool:
    from buildorch.builds.failures import is_cache_export  # loaded with the build (_run_invocation)

    return is_cache_export(exc.step)


def _without_cache_export(argv: list[str]) -> list[str]:
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--cache-to":
            skip = True
        else:
            out.append(arg)
    return out


def _run_invocation(
    inv: Invocation, spec: BuildSpec, result: BuildResult, renderer: Renderer | None, out: IO[str]
) -> None:
    started = time.time()  # the tracker's start: see ProgressTracker.reused
    running = buildx.stream(inv.argv, what="docker buildx build")
    # BuildKit is at work from here: the progress parser and the view (rich, for a live one) load
    # meanwhile, off the build's critical path, and so do the build record's models (history: 15-20 ms of pydantic
    # schemas) and python-on-whales for what reads a pushed image after it. A loaded image is
    # read from the containerd store (describe.py): importing python-on-whales then would only
    # take CPU from BuildKit (a fully cached build is over in well under a second).
    try:
        from buildorch.builds import cache_usage, describe, history  # noqa: F401  (used by run_plan after the build)
        from buildorch.builds.display import shown_failure
        from buildorch.builds.failures import translate_failure
        from buildorch.builds.progress import ProgressTracker

        tracker = ProgressTracker(started)
        renderer = renderer or _renderer(spec, inv, out)
        if "--load" not in inv.argv:
            buildx.warm()
    except BaseException:
        running.close()
        raise
    try:
        for src, raw in running:
            text = raw.decode("utf-8", errors="replace")
            if src == "stderr":
                renderer.update(tracker, tracker.feed(text), text)
    except EngineError:
        renderer.close(tracker)
        raise
    except BuildorchError as exc:
        tracker.finish()
        renderer.close(tracker)
        raise shown_failure(translate_failure(tracker, exc), tracker, renderer) from exc
    except BaseException:  # Ctrl-C, or a bug: the view stops drawing either way
        renderer.close(tracker)
        raise
    tracker.finish()
    renderer.close(tracker)
    result.steps_total += tracker.steps_total
    result.steps_cached += tracker.steps_cached
    result.steps.extend(tracker.step_results())
    result.warnings.extend(tracker.warnings)
    try:
        meta = json.loads(inv.metadata_file.read_text())
    except (OSError, ValueError):
        meta = {}
    result.metadata = meta if len(result.metadata) == 0 else {**result.metadata, **meta}
    result.digest = meta.get("containerimage.digest") or result.digest
