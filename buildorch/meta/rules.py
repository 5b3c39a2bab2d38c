"""Tags, version and OCI labels from an :class:`Event`: docker/metadata-action's ``src/meta.ts``, ported.

Each tag rule, highest priority first, may give a value; the first value is the version,
the others follow it; ``latest`` is added when the first rule that gave a value says so
(``flavor latest=auto``: a stable ``type=semver``, ``type=ref,event=tag``, ``type=match``).

Two deliberate differences, both documented in docs/meta.md:
* ``latest`` for a version tag also needs that no higher stable version is known (git's tags):
  metadata-action moves ``latest`` back to ``v2.0.1`` after ``v10.0.0`` was released.
* A tag is made valid, not only cleaned: after metadata-action's replacement of invalid
  characters by ``-``, a leading ``.`` or ``-`` is dropped and it is cut to 128 characters,
  where Docker would refuse the tag metadata-action writes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from buildorch.core.semver import SemVer
from buildorch.meta import template
from buildorch.meta.event import Event
from buildorch.meta.inputs import Flavor, Image, TagRule

SHORT_SHA = 7
_TAG_BAD = re.compile(r"[^a-zA-Z0-9._-]+")


def sanitize_tag(text: str) -> str:
    """A valid Docker tag from ``text`` (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``), or ``""``.

    >>> sanitize_tag("feature/login#2")
    'feature-login-2'
    >>> sanitize_tag("-rc/.x")
    'rc-.x'
    """
    return _TAG_BAD.sub("-", text).lstrip(".-")[:128]


def node_semver(text: str) -> SemVer | None:
    """A version as node-semver's ``valid()`` reads it: a leading ``v`` or ``=`` and spaces are allowed."""
    cleaned = text.strip().lstrip("=v").strip()
    return SemVer.try_parse(cleaned)


@dataclass
class MetaInputs:
    """Everything metadata-action takes as inputs, plus the versions that already exist (for ``latest``)."""

    tags: list[TagRule]
    flavor: Flavor = field(default_factory=Flavor)
    images: list[Image] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    annotations: list[str] = field(default_factory=list)
    annotation_levels: list[str] = field(default_factory=lambda: ["manifest"])
    bake_target: str = "docker-metadata-action"
    known_versions: list[str] = field(default_factory=list)
    short_sha_length: int = SHORT_SHA
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class Meta:
    """What ``buildorch meta`` computes."""

    version: str | None
    tags: list[str]
    tag_names: list[str]
    labels: dict[str, str]
    annotations: list[str]
    latest: bool
    images: list[str]
    bake_target: str
    warnings: list[str] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        """metadata-action's ``json`` output, with the version beside it."""
        return {
            "version": self.version,
            "tags": self.tags,
            "tag-names": self.tag_names,
            "labels": self.labels,
            "annotations": self.annotations,
        }

    def bake_file(self) -> dict[str, Any]:
        """metadata-action's ``bake-file`` (tags, labels and args of one target), as a dict to dump."""
        args = {"DOCKER_META_IMAGES": ",".join(self.images)}
        if self.version is not None:  # JSON.stringify leaves an undefined value out
            args["DOCKER_META_VERSION"] = self.version
        return {"target": {self.bake_target: {"tags": self.tags, "labels": self.labels, "args": args}}}


class _Version:
    def __init__(self) -> None:
        self.main: str | None = None
        self.partial: list[str] = []
        self.latest: bool | None = None

    def add(self, value: str, latest: bool) -> None:
        if not value:
            return
        value = sanitize_tag(value)
        if not value:
            return
        if self.main is None:
            self.main = value
        elif value != self.main and value not in self.partial:
            self.partial.append(value)
        if self.latest is None:
            self.latest = latest


