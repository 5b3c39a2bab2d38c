"""rawjson progress of ``docker buildx bake``, attributed to its targets."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from buildorch.builds.progress import Lane, ProgressTracker, Vertex


class BakeTracker(ProgressTracker):
    """rawjson progress of a bake, attributed to targets.

    buildx prefixes each vertex name with its target (``[app linux/amd64
    builder 3/6] ...``). BuildKit shares a vertex between targets that need the
    same step and reports it in each target's stream under that target's name
    with one digest; the base tracker keys vertexes by digest, so here a vertex
    is keyed ``TARGET DIGEST`` and counts for every target it served. Logs carry
    no target: they go to the first target that showed the vertex. A bake of
    one target has no prefixes (buildx prefixes only when several build).
    """

    what = "bake"

    def __init__(
        self, targets: Iterable[str], started_at: float | None = None, platforms: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(started_at)
        self.order = list(targets)  # as the definition lists them: the live view's groups
        self.platforms = platforms or {}  # each target's, for the live view
        self.targets = sorted(self.order, key=len, reverse=True)
        self._only = self.targets[0] if len(self.targets) == 1 else None
        self.target_of: dict[str, str] = {}  # key -> target
        self._keys: dict[str, str] = {}  # digest -> the first key it got

    def _target(self, name: str) -> str | None:
        for t in self.targets:
            if name.startswith((f"[{t} ", f"[{t}]")):
                return t
        return None

    def apply(self, doc: dict[str, Any]) -> list[Vertex]:
        vertexes = []
        for v in doc.get("vertexes") or []:
            t = self._target(v.get("name") or "") or self._only
            key = f"{t} {v['digest']}" if t else self._keys.get(v["digest"], v["digest"])
            self._keys.setdefault(v["digest"], key)
            if t:
                self.target_of[key] = t
            vertexes.append({**v, "digest": key})
        logs = [{**lg, "vertex": self._keys.get(lg.get("vertex", ""), lg.get("vertex", ""))} for lg in doc.get("logs") or []]
        statuses = [{**s, "vertex": self._keys.get(s.get("vertex", ""), s.get("vertex", ""))} for s in doc.get("statuses") or []]
        return super().apply({**doc, "vertexes": vertexes, "logs": logs, "statuses": statuses})

    def bare(self, v: Vertex) -> Vertex:
        """A copy of ``v`` named as in a plain build: ``[linux/amd64 builder 3/6] ...``."""
        t = self.target_of.get(v.digest)
        c = copy.copy(v)
        if t == self._only:
            return c
        if t and v.name.startswith(f"[{t} "):
            c.name = "[" + v.name[len(t) + 2 :]
        elif t and v.name.startswith(f"[{t}]"):
            c.name = v.name[len(t) + 2 :].lstrip()
        return c

    def step_name(self, v: Vertex) -> str:
        return self.bare(v).name

    def step_owner(self, v: Vertex) -> str:
        return f"target {self.target_of.get(v.digest) or '?'}: "

    def view(self, target: str) -> ProgressTracker:
        """A plain tracker holding ``target``'s steps, each step once.

        BuildKit merges a step two targets share: the target's stream then
        shows its own vertex (reported cached) and the shared one that ran,
        possibly named with the other target's platform prefix
        (``[app-test linux/amd64 builder 5/6]`` beside ``[app-test builder 5/6]``).
        Vertexes with one step name and no conflicting platform count once,
        as run if any of them ran; one BuildKit started and then canceled
        (``context canceled``, the merged twin finished first) is left out.
        """
        groups: dict[str, list[tuple[str, Vertex]]] = {}
        for key, v in list(self.vertexes.items()):  # a copy: the live view calls this while the stream goes on
            if self.target_of.get(key) != target:
                continue
            b = self.bare(v)
            if b.is_step:
                plain = b.name.replace(f"[{b.platform} ", "[", 1) if b.platform else b.name
                groups.setdefault(plain, []).append((key, b))
        out = ProgressTracker(started_at=self.started_at)
        for members in groups.values():
            buckets: dict[str | None, list[tuple[str, Vertex]]] = {b.platform: [] for _, b in members if b.platform}
            buckets = buckets or {None: []}
            for key, b in members:  # a vertex without a platform joins the first platform's step
                buckets[b.platform if b.platform in buckets else next(iter(buckets))].append((key, b))
            for same in buckets.values():
                live = [(k, x) for k, x in same if "context canceled" not in (x.error or "")] or same
                key, b = next(((k, x) for k, x in live if not (x.cached or x.reused)), live[0])
                out.vertexes[key] = b
        return out

    def lanes(self) -> list[Lane]:
        """One group per target, in the definition's order: its steps once each (see :meth:`view`), then the rest.

        The rest (``exporting to image``, ``[app internal] load ...``) is named as
        in a plain build. A vertex no target claimed (``[internal] load local bake
        definitions``) is shown before the targets, in a group of its own.
        """
        items = list(self.vertexes.items())
        unclaimed = [v for k, v in items if k not in self.target_of]
        out = [Lane(None, unclaimed, unclaimed)] if unclaimed else []
        for t in self.order:
            mine = [self.bare(v) for k, v in items if self.target_of.get(k) == t]
            steps = list(self.view(t).vertexes.values())
            out.append(Lane(t, steps + [v for v in mine if not v.is_step], mine, self.platforms.get(t)))
        return out

    def span(self, target: str) -> float | None:
        """Seconds from the target's first vertex start to its last completion (work done in this run only)."""
        vs = [v for k, v in self.vertexes.items() if self.target_of.get(k) == target and not v.reused]
        starts = [v.started for v in vs if v.started is not None]
        ends = [v.completed for v in vs if v.completed is not None]
        return round(max(ends) - min(starts), 3) if starts and ends and max(ends) >= min(starts) else None

    def log_tail(self, v: Vertex) -> list[str]:
        """The last log lines of ``v``, wherever its digest's logs went."""
        digest = v.digest.rsplit(" ", 1)[-1]
        holder = self.vertexes.get(self._keys.get(digest, v.digest), v)
        return v.log_tail() or holder.log_tail()
