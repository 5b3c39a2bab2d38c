"""buildx's complaints about a bake file or its arguments, as one line that says what to do.

The names and group members read here serve error hints only: buildx stays the
parser of bake files, these regular expressions never decide what gets built.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from buildorch.bakes.models import group_cycle
from buildorch.bakes.printing import BAKE_DEFAULT_FILES, FALLBACK_FILE
from buildorch.core.errors import BuildorchError, InputError

# The keys ``--set`` takes in buildx 0.13 (bake.go, Target.AddOverrides).
SET_KEYS = (
    "args.NAME", "labels.NAME", "contexts.NAME", "context", "dockerfile", "target", "tags", "platform", "output",
    "cache-from", "cache-to", "secrets", "ssh", "no-cache", "no-cache-filter", "pull", "push", "load",
    "shm-size", "ulimits", "annotations", "attest",
)
_GROUP = re.compile(r'^\s*group\s+"([^"]+)"\s*\{(.*?)^\s*\}', re.M | re.S)
_MEMBERS = re.compile(r"\btargets\s*=\s*\[(.*?)\]", re.S)


def _read(f: Path) -> tuple[str, dict[str, Any] | None]:
    try:
        text = f.read_text()
    except OSError:
        return "", None
    if f.suffix != ".json":
        return text, None
    try:
        doc = json.loads(text)
    except ValueError:
        return "", None
    return text, doc if isinstance(doc, dict) else None


def names_in(files: Iterable[Path]) -> tuple[list[str], list[str]]:
    """The (targets, groups) a bake file declares, for error hints only.

    Names starting with ``_`` are left out: by convention they are only inherited.
    """
    targets: list[str] = []
    groups: list[str] = []
    for f in files:
        text, doc = _read(f)
        if doc is not None:
            found = [("target", n) for n in doc.get("target") or {}] + [("group", n) for n in doc.get("group") or {}]
        else:
            found = re.findall(r'^\s*(target|group)\s+"([^"]+)"', text, re.M)
        for kind, name in found:
            bucket = targets if kind == "target" else groups
            if not name.startswith("_") and name not in bucket:
                bucket.append(name)
    return targets, groups


def group_members(files: Iterable[Path]) -> dict[str, list[str]]:
    """Each group's ``targets`` list (literal names only), for naming a cycle of groups."""
    out: dict[str, list[str]] = {}
    for f in files:
        text, doc = _read(f)
        if doc is not None:
            for name, g in (doc.get("group") or {}).items():
                if isinstance(g, dict):
                    out.setdefault(name, []).extend(str(t) for t in g.get("targets") or [])
            continue
        for m in _GROUP.finditer(text):
            members = _MEMBERS.search(m.group(2))
            if members:
                out.setdefault(m.group(1), []).extend(re.findall(r'"([^"]+)"', members.group(1)))
    return out


def bake_input_error(exc: BuildorchError, args: list[str], files: list[Path]) -> BuildorchError:
    """buildx's complaint about a bake file or its arguments, as one line that says what to do."""
    lines = [ln.strip() for ln in [*exc.details, exc.message] if ln.strip()]
    errors = [ln.split("ERROR:", 1)[1].strip() for ln in lines if "ERROR:" in ln]
    why = errors[-1] if errors else (lines[-1] if lines else exc.message)
    listed = files or [Path(n) for n in BAKE_DEFAULT_FILES if Path(n).is_file()]
    where = ", ".join(str(f) for f in listed) or "the bake files"
    if m := re.search(r"failed to find target (\S+)", why):
        name = m.group(1)
        # buildx 0.13 reports a group that includes itself as a target it cannot find
        cycle = group_cycle(group_members(listed), name)
        if cycle:
            return InputError(
                f"group {name!r} includes itself: cycle {' -> '.join(cycle)} in {where}",
                "remove one of these groups from the other's targets",
            )
        targets, groups = names_in(listed)
        known = "; ".join(x for x in (f"targets: {', '.join(targets)}" if targets else "",
                                       f"groups: {', '.join(groups)}" if groups else "") if x)
        return InputError(f"no target or group {name!r} in {where}", f"choose one of {known}" if known else None)
    if m := re.search(r"could not find any target matching '([^']*)'", why):
        pattern = m.group(1)
        sets = [a for a in args if a.startswith(f"{pattern}.")]
        return InputError(
            f"--set {sets[0] if sets else pattern + '...'}: no target being built matches {pattern!r}",
            "name a target of this bake (or * for all); --dry-run lists them",
        )
    if m := re.search(r"unknown key: (\S+)", why):
        key = m.group(1)
        sets = [a for a in args if re.match(rf"^[^.=]+\.{re.escape(key)}[.=]", a)]
        return InputError(
            f"--set {sets[0] if sets else '...' + key}: unknown key {key!r}", f"buildx knows: {', '.join(SET_KEYS)}"
        )
    if m := re.search(r"open (\S+): no such file or directory", why):
        return InputError(f"bake file {m.group(1)} not found", "pass -f PATH to an existing file")
    if "couldn't find a bake definition" in why:
        return InputError("no bake file here", f"pass -f FILE, or run where {FALLBACK_FILE} or docker-bake.hcl is")
    if m := re.match(r"(\S+?:\d+(?:,\d+(?:-\d+)?)?): (.*)", why):  # HCL diagnostics: "file.hcl:4,1-2: message"
        return InputError(f"bake file {m.group(1)}: {m.group(2)}", "fix the file; `docker buildx bake --print` shows the same")
    return InputError(f"docker buildx bake: {why}", "check the bake file and the --set/--var values")