class _Computation:
    def __init__(self, event: Event, inputs: MetaInputs) -> None:
        self.event, self.inputs, self.flavor = event, inputs, inputs.flavor
        self.warnings: list[str] = []

    # --- metadata-action's global expressions (prefix, suffix, value, enable, labels)
    def short_sha(self, sha: str) -> str:
        n = self.inputs.short_sha_length
        return sha if n >= len(sha) else sha[:n]

    def ref_after(self, prefix: str) -> str:
        ref = self.event.ref
        return ref[len(prefix) :] if ref.startswith(prefix) else ""

    def is_default_branch(self) -> str:
        branch = self.event.ref.removeprefix("refs/heads/")
        if not branch:
            return "false"
        if (self.event.payload.get("repository") or {}).get("default_branch") == branch:
            return "true"
        # events that always run for the last commit of the default branch
        if any(e in self.event.event_name for e in ("create", "discussion", "issues", "schedule")):
            return "true"
        return "false"

    def base_ref(self) -> str:
        payload = self.event.payload
        if self.event.ref.startswith("refs/tags/") and payload.get("base_ref") is not None:
            return str(payload["base_ref"]).removeprefix("refs/heads/")
        base = ((payload.get("pull_request") or {}).get("base") or {}).get("ref")
        if self.event.ref.startswith("refs/pull/") and base is not None:
            return str(base)
        return ""

    def global_values(self) -> dict[str, Any]:
        commit = self.event.commit_date or self.inputs.now
        return {
            "branch": self.ref_after("refs/heads/"),
            "tag": self.ref_after("refs/tags/"),
            "sha": self.short_sha(self.event.sha),
            "base_ref": self.base_ref(),
            "is_default_branch": self.is_default_branch(),
            "is_not_default_branch": "true" if self.is_default_branch() == "false" else "false",
            "date": template.date_helper(self.inputs.now),
            "commit_date": template.date_helper(commit),
        }

    def glob(self, text: str) -> str:
        return template.render(text, self.global_values())

    def with_affixes(self, value: str, rule: TagRule) -> str:
        if "prefix" in rule.attrs:
            value = self.glob(rule.attrs["prefix"]) + value
        elif self.flavor.prefix:
            value = self.glob(self.flavor.prefix) + value
        if "suffix" in rule.attrs:
            value = value + self.glob(rule.attrs["suffix"])
        elif self.flavor.suffix:
            value = value + self.glob(self.flavor.suffix)
        return value

    def latest_for(self, auto: bool) -> bool:
        return auto if self.flavor.latest == "auto" else self.flavor.latest == "true"

    def highest_known(self, version: SemVer) -> bool:
        """buildorch's rule: no stable version above ``version`` among the known ones."""
        known = [v for v in (node_semver(t) for t in self.inputs.known_versions) if v and not v.is_prerelease]
        return all(v <= version for v in known)

    # --- one method per tag type, in meta.ts's order
    def tag_value(self, rule: TagRule) -> str:
        """The git tag (or the rule's own ``value=``) that semver and match rules read; "" when none."""
        if rule.attrs.get("value"):
            return self.glob(rule.attrs["value"])
        return self.ref_after("refs/tags/")

    def schedule(self, v: _Version, rule: TagRule) -> None:
        if "schedule" not in self.event.event_name:
            return
        commit = self.event.commit_date or self.inputs.now
        raw = template.render(
            rule.attrs["pattern"],
            {"date": template.date_helper(self.inputs.now), "commit_date": template.date_helper(commit)},
        )
        v.add(self.with_affixes(raw, rule), self.latest_for(False))

    def semver(self, v: _Version, rule: TagRule) -> None:
        raw = self.tag_value(rule)
        if not raw:
            return
        if rule.attrs["match"]:
            m = re.search(rule.attrs["match"], raw)
            if not m:
                self.warnings.append(f"{rule.attrs['match']} does not match {raw}")
            else:
                raw = m.group(1) if m.groups() else m.group(0)
        raw = raw.replace("/", "-")
        sver = node_semver(raw)
        if sver is None:
            self.warnings.append(f"{raw} is not a valid semver: no tag from {rule.line!r}")
            return
        values = {
            "raw": raw,
            "version": f"{sver.major}.{sver.minor}.{sver.patch}" + ("-" + ".".join(sver.prerelease) if sver.prerelease else ""),
            "major": sver.major,
            "minor": sver.minor,
            "patch": sver.patch,
        }
        pattern = rule.attrs["pattern"]
        if sver.is_prerelease:
            # a pre-release only ever gets its full version (or {{raw}}): never 1.2 or 1
            out = template.render(pattern if template.is_only(pattern, "raw") else "{{version}}", values)
            latest = False
        else:
            out = template.render(pattern, values)
            latest = self.highest_known(sver)
        v.add(self.with_affixes(out, rule), self.latest_for(latest))

    def match(self, v: _Version, rule: TagRule) -> None:
        raw = self.tag_value(rule)
        if not raw:
            return
        pattern = rule.attrs["pattern"]
        regex = re.fullmatch(r"/(.+)/(.*)", pattern)
        flags = re.I if regex and "i" in regex.group(2) else 0
        m = re.search(regex.group(1) if regex else pattern, raw, flags)
        group = int(rule.attrs["group"])
        if not m or group > len(m.groups()) or m.group(group) is None:
            self.warnings.append(f"{pattern} does not match {raw} (group {group}): no tag from {rule.line!r}")
            return
        v.add(self.with_affixes(m.group(group), rule), self.latest_for(True))

    def ref(self, v: _Version, rule: TagRule) -> None:
        event = rule.attrs["event"]
        if event == "branch" and self.event.ref.startswith("refs/heads/"):
            v.add(self.with_affixes(self.ref_after("refs/heads/"), rule), self.latest_for(False))
        elif event == "tag" and self.event.ref.startswith("refs/tags/"):
            name = self.ref_after("refs/tags/")
            sver = node_semver(name)
            auto = sver is None or sver.is_prerelease or self.highest_known(sver)
            v.add(self.with_affixes(name, rule), self.latest_for(auto))
        elif event == "pr" and self.event.ref.startswith("refs/pull/"):
            number = self.ref_after("refs/pull/").removesuffix("/merge")
            v.add(self.with_affixes(number, rule), self.latest_for(False))

    def edge(self, v: _Version, rule: TagRule) -> None:
        if not self.event.ref.startswith("refs/heads/"):
            return
        branch = rule.attrs["branch"] or self.event.repo.default_branch
        if branch != self.ref_after("refs/heads/"):
            return
        v.add(self.with_affixes("edge", rule), self.latest_for(False))

    def raw(self, v: _Version, rule: TagRule) -> None:
        v.add(self.with_affixes(self.glob(rule.attrs["value"]), rule), self.latest_for(False))

    def sha(self, v: _Version, rule: TagRule) -> None:
        if not self.event.sha:
            return
        value = self.short_sha(self.event.sha) if rule.attrs["format"] == "short" else self.event.sha
        v.add(self.with_affixes(value, rule), self.latest_for(False))


