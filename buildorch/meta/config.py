"""``buildorch meta``'s configuration: ``[tool.buildorch.meta]`` in pyproject.toml or ``[meta]`` in buildorch.toml.

Keys are metadata-action's inputs, each a list of lines or one multi-line string::

    [tool.buildorch.meta]
    images = ["registry.example.com/team/app"]
    tags = ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=ref,event=pr"]
    flavor = ["latest=auto"]
    labels = ["org.opencontainers.image.vendor=Example"]

Flags given on the command line replace the file's value of the same key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildorch.meta.inputs import input_lines

CONFIG_FILES = ("buildorch.toml", "pyproject.toml")
KEYS = ("images", "tags", "flavor", "labels", "annotations", "bake-target")


@dataclass
class MetaConfig:
    images: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    flavor: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    bake_target: str = "docker-metadata-action"
    source: Path | None = None


def _table(doc: dict[str, Any], f: Path) -> dict[str, Any] | None:
    table = doc.get("tool", {}).get("buildorch", {}).get("meta") if f.name == "pyproject.toml" else doc.get("meta")
    return table if isinstance(table, dict) else None


def find_config(start: Path) -> Path | None:
    """The nearest buildorch.toml or pyproject.toml with a meta table, from ``start`` upwards."""
    for d in [start.resolve(), *start.resolve().parents]:
        for name in CONFIG_FILES:
            f = d / name
            if f.is_file() and _table(_read(f), f) is not None:
                return f
    return None


def _read(f: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(f.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{f}: cannot read it as TOML: {exc}") from exc


def load(path: Path | None = None, start: Path | None = None) -> MetaConfig:
    """The meta table of ``path`` (or the nearest config file from ``start``); empty when there is none."""
    f = path or find_config(start or Path("."))
    if f is None:
        return MetaConfig()
    table = _table(_read(f), f)
    if table is None:
        raise ValueError(f"{f} has no meta table: add [tool.buildorch.meta] (pyproject.toml) or [meta] (buildorch.toml)")
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ValueError(f"{f}: unknown meta key {unknown[0]!r}: use {', '.join(KEYS)}")
    lists = {}
    for key in ("images", "tags", "flavor", "labels", "annotations"):
        value = table.get(key, [])
        if not isinstance(value, (str, list)) or (isinstance(value, list) and not all(isinstance(v, str) for v in value)):
            raise ValueError(f"{f}: meta.{key} must be a string or a list of strings")
        lists[key] = input_lines(value)
    target = table.get("bake-target", "docker-metadata-action")
    if not isinstance(target, str) or not target:
        raise ValueError(f"{f}: meta.bake-target must be a target name")
    return MetaConfig(**lists, bake_target=target, source=f)
