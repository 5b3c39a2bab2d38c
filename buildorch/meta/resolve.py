"""``buildorch meta`` end to end: the configuration, flags over it, the event, git's tags, the rules."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from buildorch.core.errors import InputError
from buildorch.engine import git
from buildorch.meta import config, event, inputs, rules


@dataclass
class MetaRequest:
    """What the user asked: flags (None: the config file's value) and where to look."""

    context: Path = Path(".")
    images: list[str] | None = None
    tags: list[str] | None = None
    flavor: list[str] | None = None
    labels: list[str] | None = None
    annotations: list[str] | None = None
    bake_target: str | None = None
    config_file: Path | None = None
    env: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    now: datetime | None = None


def git_facts(path: Path) -> event.GitFacts:
    """HEAD's commit, branch, tags and the origin's default branch; empty facts outside a repository."""
    sha = git.output(path, "rev-parse", "HEAD") or ""
    if not sha:
        return event.GitFacts()
    origin_head = git.output(path, "symbolic-ref", "-q", "--short", "refs/remotes/origin/HEAD")
    remote = git.output(path, "config", "--get", "remote.origin.url")
    when = git.output(path, "log", "-1", "--format=%cI")
    return event.GitFacts(
        sha=sha,
        branch=git.output(path, "symbolic-ref", "-q", "--short", "HEAD"),
        tags_at_head=(git.output(path, "tag", "--points-at", "HEAD") or "").split(),
        default_branch=origin_head.partition("/")[2] if origin_head else None,
        remote_url=git.public_url(remote) if remote else None,
        commit_date=datetime.fromisoformat(when) if when else None,
        all_tags=(git.output(path, "tag", "--list") or "").split(),
    )


def _highest(tags: list[str]) -> str:
    """Among several tags at HEAD, the highest semver one (else the last by name)."""
    versions = [(v, t) for t in tags if (v := rules.node_semver(t)) is not None]
    return max(versions)[1] if versions else sorted(tags)[-1]


def read_event(env: dict[str, str], facts: event.GitFacts) -> event.Event:
    provider = event.detect(env)
    if provider == "github":
        return event.from_github(env, event.read_payload(env))
    if provider == "gitlab":
        return event.from_gitlab(env)
    return event.from_git(facts, _highest)


def compute_meta(req: MetaRequest) -> tuple[rules.Meta, event.Event]:
    """The meta of ``req``; every bad input is an :class:`InputError` naming what to fix."""
    try:
        cfg = config.load(req.config_file, req.context)
        facts = git_facts(req.context)
        ev = read_event(req.env, facts)
        levels = [x.strip() for x in req.env.get("DOCKER_METADATA_ANNOTATIONS_LEVELS", "manifest").split(",") if x.strip()]
        length = req.env.get("DOCKER_METADATA_SHORT_SHA_LENGTH", str(rules.SHORT_SHA))
        if not length.isdigit():
            raise ValueError(f"DOCKER_METADATA_SHORT_SHA_LENGTH is not a number: {length!r}")
        spec = rules.MetaInputs(
            tags=inputs.parse_tags(inputs.input_lines(req.tags) if req.tags is not None else cfg.tags),
            flavor=inputs.parse_flavor(inputs.input_lines(req.flavor) if req.flavor is not None else cfg.flavor),
            images=inputs.parse_images(inputs.input_lines(req.images) if req.images is not None else cfg.images),
            labels=inputs.check_text(inputs.input_lines(req.labels) if req.labels is not None else cfg.labels, "label"),
            annotations=inputs.check_text(
                inputs.input_lines(req.annotations) if req.annotations is not None else cfg.annotations, "annotation"
            ),
            annotation_levels=levels,
            bake_target=req.bake_target or cfg.bake_target,
            known_versions=facts.all_tags,
            short_sha_length=int(length),
            now=req.now or _now(req.env),
        )
        return rules.compute(ev, spec), ev
    except ValueError as exc:
        raise InputError(str(exc), "see docs/meta.md for the tags, flavor and images lines") from exc


def _now(env: dict[str, str]) -> datetime:
    """The ``created`` time: SOURCE_DATE_EPOCH when set (reproducible labels), else now, as metadata-action."""
    epoch = env.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC)
