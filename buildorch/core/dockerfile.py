"""Reading a Dockerfile's stages without BuildKit (for validation before a build)."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from pydantic import BaseModel

_FROM = re.compile(r"^\s*FROM\s+(?P<rest>.+)$", re.IGNORECASE)


class Stage(BaseModel):
    """One ``FROM`` of a Dockerfile: its index, name (if any) and base image."""

    index: int
    name: str | None
    base: str
    platform: str | None = None


def logical_lines(text: str) -> list[str]:
    """Join backslash continuations and drop comments, as the Dockerfile parser does."""
    out: list[str] = []
    cur = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not cur and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            cur += stripped[:-1] + " "
            continue
        cur += stripped
        out.append(cur)
        cur = ""
    if cur:
        out.append(cur)
    return out


def parse_stages(text: str) -> list[Stage]:
    """The stages of a Dockerfile, in order. Names are lower-cased like BuildKit does."""
    stages: list[Stage] = []
    for line in logical_lines(text):
        m = _FROM.match(line)
        if not m:
            continue
        words = m.group("rest").split()
        platform = None
        while words and words[0].startswith("--"):
            flag = words.pop(0)
            if flag.startswith("--platform="):
                platform = flag.split("=", 1)[1]
        if not words:
            continue
        base = words[0]
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        stages.append(Stage(index=len(stages), name=name, base=base, platform=platform))
    return stages


def read_stages(path: Path) -> list[Stage]:
    return parse_stages(path.read_text(encoding="utf-8", errors="replace"))


def check_target(stages: list[Stage], target: str, path: Path) -> str:
    """Return the canonical target name or raise ``ValueError`` listing the stages there are."""
    names = [s.name for s in stages if s.name]
    t = target.lower()
    if t in names:
        return t
    listed = ", ".join(names) if names else "none (no FROM ... AS name)"
    close = difflib.get_close_matches(t, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"stage {target!r} not found in {path}{hint}; its stages are: {listed}")