def compute(event: Event, inputs: MetaInputs) -> Meta:
    """Tags, version, labels and annotations for ``event``; ``ValueError`` for a bad rule."""
    c = _Computation(event, inputs)
    v = _Version()
    for rule in inputs.tags:
        enabled = c.glob(rule.attrs["enable"]).strip().lower()
        if enabled not in ("true", "false"):
            raise ValueError(f"invalid enable value {enabled!r} in {rule.line!r}: true or false")
        if enabled == "true":
            getattr(c, rule.type)(v, rule)
    latest = bool(v.latest)
    names: list[str] = []
    if v.main:
        names = [v.main, *v.partial]
        if latest:
            f = inputs.flavor
            latest_tag = f"{f.prefix if f.prefix_latest else ''}latest{f.suffix if f.suffix_latest else ''}"
            names.append(sanitize_tag(latest_tag))
    images = [i.name.lower() for i in inputs.images if i.enable]
    tags = [f"{image}:{n}" for image in images for n in names] if images else list(names)
    labels = _oci(c, v.main, inputs.labels)
    annotations = [
        f"{level}:{k}={val}" for level in inputs.annotation_levels for k, val in _oci(c, v.main, inputs.annotations).items()
    ]
    return Meta(v.main, tags, names, labels, annotations, latest, images, inputs.bake_target, c.warnings)


def _oci(c: _Computation, version: str | None, extra: list[str]) -> dict[str, str]:
    """The eight ``org.opencontainers.image.*`` keys, then the user's (which win), sorted by key."""
    repo, created = c.event.repo, c.inputs.now.astimezone(UTC)
    pairs = [
        ("org.opencontainers.image.title", repo.name),
        ("org.opencontainers.image.description", repo.description),
        ("org.opencontainers.image.url", repo.url),
        ("org.opencontainers.image.source", repo.url),
        ("org.opencontainers.image.version", version or ""),
        ("org.opencontainers.image.created", created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z"),
        ("org.opencontainers.image.revision", c.event.sha),
        ("org.opencontainers.image.licenses", repo.license),
    ]
    for line in extra:
        key, sep, value = c.glob(line).partition("=")
        if sep:
            pairs.append((key, value))
    return dict(sorted(dict(pairs).items()))
