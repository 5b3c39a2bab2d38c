"""Typed views of buildx bake: the resolved definition (``bake --print``) and what buildorch is asked to bake.

buildx stays the authority on what a bake file means: buildorch never parses
HCL, it validates the JSON that ``docker buildx bake --print`` prints. The
models declare the fields buildorch reads and keep every other one
(``extra="allow"``), so a definition survives a round trip unchanged, fields
of newer buildx versions included.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from buildorch.builds import flags
from buildorch.builds.spec import Progress
from buildorch.core.validation import PlatformList, check_identifier
from buildorch.core.versioning import check_explicit

# "TARGET.KEY=VALUE"; TARGET may be a pattern (``*``), KEY may be dotted (``args.NAME``).
_SET = re.compile(r"^(?P<target>[^.=]+)\.(?P<key>[^=]+)=(?P<value>.*)$", re.S)


class BakeGroup(BaseModel):
    """A ``group`` block: the targets (or groups) it builds."""

    model_config = ConfigDict(extra="allow")

    targets: list[str] = []


class BakeTarget(BaseModel):
    """One resolved ``target``: ``inherits``, variables, functions and matrix already applied by buildx.

    Field names follow buildx's JSON (``cache-from``), reached in Python as ``cache_from``.
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    context: str | None = None
    dockerfile: str | None = None
    dockerfile_inline: str | None = Field(None, alias="dockerfile-inline")
    target: str | None = None
    args: dict[str, str | None] = {}
    tags: list[str] = []
    platforms: list[str] = []
    # Strings in buildx 0.13; newer versions may print objects: both are kept as they are.
    cache_from: list[Any] = Field(default=[], alias="cache-from")
    cache_to: list[Any] = Field(default=[], alias="cache-to")
    output: list[Any] = []
    contexts: dict[str, str] = {}

    def dump(self) -> dict[str, Any]:
        """The target as buildx prints it (only the fields it printed, in buildx's spelling)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    @property
    def outputs(self) -> list[dict[str, str]]:
        """``output`` as attribute maps: buildx 0.13 prints ``"type=image,push=true"``, newer ones objects."""
        return [_attrs(o) for o in self.output]

    @property
    def outputs_cache_only(self) -> bool:
        return bool(self.output) and all(o.get("type") == "cacheonly" for o in self.outputs)

    @property
    def pushes(self) -> bool:
        return any(o.get("push") == "true" or o.get("type") == "registry" for o in self.outputs)

    @property
    def loads(self) -> bool:
        return any(o.get("type") == "docker" for o in self.outputs)


def _attrs(entry: Any) -> dict[str, str]:
    """``"type=image,push=true"`` or ``{"type": "image", "push": true}`` -> ``{"type": "image", "push": "true"}``."""
    if isinstance(entry, dict):
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in entry.items()}
    out: dict[str, str] = {}
    for part in str(entry).split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            out.setdefault(key, value)
        elif key:  # "-" or a bare path: the local exporter's shorthand
            out.setdefault("type", key)
    return out


def as_csv(entry: Any) -> str:
    """An output or cache entry as buildx's CSV: buildx 0.13 prints ``"type=docker"``, newer ones ``{"type": "docker"}``."""
    if isinstance(entry, dict):
        items = sorted(entry.items(), key=lambda kv: kv[0] != "type")  # type first, then as printed
        return ",".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in items)
    return str(entry)


class BakeDefinition(BaseModel):
    """What ``docker buildx bake --print`` prints: groups and the targets that will be built."""

    model_config = ConfigDict(extra="allow")

    group: dict[str, BakeGroup] = {}
    target: dict[str, BakeTarget] = {}

    def dump(self) -> dict[str, Any]:
        """The definition as buildx printed it: unknown fields included, nothing added."""
        out: dict[str, Any] = self.model_dump(by_alias=True, exclude_unset=True, mode="json")
        if "target" in out:
            out["target"] = {name: t.dump() for name, t in self.target.items()}
        return out

    def resolve_group(self, name: str, seen: set[str] | None = None) -> list[str]:
        """The targets a group (or target) name stands for, groups of groups flattened, each once, in order."""
        seen = set() if seen is None else seen
        if name in seen:
            return []
        seen.add(name)
        if name not in self.group:
            return [name]
        out: list[str] = []
        for member in self.group[name].targets:
            out.extend(t for t in self.resolve_group(member, seen) if t not in out)
        return out


def _fields(target: BakeTarget | None) -> dict[str, Any]:
    """A target's fields with maps flattened to one entry per key (``args.VERSION``), as ``--set`` names them."""
    out: dict[str, Any] = {}
    for key, value in (target.dump() if target is not None else {}).items():
        if isinstance(value, dict):
            out.update({f"{key}.{k}": v for k, v in value.items()})
        else:
            out[key] = value
    return out


