"""A bake that failed only in some targets' cache export goes on without those exports, as ``build`` does.

BuildKit can fail a cache export after the image was built and exported: a cache
record whose snapshot a killed build left gone ("failed to commit X ... snapshot X
does not exist"), a blob lost to a prune, a destination that cannot be written.
bake runs its targets in one buildx invocation, so one target's failed export fails
(and cancels) all of them. The runner then drops that target's ``cache-to`` from the
definition it writes and bakes again: the other targets come from the engine's cache.
"""

from __future__ import annotations

from buildorch.bakes.plan import BakePlan
from buildorch.bakes.progress import BakeTracker
from buildorch.builds import cache
from buildorch.builds.failures import cache_export_warning, is_cache_export


def failed_cache_exports(tracker: BakeTracker) -> dict[str, str]:
    """Each target whose cache export failed, with BuildKit's error; ``{}`` unless nothing else failed.

    A step that failed, or a failure no target can be named for, is a failure of the
    bake: it is not worked around. A sibling BuildKit canceled because of the failure
    ("context canceled") and a cache import the build goes on without are not failures.
    """
    out: dict[str, str] = {}
    for key, v in list(tracker.vertexes.items()):
        if not tracker.really_failed(v):
            continue
        target = tracker.target_of.get(key)
        if target is None or not is_cache_export(tracker.step_name(v)):
            return {}
        out.setdefault(target, v.error or "")
    return out


def drop_cache_export(plan: BakePlan, name: str, why: str) -> str:
    """Bake target ``name`` without exporting its cache from now on; return the warning to show.

    Its staged export is discarded and its live cache marked stale (it is behind the
    image now); every ``cache-to`` of the target goes, the user's own too (as
    ``build``'s fallback drops each ``--cache-to``). Its cache import stays.
    """
    tp = plan.targets.get(name)
    c = tp.cache if tp is not None else None
    if c is not None:
        cache.discard(c)
        cache.mark_stale(c)
        c.staging_dir = None
        c.cache_to = []
    plan.definition.target[name].cache_to = []
    warning = f"target {name}: " + cache_export_warning(why, again="baked")
    plan.fallbacks[name] = warning
    return warning
