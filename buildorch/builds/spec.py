"""The typed data buildorch works with: what to build, and what a build gave.

``BuildSpec`` validates everything that can be checked before BuildKit runs:
paths, the target stage, platforms, tags, build args. A bad value raises
``pydantic.ValidationError`` whose message says what to do; the CLI shows it
as one line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from buildorch.core import dockerfile, references
from buildorch.core.validation import PlatformList, check_identifier, is_identifier
from buildorch.core.versioning import check_explicit

# Parts of a build-arg name that say "this is a credential". Build args end up in
# the image history and provenance; secrets belong in BuildKit secrets.
_SECRETISH = {"TOKEN", "PASSWORD", "PASSWD", "PASS", "SECRET", "CREDENTIAL", "CREDENTIALS", "KEY", "APIKEY", "PRIVATE"}

Progress = Literal["auto", "plain", "tty", "rawjson", "quiet"]


def looks_secret(name: str) -> bool:
    """``GITHUB_TOKEN``, ``DB_PASSWORD``, ``API_KEY`` -> True; ``GO_VERSION`` -> False."""
    return any(part in _SECRETISH for part in re.split(r"[_\W]+", name.upper()) if part)


def parse_pairs(items: list[str], what: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}``.

    A bare ``KEY`` takes its value from the environment, as ``docker buildx build --build-arg KEY`` does.
    """
    environ = os.environ if env is None else env
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            if key and key in environ and is_identifier(key):
                out[key] = environ[key]
                continue
            raise ValueError(f"malformed {what} {item!r}: use KEY=VALUE")
        if not key:
            raise ValueError(f"malformed {what} {item!r}: the key before '=' is empty")
        out[key] = value
    return out


class CachePolicy(BaseModel):
    """Where the build cache is imported from and exported to.

    ``auto`` lets buildorch choose (see ``buildorch.builds.cache``); ``local`` keeps a
    directory per context and target, swapped in atomically after a successful
    build; ``registry`` uses ``ref``; ``inline`` embeds cache metadata in the image.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["auto", "none", "inline", "local", "registry"] = "auto"
    # auto: ``max`` in CI (``CI`` set) and for registry caches, ``min`` for the local cache of
    # the edit-rebuild loop (see ``buildorch.builds.cache.export_mode``).
    mode: Literal["auto", "min", "max"] = "auto"
    dir: Path | None = None
    ref: str | None = None
    extra_from: list[str] = Field(default_factory=list)
    required: bool = False

    @classmethod
    def parse(cls, spec: str, mode: str = "auto", extra_from: list[str] | None = None, required: bool = False) -> CachePolicy:
        """``local[:DIR]``, ``registry[:REF]``, ``inline``, ``none`` or ``auto``."""
        kind, _, arg = spec.partition(":")
        if kind not in ("auto", "none", "inline", "local", "registry"):
            raise ValueError(f"unknown cache spec {spec!r}: use local[:DIR], registry[:REF], inline, none or auto")
        if arg and kind not in ("local", "registry"):
            raise ValueError(f"cache kind {kind!r} takes no argument (got {spec!r})")
        return cls(
            kind=kind,  # type: ignore[arg-type]
            mode=mode,  # type: ignore[arg-type]
            dir=Path(arg) if kind == "local" and arg else None,
            ref=arg if kind == "registry" and arg else None,
            extra_from=extra_from or [],
            required=required,
        )

    @field_validator("ref")
    @classmethod
    def _ref(cls, v: str | None) -> str | None:
        return references.check(v) if v else v


class BuildSpec(BaseModel):
    """Everything one build needs, validated before anything runs.

    >>> BuildSpec(context="app", platforms=["linux/amd64,linux/arm64/v8"]).platforms
    ['linux/amd64', 'linux/arm64']
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    context: Path = Path(".")
    dockerfile: Path | None = Field(default=None, description="default: CONTEXT/Dockerfile")
    target: str | None = None
    platforms: PlatformList = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    build_args: dict[str, str] = Field(default_factory=dict)
    version: str | None = None
    build_time: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    load: bool = False
    push: bool = False
    output: str | None = None
    load_per_platform: bool = False
    builder: str | None = None
    no_cache: bool = False
    pull: bool = False
    secrets: list[str] = Field(default_factory=list)
    progress: Progress = "auto"
    metadata_file: Path | None = None
    cache: CachePolicy = Field(default_factory=CachePolicy)
    provenance: bool | str | None = None  # a string is buildx's value as is: mode=min, mode=max

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [references.check(t) for t in v]

    @field_validator("build_args")
    @classmethod
    def _build_args(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            check_identifier(name, "build arg")
            if looks_secret(name):
                raise ValueError(
                    f"build arg {name!r} looks like a secret; build args are stored in the image history. "
                    f"Pass it with --secret id={name.lower()},env={name} and RUN --mount=type=secret,id={name.lower()}"
                )
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: list[str]) -> list[str]:
        for s in v:
            fields = dict(p.partition("=")[::2] for p in s.split(","))
            if not fields.get("id"):
                raise ValueError(f"secret {s!r} has no id: use id=NAME,src=FILE or id=NAME,env=VAR")
            src = fields.get("src") or fields.get("source")
            if src and not Path(src).expanduser().is_file():
                raise ValueError(f"secret {fields['id']!r}: file {src} does not exist")
            if fields.get("env") and fields["env"] not in os.environ:
                raise ValueError(f"secret {fields['id']!r}: environment variable {fields['env']} is not set")
        return v

    @model_validator(mode="after")
    def _check(self) -> BuildSpec:
        if not self.context.is_dir():
            raise ValueError(f"build context {self.context} is not a directory")
        df = self.dockerfile_path
        if not df.is_file():
            raise ValueError(f"Dockerfile {df} not found: pass -f/--file PATH")
        if self.target:
            self.target = check_target(df, self.target)
        chosen = [n for n, on in (("--load", self.load), ("--push", self.push), ("--output", bool(self.output))) if on]
        if len(chosen) > 1:
            raise ValueError(f"{' and '.join(chosen)} exclude each other: choose one output")
        if self.push and not self.tags:
            raise ValueError("--push needs a tag with a registry: add -t REGISTRY/NAME:TAG")
        if self.load_per_platform and (self.push or self.output):
            raise ValueError("--load-per-platform loads images; it cannot go with --push or --output")
        check_explicit(self.version, self.build_time)
        return self

    @property
    def dockerfile_path(self) -> Path:
        return self.dockerfile if self.dockerfile is not None else self.context / "Dockerfile"