def definition_diff(before: BakeDefinition, after: BakeDefinition) -> dict[str, dict[str, dict[str, Any]]]:
    """Per target of ``after``, each field that differs from ``before``: ``{"args.VERSION": {"old": "6.4.1", "new": "7.0.0"}}``.

    Maps (``args``, ``labels``...) are compared key by key, so a changed build arg
    shows as that one arg; ``old`` or ``new`` is ``None`` for a field one side lacks.
    """
    diff: dict[str, dict[str, dict[str, Any]]] = {}
    for name, target in after.target.items():
        old, new = _fields(before.target.get(name)), _fields(target)
        changed = {
            key: {"old": old.get(key), "new": new.get(key)}
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        }
        if changed:
            diff[name] = changed
    return diff


def group_cycle(groups: dict[str, list[str]], start: str) -> list[str] | None:
    """A path of groups from ``start`` back to itself (``["a", "b", "a"]``), or ``None`` if there is none."""

    def walk(path: list[str]) -> list[str] | None:
        for member in groups.get(path[-1], []):
            if member == start:
                return [*path, member]
            if member in groups and member not in path:
                found = walk([*path, member])
                if found:
                    return found
        return None

    return walk([start]) if start in groups else None


def split_override(item: str) -> tuple[str, str, str]:
    """``"app.args.X=1"`` -> ``("app", "args.X", "1")``; ``ValueError`` if it is not TARGET.KEY=VALUE."""
    m = _SET.match(item)
    if not m:
        raise ValueError(f"--set {item!r} is not TARGET.KEY=VALUE (e.g. app.args.GO_VERSION=1.26, *.platform=linux/arm64)")
    return m.group("target"), m.group("key"), m.group("value")


class BakeSpec(BaseModel):
    """What to bake, validated before buildx runs.

    ``variables`` become environment variables of ``docker buildx bake`` (that
    is how bake variables are overridden); ``overrides`` are passed as
    ``--set`` as they are.
    """

    model_config = ConfigDict(extra="forbid")

    targets: list[str] = Field(default=[], description="targets or groups; none: the 'default' group")
    files: list[Path] = Field(default=[], description="none: bake's own defaults, else bakefiles/docker-bake.hcl")
    overrides: list[str] = []
    variables: dict[str, str] = {}
    platforms: PlatformList = []
    load: bool = False
    push: bool = False
    version: str | None = None
    build_time: str | None = None
    cache: Literal["local", "none"] = "local"
    cache_mode: Literal["min", "max"] = "max"
    cache_required: bool = Field(False, description="a cache that cannot be written or exported fails the bake")
    builder: str | None = None
    progress: Progress = "auto"
    metadata_file: Path | None = None
    allow: list[str] = []

    @field_validator("allow")
    @classmethod
    def _allow(cls, v: list[str]) -> list[str]:
        return flags.check_each("allow", v)

    @field_validator("overrides")
    @classmethod
    def _overrides(cls, v: list[str]) -> list[str]:
        for item in v:
            split_override(item)
        return v

    @field_validator("variables")
    @classmethod
    def _variables(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            check_identifier(name, "bake variable")
        return v

    @field_validator("files")
    @classmethod
    def _files(cls, v: list[Path]) -> list[Path]:
        for f in v:
            if not f.is_file():
                raise ValueError(f"bake file {f} not found")
            # buildx reads HCL and JSON as UTF-8 and echoes the bad bytes in its error, which then cannot be decoded.
            try:
                f.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start}"
                raise ValueError(f"bake file {f} is not UTF-8 text ({bad})") from None
            except OSError as exc:
                raise ValueError(f"bake file {f} cannot be read: {exc.strerror}") from None
        return v

    @model_validator(mode="after")
    def _check(self) -> BakeSpec:
        if self.load and self.push:
            raise ValueError("--load and --push exclude each other: choose one output")
        for opt, var in ((self.version, "VERSION"), (self.build_time, "BUILD_TIME")):
            given = self.variables.get(var)
            if opt is not None and given is not None and given != opt:
                raise ValueError(f"--{var.lower().replace('_', '-')} {opt!r} and --var {var}={given!r} disagree: give one")
        check_explicit(self.version, self.explicit_build_time)
        return self

    @property
    def explicit_version(self) -> str | None:
        """``--version``, else ``--var VERSION=...``: both name the same value."""
        return self.version or self.variables.get("VERSION") or None

    @property
    def explicit_build_time(self) -> str | None:
        return self.build_time or self.variables.get("BUILD_TIME") or None
