"""The typed data buildorch works with: what to build, and what a build gave.

``BuildSpec`` validates everything that can be checked before BuildKit runs:
paths, the target stage, platforms, tags, build args. A bad value raises
``pydantic.ValidationError`` whose message says what to do; the CLI shows it
as one line.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, computed_field, field_validator, model_validator

from buildorch.builds import flags
from buildorch.core import csvspec, dockerfile, references, secrets
from buildorch.core.secrets import looks_secret as looks_secret  # releases/ and older scripts import it from here
from buildorch.core.validation import PlatformList, check_identifier, is_identifier
from buildorch.core.validation import unprintable as unprintable  # meta/ and older callers use core's
from buildorch.core.versioning import check_explicit

# "plain" is BuildKit's own "#N ..." lines; "none" is buildx's name for "quiet".
Progress = Literal["auto", "plain", "tty", "rawjson", "quiet", "none"]


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
        bad = unprintable(key) or unprintable(value)
        if bad:
            raise ValueError(
                f"{what} {key!r} holds {bad}: it would be stored in the image as is"
                + ("; pass multi-line or binary values with --secret" if what == "build arg" else "")
            )
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
    extra_from: list[str] = []
    extra_to: list[str] = []  # --cache-to in buildx's syntax, beside buildorch's own
    required: bool = False

    @classmethod
    def parse(
        cls,
        spec: str,
        mode: str = "auto",
        extra_from: list[str] | None = None,
        required: bool = False,
        extra_to: list[str] | None = None,
    ) -> CachePolicy:
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
            extra_to=extra_to or [],
            required=required,
        )

    @field_validator("extra_from")
    @classmethod
    def _extra_from(cls, v: list[str]) -> list[str]:
        return [flags.check_cache_spec(c, "--cache-from") for c in v]

    @field_validator("extra_to")
    @classmethod
    def _extra_to(cls, v: list[str]) -> list[str]:
        return [flags.check_cache_spec(c, "--cache-to") for c in v]

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
    platforms: PlatformList = []
    tags: list[str] = []
    build_args: dict[str, str] = {}
    version: str | None = None
    build_time: str | None = None
    labels: dict[str, str] = {}
    load: bool = False
    push: bool = False
    output: str | None = None
    outputs: list[str] = Field(default=[], description="more --output values, after output")
    load_per_platform: bool = False
    builder: str | None = None
    no_cache: bool = False
    pull: bool = False
    secrets: list[str] = []
    progress: Progress = "auto"
    metadata_file: Path | None = None
    cache: CachePolicy = Field(default_factory=CachePolicy)
    provenance: bool | str | None = None  # buildx --provenance: true, false or mode=min|max,...
    # A build arg whose name looks like a secret is a warning; with this, a refusal.
    strict_secrets: bool = False
    # buildx's flags, with buildx's names and syntax (see builds/flags.py).
    ssh: list[str] = []
    build_contexts: dict[str, str] = {}
    network: str | None = None
    add_hosts: list[str] = []
    allow: list[str] = []
    no_cache_filter: list[str] = []
    annotations: list[str] = []
    attest: list[str] = []
    sbom: str | None = None  # buildx --sbom: true, false or generator options
    call: str | None = None  # check, outline, targets: ask BuildKit instead of building
    check_strict: bool = False  # --call check: a warning fails
    buildx_args: list[str] = Field(default=[], description="passed to buildx as written (after --)")

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [references.check(t) for t in v]

    @field_validator("build_args")
    @classmethod
    def _build_args(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            check_identifier(name, "build arg")
            bad = unprintable(value)
            if bad and not secrets.credential_kind(value):  # a private key is refused as one, later
                raise ValueError(f"build arg {name!r} holds {bad}: pass multi-line or binary values with --secret")
        return v

    @field_validator("labels")
    @classmethod
    def _labels(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            bad = unprintable(key) or unprintable(value)
            if bad:
                raise ValueError(f"label {key!r} holds {bad}: it would be stored in the image as is")
        return v

    @field_validator(*flags.EACH_CHECKED)
    @classmethod
    def _each_checked(cls, v: list[str], info: ValidationInfo) -> list[str]:
        return flags.check_each(info.field_name or "", v)

    @field_validator("network")
    @classmethod
    def _network(cls, v: str | None) -> str | None:
        return flags.check_network(v) if v is not None else v

    @field_validator("provenance")
    @classmethod
    def _provenance(cls, v: bool | str | None) -> bool | str | None:
        return flags.check_provenance(v) if isinstance(v, str) else v

    @field_validator("sbom")
    @classmethod
    def _sbom(cls, v: str | None) -> str | None:
        if v is not None and v.strip().lower() not in ("true", "false", "1", "0"):
            flags.check_attest(f"type=sbom,{v}")
        return v

    @field_validator("call")
    @classmethod
    def _call(cls, v: str | None) -> str | None:
        return flags.check_call(v) if v is not None else v

    @field_validator("buildx_args")
    @classmethod
    def _buildx_args(cls, v: list[str]) -> list[str]:
        return flags.check_passthrough(v)

    @field_validator("target")
    @classmethod
    def _target(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("--target is empty: name a stage, or leave it out for the last one")
        return v

    @field_validator("secrets")
    @classmethod
    def _secrets(cls, v: list[str]) -> list[str]:
        for s in v:
            try:
                fields = dict(csvspec.fields(s))  # buildx reads --secret as CSV: a quoted src may hold a comma
            except ValueError as exc:
                raise ValueError(f"secret {s!r}: {exc}") from None
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
        else:
            check_dockerfile(df)
        self.no_cache_filter = [check_target(df, s) for s in self.no_cache_filter]
        for name, value in self.build_contexts.items():
            flags.check_build_context(name, value, self.context)
        if self.output is not None:
            flags.check_output(self.output)
        chosen = [n for n, on in (("--load", self.load), ("--push", self.push), ("--output", bool(self.all_outputs))) if on]
        if len(chosen) > 1:
            raise ValueError(f"{' and '.join(chosen)} exclude each other: choose one output")
        if self.push and not self.tags:
            raise ValueError("--push needs a tag with a registry: add -t REGISTRY/NAME:TAG")
        if self.load_per_platform and (self.push or self.all_outputs):
            raise ValueError("--load-per-platform loads images; it cannot go with --push or --output")
        check_explicit(self.version, self.build_time)
        secrets.check_build_args(self.build_args, strict=self.strict_secrets)  # the warnings: plan_build
        return self

    @property
    def all_outputs(self) -> list[str]:
        """Every ``--output``: ``output`` first, then ``outputs``."""
        return ([self.output] if self.output else []) + self.outputs

    @property
    def dockerfile_path(self) -> Path:
        return self.dockerfile if self.dockerfile is not None else self.context / "Dockerfile"


def check_dockerfile(path: Path) -> None:
    """``DockerfileError`` for a file BuildKit would refuse (no FROM, an unknown instruction) before a build
    starts; a file with a ``# syntax=`` line is its frontend's to judge (see :func:`check_target`)."""
    try:
        dockerfile.read_stages(path)
    except dockerfile.DockerfileError:
        if dockerfile.detect_syntax(dockerfile.read_text(path)) is None:
            raise


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
    inputs: list[str] = Field(default=[], exclude=True)
    log_tail: list[str] = Field(default=[], exclude=True)


class BuildResult(BaseModel):
    """What a build produced: a script can trust every field."""

    tags: list[str] = []
    platforms: list[str] = []
    target: str | None = None
    build_args: dict[str, str] = {}
    version: str = ""
    build_time: str = ""
    digest: str | None = None
    platform_digests: dict[str, str] = {}
    nodes: dict[str, str] = {}  # platform -> builder node that built it
    image_id: str | None = None
    size_bytes: int | None = None
    loaded: bool = False
    pushed: bool = False
    steps_total: int = 0
    steps_cached: int = 0
    duration_seconds: float = 0.0
    cache_from: list[str] = []
    cache_to: list[str] = []
    cache_platforms_missing: list[str] = []
    warnings: list[str] = []
    steps: list[StepResult] = []
    command: list[str] = []
    metadata: dict[str, Any] = {}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cache_hit_ratio(self) -> float:
        return round(self.steps_cached / self.steps_total, 4) if self.steps_total else 0.0
