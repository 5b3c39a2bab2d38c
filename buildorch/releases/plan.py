"""Planning a release: which tags, which labels, which build, which checks. Reads, never writes.

The floating tags follow what users of ``image:1.2`` expect: ``X.Y``, ``X`` and
``latest`` go to a stable release only, and only when no higher stable version
in their range is already in the registry (a 1.2.4 hotfix after 1.3.0 moves
``1.2`` but neither ``1`` nor ``latest``). Pre-releases get their exact tag only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from buildorch.builds.plan import BuildPlan
from buildorch.builds.spec import BuildSpec, CachePolicy
from buildorch.core import csvspec, versioning
from buildorch.core.errors import InputError
from buildorch.core.semver import SemVer
from buildorch.core.validation import validation_message
from buildorch.engine.git import GitState, resolve_version
from buildorch.engine.git import state as git_state
from buildorch.releases.models import PushMethod, ReleaseSpec
from buildorch.releases.report import plan_lines
from buildorch.supply import annotating

SHORT_SHA = 7


@dataclass
class TagPlan:
    tags: list[str]
    notes: list[str] = field(default_factory=list)  # why a floating tag is (not) moved


def plan_tags(
    version: SemVer, existing: list[str], *, latest: bool | None = None, revision: str | None = None
) -> TagPlan:
    """The tags a release of ``version`` gets, given the tags already in the repository.

    >>> plan_tags(SemVer.parse("1.2.4"), ["1.2.3", "1.3.0", "latest"], revision="0123456789ab").tags
    ['1.2.4', '1.2', 'sha-0123456']
    """
    tags = [version.tag]
    notes: list[str] = []
    stable = [v for v in (SemVer.try_parse(t) for t in existing) if v is not None and not v.is_prerelease]
    if version.is_prerelease:
        notes.append(f"{version} is a pre-release: no {version.major}.{version.minor}, {version.major} or latest tag")
    else:
        for tag, width in ((f"{version.major}.{version.minor}", 2), (f"{version.major}", 1)):
            higher = max((v for v in stable if v.core[:width] == version.core[:width] and v > version), default=None)
            if higher is None:
                tags.append(tag)
            else:
                notes.append(f"no {tag} tag: {higher} is already released")
    highest = max((v for v in stable if v > version), default=None)
    if latest is True:
        tags.append("latest")
        if highest is not None or version.is_prerelease:
            notes.append("latest: moved because --latest was given")
    elif latest is False:
        notes.append("no latest tag: --no-latest")
    elif version.is_prerelease:
        pass
    elif highest is not None:
        notes.append(f"no latest tag: {highest} is higher (pass --latest to move it anyway)")
    else:
        tags.append("latest")
    if revision:
        tags.append(f"sha-{revision[:SHORT_SHA]}")
    return TagPlan(tags=tags, notes=notes)


# -- the plan -------------------------------------------------------------------


@dataclass
class ReleasePlan:
    """Everything a release will do, computed without touching the registry's tags."""

    spec: ReleaseSpec
    semver: SemVer
    tags: list[str]
    tag_notes: list[str]
    existing_tags: list[str] | None  # None: the registry could not be read
    labels: dict[str, str]
    build: BuildSpec
    push_method: PushMethod
    version: versioning.VersionInfo
    git: GitState
    layout_dir: Path | None
    warnings: list[str] = field(default_factory=list)
    build_plan: BuildPlan | None = None  # the build, planned against the engine (prepare_release)

    @property
    def references(self) -> list[str]:
        return [f"{image}:{t}" for image in self.spec.destinations for t in self.tags]

    def references_of(self, image: str) -> list[str]:
        return [f"{image}:{t}" for t in self.tags]

    @property
    def build_commands(self) -> list[str]:
        """The ``docker buildx build`` command(s) the release runs (none before it is planned against the engine)."""
        return self.build_plan.command_lines() if self.build_plan is not None else []

    def describe(self) -> list[str]:
        """What ``buildorch release --dry-run`` prints: everything the release would do, in order."""
        return plan_lines(self, self.build_commands)

    def report(self) -> dict[str, Any]:
        """What ``buildorch release --dry-run --json`` prints."""
        return {
            "image": self.spec.image, "images": self.spec.destinations, "version": self.spec.version, "tags": self.tags,
            "references": self.references,
            "tag_notes": self.tag_notes, "platforms": self.spec.platforms, "labels": self.labels,
            "build_commands": self.build_commands, "push_method": self.push_method,
            "verification": self.verification_steps(), "existing_tags": self.existing_tags, "warnings": self.warnings,
        }

    def verification_steps(self) -> list[str]:
        spec = self.spec
        ref = f"{spec.image}@<index digest>"
        steps = [f"read {ref}: the index lists {', '.join(spec.platforms)}"]
        if spec.verify == "none":
            return [*steps, "--verify none: no platform is run (the report says so)"]
        version = f"; `{' '.join(spec.version_command)}` prints {self.semver} first" if spec.version_command else ""
        for p in spec.platforms:
            if spec.verify == "run":
                expect = f", output matches /{spec.expect_output}/" if spec.expect_output else ""
                check = f"run `{' '.join(spec.run_command)}`: exit 0{expect}"
            else:
                check = f"run it, GET {', '.join(spec.health_paths)} -> 2xx"
            steps.append(f"{p}: docker pull --platform {p} {ref}; {check}{version}")
        return steps


