"""One failed ``docker buildx build`` or ``bake``, told as one line that says what to do.

Shared by :mod:`buildorch.builds.runner` and :mod:`buildorch.bakes.runner`: the
tracker that read the progress knows which step failed and how to name it (a bake
tracker names its target too); everything else is decided here, once.
"""

from __future__ import annotations

import re
import shlex

from buildorch.builds.progress import ProgressTracker
from buildorch.builds.rows import fold
from buildorch.core.errors import BuildFailed, BuildorchError, InputError, PushFailed

# What buildx and BuildKit print when the registry, not a step, failed the build.
PUSH_FAILURE = re.compile(r"failed to push|failed to do request|pushing|push access denied|server gave HTTP response", re.I)
STEP_HINT = "fix the step, or debug its stage: buildorch debug CONTEXT --target STAGE"
CRASH_HINT = "a buildx bug: try another buildx version, or simplify the bake"
# buildx 0.17+ asks before a build or bake reads or writes a path outside the current directory.
_ENTITLEMENT = re.compile(r'additional privileges requested: pass (?:"--allow=([^"]+)"|--allow=(\S+))')
# BuildKit's vertex for a --cache-to: "exporting cache to client directory", "... to registry".
CACHE_EXPORT_STEP = "exporting cache"


def is_cache_export(step: str | None) -> bool:
    """Whether ``step`` (a step name as :func:`translate_failure` gives it) is BuildKit's cache export.

    When only that failed, the image was built and exported: build and bake then run
    again without exporting the cache (a broken engine record, a blob lost to a prune).
    """
    return bool(step and step.startswith(CACHE_EXPORT_STEP))


def cache_export_warning(why: str, again: str = "built") -> str:
    """The warning of a build or bake that went on without exporting its cache after the export failed."""
    return f"cache export failed ({why}); {again} again without exporting the cache"


def translate_failure(tracker: ProgressTracker, exc: BuildorchError) -> BuildorchError:
    """The error to raise for a build that ended with ``exc``, from what its progress showed.

    A failed step: its name, exit code and last log lines (``BuildFailed``, with ``step`` set).
    No failed step: buildx crashing, the registry refusing a push (``PushFailed``), or
    buildx's closing ``ERROR:`` line.
    """
    failed = tracker.failed()
    summary = tracker.error_summary() or exc.message
    if failed is None:
        panic = next((m for m in tracker.messages if m.startswith("panic:")), None)
        if panic:  # buildx itself crashed (0.13.1 does on a bake target: context with an empty result)
            return BuildFailed(f"docker buildx crashed: {panic}", CRASH_HINT, details=tracker.messages[-5:])
        wanted = _ENTITLEMENT.search(summary)
        if wanted:
            grant = wanted.group(1) or wanted.group(2)
            return InputError(
                f"{tracker.what} needs the entitlement {grant} (a path outside the current directory)",
                f"grant it with --allow {shlex.quote(grant)}, or run from a directory that holds the paths",
            )
        if PUSH_FAILURE.search(summary):
            return PushFailed(f"push failed: {summary}", "is the registry up and does it accept pushes?")
        return BuildFailed(f"{tracker.what} failed: {summary}", details=tracker.messages[-20:])
    name = tracker.step_name(failed)
    if name.startswith(("exporting to image", "pushing")) and PUSH_FAILURE.search(failed.error or ""):
        # the registry failed the push (build --push), not a step of the Dockerfile: exit 4, not "fix the step"
        return PushFailed(f"push failed: {failed.error}", "is the registry up and does it accept pushes?")
    told = fold(name)  # cache mounts and line continuations say nothing about what failed
    short = told if len(told) <= 140 else told[:137] + "..."
    code = re.search(r"exit code: (\d+)", failed.error or "")
    where = f" (exit code {code.group(1)})" if code else ""
    # "process ... did not complete successfully" only repeats the command line.
    why = "" if "did not complete successfully" in (failed.error or "") else f": {failed.error}"
    err = BuildFailed(f"{tracker.step_owner(failed)}step {short} failed{where}{why}", STEP_HINT, details=tracker.log_tail(failed))
    err.step = name
    return err