def check_target(path: Path, target: str) -> str:
    """The target as BuildKit names it (lower case), or ValueError listing the stages of ``path``.

    A file with a ``# syntax=`` line is read by that frontend, whose grammar may be newer than
    BuildKit's built-in one: if buildorch's parser refuses such a file, the frontend decides.
    """
    try:
        stages = dockerfile.read_stages(path)
    except dockerfile.DockerfileError:
        if dockerfile.detect_syntax(dockerfile.read_text(path)) is None:
            raise
        return target.lower()
    return dockerfile.check_target(stages, target, path)


class StepResult(BaseModel):
    """One step of a build (a BuildKit vertex of the Dockerfile, not an internal one)."""

    name: str
    platform: str | None = None
    cached: bool = False
    duration_seconds: float | None = None
    error: str | None = None
    # The timeline (wall-clock seconds), kept in build records for `buildorch report`.
    started: float | None = None
    completed: float | None = None
    # Build order and the log tail: in records, not in `--json` (``history.step_record``).
    digest: str | None = Field(default=None, exclude=True)
    inputs: list[str] = Field(default_factory=list, exclude=True)
    log_tail: list[str] = Field(default_factory=list, exclude=True)


class BuildResult(BaseModel):
    """What a build produced: a script can trust every field."""

    tags: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    target: str | None = None
    build_args: dict[str, str] = Field(default_factory=dict)
    version: str = ""
    build_time: str = ""
    digest: str | None = None
    platform_digests: dict[str, str] = Field(default_factory=dict)
    nodes: dict[str, str] = Field(default_factory=dict)  # platform -> builder node that built it
    image_id: str | None = None
    size_bytes: int | None = None
    loaded: bool = False
    pushed: bool = False
    steps_total: int = 0
    steps_cached: int = 0
    duration_seconds: float = 0.0
    cache_from: list[str] = Field(default_factory=list)
    cache_to: list[str] = Field(default_factory=list)
    cache_platforms_missing: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    steps: list[StepResult] = Field(default_factory=list)
    command: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cache_hit_ratio(self) -> float:
        return round(self.steps_cached / self.steps_total, 4) if self.steps_total else 0.0