def check_git(spec: ReleaseSpec) -> GitState:
    """The git state of the context; an InputError for a dirty tree unless ``allow_dirty``."""
    state = git_state(spec.context)
    if spec.allow_dirty:
        return state
    if not state.repo:
        raise InputError(
            f"{spec.context} is not in a git repository: a release records the commit it was built from",
            "commit the sources, or pass --allow-dirty to release without a revision",
        )
    if state.dirty_files:
        more = len(state.dirty_files) - 5
        shown = ", ".join(state.dirty_files[:5]) + (f" and {more} more" if more > 0 else "")
        raise InputError(
            f"the git tree has uncommitted changes ({shown}): a release must match its commit",
            "commit or stash them, or pass --allow-dirty",
        )
    return state


def release_labels(spec: ReleaseSpec, vinfo: versioning.VersionInfo, git: GitState) -> dict[str, str]:
    labels = {
        "org.opencontainers.image.version": spec.version,
        "org.opencontainers.image.created": vinfo.build_time,
        "org.opencontainers.image.title": spec.title or spec.image.rsplit("/", 1)[-1],
    }
    if git.revision:
        labels["org.opencontainers.image.revision"] = git.revision
    source = spec.source or git.remote
    if source:
        labels["org.opencontainers.image.source"] = source
    return labels


def release_annotations(spec: ReleaseSpec, labels: dict[str, str]) -> list[annotating.Annotation]:
    """The OCI annotations of the index (from the labels, and a description), then the user's (which win)."""
    title = labels.get("org.opencontainers.image.title", "")
    found = annotating.default_index_annotations(labels, spec.description or f"{title} {spec.version}".strip())
    if len(spec.platforms) == 1:
        # BuildKit: "index annotations not supported for single platform export" (there is no index):
        # the same annotations go on the one manifest.
        found = [annotating.Annotation("manifest", a.key, a.value, a.platform) for a in found]
    for raw in spec.annotations:
        found.extend(annotating.parse(raw))
    unique = {(a.kind, a.platform, a.key): a for a in found}  # a later one replaces an earlier one
    return list(unique.values())


def _provenance(spec: ReleaseSpec) -> bool | str:
    """buildx's --provenance for the release. One platform without provenance would give BuildKit no index
    to write (a bare manifest, which release's push, verify and tagging do not take): it keeps mode=min."""
    if spec.provenance == "false":
        return "mode=min" if len(spec.platforms) == 1 else False
    return f"mode={spec.provenance}"


def with_annotations(output: str, found: list[annotating.Annotation]) -> str:
    return f"{output},{annotating.output_attributes(found)}" if found else output


def image_output(method: PushMethod, image: str, layout_dir: Path | None) -> str:
    # rewrite-timestamp (BuildKit >= 0.13) clamps file times in the layers to SOURCE_DATE_EPOCH:
    # without it, two builds of one commit differ in every layer a RUN step wrote.
    if method == "buildkit":
        return f"type=image,name={image},push-by-digest=true,name-canonical=true,push=true,rewrite-timestamp=true"
    return csvspec.spec(("type", "oci"), ("tar", "false"), ("dest", layout_dir), ("rewrite-timestamp", "true"))


def plan_release(
    spec: ReleaseSpec,
    *,
    existing_tags: list[str] | None,
    push_method: PushMethod,
    git: GitState,
    layout_dir: Path | None = None,
    env: dict[str, str] | None = None,
) -> ReleasePlan:
    """Plan ``spec``: tags from ``existing_tags`` (the repository's), labels, and the BuildSpec to run."""
    try:
        vinfo = resolve_version(spec.context, spec.version, spec.build_time, env=env)
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    warnings: list[str] = []
    revision = git.revision if git.repo and not git.dirty_files else None
    if git.repo and git.dirty_files:
        warnings.append(f"releasing a dirty tree ({len(git.dirty_files)} changed files): no sha- tag")
    if existing_tags is None:
        warnings.append("the registry's tags could not be read: latest and X.Y/X are decided when releasing")
    tag_plan = plan_tags(spec.semver, existing_tags or [], latest=spec.latest, revision=revision)
    if spec.semver.build:
        tag_plan.notes.insert(0, f"'+' is not allowed in a Docker tag: {spec.version} is tagged {spec.semver.tag}")
    labels = release_labels(spec, vinfo, git)
    # buildx's metadata file goes in the release's scratch directory (removed after use, swept after a kill),
    # not buildorch-metadata-PID.json in /tmp, where nothing removes it
    metadata_file = layout_dir.parent / "build-metadata.json" if layout_dir is not None else None
    if push_method == "upload" and layout_dir is None:
        layout_dir = Path("<temporary directory>")  # a plan for --dry-run; release() passes a real one
    try:
        build = BuildSpec(
            context=spec.context,
            dockerfile=spec.dockerfile,
            target=spec.target,
            platforms=spec.platforms,
            build_args=spec.build_args,
            secrets=spec.secrets,
            version=spec.version,
            build_time=vinfo.build_time,
            labels=labels,
            output=with_annotations(image_output(push_method, spec.image, layout_dir), release_annotations(spec, labels)),
            builder=spec.builder,
            no_cache=spec.no_cache,
            progress=spec.progress,
            cache=CachePolicy(kind="registry", ref=f"{spec.image}:buildcache"),
            provenance=_provenance(spec),
            metadata_file=metadata_file,
        )
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    return ReleasePlan(
        spec=spec,
        semver=spec.semver,
        tags=tag_plan.tags,
        tag_notes=tag_plan.notes,
        existing_tags=existing_tags,
        labels=labels,
        build=build,
        push_method=push_method,
        version=vinfo,
        git=git,
        layout_dir=layout_dir,
        warnings=warnings,
    )
