"""What a release asks for (:class:`ReleaseSpec`) and what it produced (:class:`ReleaseResult`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from buildorch.builds.spec import Progress, looks_secret
from buildorch.core import references
from buildorch.core.semver import SemVer
from buildorch.core.validation import PlatformList
from buildorch.supply import annotating
from buildorch.supply.chain import SupplyOptions, SupplyReport

DEFAULT_PLATFORMS = ["linux/amd64", "linux/arm64"]
# buildkit: BuildKit pushes by digest (push-by-digest=true); upload: an OCI layout, then the registry API by digest
# (the docker driver cannot push by digest).
PushMethod = Literal["buildkit", "upload"]
# http: run it and GET the health paths; run: run a command in it, exit 0; none: no check (a warning says so)
VerifyMode = Literal["http", "run", "none"]


class ReleaseSpec(BaseModel):
    """One release: build, push by digest, verify, then tag. Validated before anything runs.

    >>> ReleaseSpec(version="1.2.3", image="localhost:5000/team/app", context="app").platforms
    ['linux/amd64', 'linux/arm64']
    """

    model_config = ConfigDict(extra="forbid")

    version: str = Field(description="semantic version: 1.2.3, 1.3.0-rc.1, 1.2.3+build.7")
    image: str = Field(description="REGISTRY/NAME, without a tag")
    images: list[str] = Field(
        default=[], description="more REGISTRY/NAMEs: the same index is pushed to each and tagged alike"
    )
    context: Path = Path(".")
    dockerfile: Path | None = None
    target: str | None = None
    platforms: PlatformList = Field(default_factory=lambda: list(DEFAULT_PLATFORMS))
    build_args: dict[str, str] = {}
    secrets: list[str] = Field(default=[], description="BuildKit secrets: id=NAME,src=FILE or id=NAME,env=VAR")
    build_time: str | None = Field(default=None, description="default: SOURCE_DATE_EPOCH, else the commit time")
    latest: bool | None = Field(default=None, description="None: tag latest unless a pre-release or a higher version exists")
    force: bool = Field(default=False, description="move an existing X.Y.Z tag to different content")
    allow_dirty: bool = False
    output_dir: Path | None = Field(default=None, description="default: .buildorch/releases/<version>/")
    source: str | None = Field(default=None, description="org.opencontainers.image.source (default: git remote origin)")
    title: str | None = Field(default=None, description="org.opencontainers.image.title (default: the image's last name part)")
    verify: VerifyMode = "http"
    run_command: list[str] = Field(default=[], description="--verify run: the command, which must exit 0")
    expect_output: str | None = Field(default=None, description="--verify run: a regex its output must match")
    health_paths: list[str] = Field(default_factory=lambda: ["/health"])
    port: int | None = Field(default=None, description="container port (default: the image's EXPOSEd port, else 8080)")
    verify_timeout: float = 60.0
    version_args: list[str] | None = Field(
        default=None, description="args that print the version ([]: no check; default: -version with --verify http, else none)"
    )
    push_attempts: int = 4
    retry_base_seconds: float = 1.0
    builder: str | None = None
    no_cache: bool = Field(default=False, description="rebuild every step (e.g. to check reproducibility)")
    reproducible: bool = Field(default=False, description="check-reproducible first; release nothing that is not (#24)")
    progress: Progress = "auto"
    # supply chain (#17): what the release adds to its images; the key's password is never part of the spec
    provenance: Literal["false", "min", "max"] = Field(
        default="false", description="BuildKit provenance attestation; false keeps unknown/unknown entries out of the index"
    )
    annotations: list[str] = Field(default=[], description="buildx syntax: [TYPE[,TYPE]:]KEY=VALUE")
    description: str | None = Field(default=None, description="org.opencontainers.image.description (default: TITLE VERSION)")
    supply: SupplyOptions = Field(default_factory=SupplyOptions)

    @field_validator("version")
    @classmethod
    def _version(cls, v: str) -> str:
        return str(SemVer.parse(v))

    @field_validator("image")
    @classmethod
    def _image(cls, v: str) -> str:
        references.check(v)
        name, tag = references.split(v)
        if tag is not None or "@" in v:
            raise ValueError(f"image {v!r} carries a tag or digest: give REGISTRY/NAME only, buildorch chooses the tags")
        if references.registry_of(name) is None:
            raise ValueError(f"image {v!r} names no registry: use REGISTRY/NAME, e.g. localhost:5000/team/app")
        return name

    @field_validator("images")
    @classmethod
    def _images(cls, v: list[str]) -> list[str]:
        return [cls._image(i) for i in v]

    @field_validator("expect_output")
    @classmethod
    def _expect(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"--expect-output {v!r} is not a regular expression: {exc}") from exc
        return v

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, v: list[str]) -> list[str]:
        return v or list(DEFAULT_PLATFORMS)  # an empty list means the default, as in the CLI

    @field_validator("build_args")
    @classmethod
    def _build_args(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name in ("VERSION", "BUILD_TIME", "SOURCE_DATE_EPOCH"):
                raise ValueError(f"build arg {name} is set by the release: use --version or SOURCE_DATE_EPOCH")
            if looks_secret(name):
                raise ValueError(f"build arg {name!r} looks like a secret; build args are stored in the image history")
        return v

    @field_validator("health_paths")
    @classmethod
    def _paths(cls, v: list[str]) -> list[str]:
        return [p if p.startswith("/") else "/" + p for p in v]

    @field_validator("annotations")
    @classmethod
    def _annotations(cls, v: list[str]) -> list[str]:
        for raw in v:
            annotating.parse(raw)  # a ValueError names the bad one
        return v

    @model_validator(mode="after")
    def _check(self) -> ReleaseSpec:
        if self.push_attempts < 1:
            raise ValueError("push_attempts must be at least 1")
        if self.verify_timeout <= 0:
            raise ValueError(f"verify_timeout must be positive (got {self.verify_timeout})")
        if self.port is not None and not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} is not a port number")
        if len(set(self.destinations)) != len(self.destinations):
            raise ValueError(f"an --image is given twice: {', '.join(self.destinations)}")
        if self.verify == "run" and not self.run_command:
            raise ValueError("--verify run needs the command after --: buildorch release ... --verify run -- /tool --help")
        if self.verify != "run" and (self.run_command or self.expect_output):
            raise ValueError("a command to run and --expect-output go with --verify run")
        if not self.context.is_dir():
            raise ValueError(f"build context {self.context} is not a directory")
        return self

    @property
    def semver(self) -> SemVer:
        return SemVer.parse(self.version)

    @property
    def version_command(self) -> list[str]:
        """What prints the version in the image ([]: no version check)."""
        if self.version_args is not None:
            return self.version_args
        return ["-version"] if self.verify == "http" else []

    @property
    def destinations(self) -> list[str]:
        """Every image the release pushes to: ``image`` first, then ``images``."""
        return [self.image, *self.images]

    @property
    def reports_dir(self) -> Path:
        return self.output_dir or Path(".buildorch") / "releases" / self.version


class PlatformVerification(BaseModel):
    """What verifying one platform of the pushed index found."""

    platform: str
    digest: str | None = None
    ok: bool = False
    health_ok: bool = False
    health: dict[str, Any] = Field(default={}, description="buildorch.inspect.smoke's PlatformSmoke")
    run_exit_code: int | None = None
    run_output: str | None = Field(default=None, description="--verify run: the end of what the command printed")
    version_output: str | None = None
    version_ok: bool | None = None
    error: str | None = None


class Reproducibility(BaseModel):
    """Whether the release was built twice from nothing first (``--reproducible``), and what that found."""

    checked: bool = False
    reproducible: bool | None = None  # None: not checked
    differences: list[str] = []


class Verification(BaseModel):
    mode: VerifyMode = "http"
    ok: bool = False
    index_platforms: list[str] = []
    missing_platforms: list[str] = []
    platforms: list[PlatformVerification] = []

    def failure(self) -> str | None:
        if self.missing_platforms:
            return f"the pushed index lacks {', '.join(self.missing_platforms)} (it has {', '.join(self.index_platforms)})"
        bad = next((p for p in self.platforms if not p.ok), None)
        return f"{bad.platform}: {bad.error}" if bad else None


class PlatformImage(BaseModel):
    digest: str
    size_bytes: int = Field(description="sum of the layer sizes in the manifest (compressed)")
    attestation_digest: str | None = None


class ReleaseResult(BaseModel):
    """What a release did: a release script can trust every field (also written as release.json)."""

    status: Literal["released", "failed"] = "released"
    error: str | None = None
    image: str
    images: list[str] = Field(default=[], description="every destination, image first; same index, same tags")
    version: str
    tags: list[str] = []
    references: list[str] = []
    previous_tags: dict[str, str | None] = Field(default={}, description="tag -> index digest before the release")
    previous_references: dict[str, str | None] = Field(
        default={}, description="IMAGE:TAG -> index digest before the release, for every destination"
    )
    index_digest: str | None = Field(default=None, description="the index the tags point at")
    built_index_digest: str | None = Field(default=None, description="the index this run pushed (differs when reused)")
    platforms: dict[str, PlatformImage] = {}
    build_time: str = ""
    source_date_epoch: int = 0
    revision: str | None = None
    dirty: bool = False
    labels: dict[str, str] = {}
    push_method: PushMethod | Literal[""] = ""  # "": not pushed yet
    verification: Verification = Field(default_factory=Verification)
    reproducibility: Reproducibility = Field(default_factory=Reproducibility)
    steps_cached: int = 0
    steps_total: int = 0
    duration_seconds: float = 0.0
    warnings: list[str] = []
    output_dir: str | None = None
    supply: SupplyReport = Field(default_factory=SupplyReport, description="provenance, SBOMs, signature")

    @property
    def platform_digests(self) -> dict[str, str]:
        return {p: img.digest for p, img in self.platforms.items()}
