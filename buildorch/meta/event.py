"""What triggered this run, from the CI's environment: the context metadata-action works from.

GitHub Actions is read as metadata-action reads it (``GITHUB_REF``, ``GITHUB_SHA``,
``GITHUB_EVENT_NAME`` and the event payload at ``GITHUB_EVENT_PATH``); GitLab CI's variables
are mapped onto the same shape (a tag is ``refs/tags/X``, a merge request ``refs/pull/N/merge``,
so ``type=ref,event=pr`` tags it ``pr-N``); anywhere else git itself answers (a tag at HEAD,
else the branch; a detached HEAD has only its commit). Pure: the environment, the payload and
the git answers are passed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

Provider = Literal["github", "gitlab", "git"]


@dataclass
class Repository:
    """What the OCI labels say about the source (metadata-action asks GitHub's API; we read what CI gives)."""

    name: str = ""
    description: str = ""
    url: str = ""
    license: str = ""
    default_branch: str | None = None


@dataclass
class Event:
    """The ref and commit a run is for, as metadata-action's ``Context`` holds them."""

    provider: Provider
    event_name: str
    ref: str
    sha: str
    repo: Repository = field(default_factory=Repository)
    commit_date: datetime | None = None
    payload: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.provider}: {self.event_name} {self.ref or '(detached)'} {self.sha[:12]}".rstrip()


def detect(env: dict[str, str]) -> Provider:
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_REF"):
        return "github"
    if env.get("GITLAB_CI") == "true" or env.get("CI_COMMIT_SHA"):
        return "gitlab"
    return "git"


def read_payload(env: dict[str, str]) -> dict[str, Any]:
    """The event payload GitHub writes to ``GITHUB_EVENT_PATH``; ``{}`` when there is none."""
    path = env.get("GITHUB_EVENT_PATH")
    if not path or not Path(path).is_file():
        return {}
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"GITHUB_EVENT_PATH {path} is not a JSON file: {exc}") from exc
    return data if isinstance(data, dict) else {}


def _iso(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def from_github(env: dict[str, str], payload: dict[str, Any]) -> Event:
    """metadata-action's ``getContextFromWorkflow``: ``pull_request_target`` gets the PR's ref, and
    ``DOCKER_METADATA_PR_HEAD_SHA=true`` makes a pull request's commit its head, not the merge commit."""
    event_name = env.get("GITHUB_EVENT_NAME", "")
    ref = env.get("GITHUB_REF", "")
    sha = env.get("GITHUB_SHA", "")
    if "pull_request_target" in event_name and payload.get("number") is not None:
        ref = f"refs/pull/{payload['number']}/merge"
    head = (payload.get("pull_request") or {}).get("head") or {}
    if env.get("DOCKER_METADATA_PR_HEAD_SHA", "").lower() == "true" and "pull_request" in event_name and head.get("sha"):
        sha = head["sha"]
    repository = payload.get("repository") or {}
    full = env.get("GITHUB_REPOSITORY", "")
    server = env.get("GITHUB_SERVER_URL", "https://github.com")
    license_ = repository.get("license") or {}
    repo = Repository(
        name=repository.get("name") or full.rpartition("/")[2],
        description=repository.get("description") or "",
        url=repository.get("html_url") or (f"{server}/{full}" if full else ""),
        license=(license_.get("spdx_id") or "") if isinstance(license_, dict) else "",
        default_branch=repository.get("default_branch") or None,
    )
    commit_date = None
    for commit in payload.get("commits") or []:
        if commit.get("id") == sha:
            commit_date = _iso(commit.get("timestamp"))
    head_commit = payload.get("head_commit") or {}
    if commit_date is None and head_commit.get("id") == sha:
        commit_date = _iso(head_commit.get("timestamp"))
    return Event("github", event_name, ref, sha, repo, commit_date, payload)


def from_gitlab(env: dict[str, str]) -> Event:
    """GitLab CI's predefined variables in metadata-action's shape."""
    if env.get("CI_COMMIT_TAG"):
        ref, event_name = f"refs/tags/{env['CI_COMMIT_TAG']}", "push"
    elif env.get("CI_MERGE_REQUEST_IID"):
        ref, event_name = f"refs/pull/{env['CI_MERGE_REQUEST_IID']}/merge", "pull_request"
    elif env.get("CI_COMMIT_BRANCH"):
        ref, event_name = f"refs/heads/{env['CI_COMMIT_BRANCH']}", "push"
    else:
        ref, event_name = "", "push"
    if env.get("CI_PIPELINE_SOURCE") == "schedule":
        event_name = "schedule"
    default_branch = env.get("CI_DEFAULT_BRANCH") or None
    repo = Repository(
        name=env.get("CI_PROJECT_NAME", ""),
        description=env.get("CI_PROJECT_DESCRIPTION", ""),
        url=env.get("CI_PROJECT_URL", ""),
        default_branch=default_branch,
    )
    # metadata-action's {{is_default_branch}} reads payload.repository.default_branch: give it one.
    payload = {"repository": {"default_branch": default_branch}} if default_branch else {}
    sha = env.get("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA") if env.get("DOCKER_METADATA_PR_HEAD_SHA", "").lower() == "true" else None
    return Event(
        "gitlab", event_name, ref, sha or env.get("CI_COMMIT_SHA", ""), repo, _iso(env.get("CI_COMMIT_TIMESTAMP")), payload
    )


@dataclass
class GitFacts:
    """What git says about HEAD (``engine/git.meta_facts``): the input of :func:`from_git`."""

    sha: str = ""
    branch: str | None = None
    tags_at_head: list[str] = field(default_factory=list)
    default_branch: str | None = None
    remote_url: str | None = None
    commit_date: datetime | None = None
    all_tags: list[str] = field(default_factory=list)


def from_git(facts: GitFacts, pick_tag: Any = None) -> Event:
    """Plain git: a tag at HEAD wins (the highest semver when several), else the branch, else detached.

    ``pick_tag`` chooses among several tags at HEAD (the caller passes the semver-aware choice).
    """
    if facts.tags_at_head:
        tag = pick_tag(facts.tags_at_head) if pick_tag else sorted(facts.tags_at_head)[-1]
        ref = f"refs/tags/{tag}"
    elif facts.branch:
        ref = f"refs/heads/{facts.branch}"
    else:
        ref = ""
    url = facts.remote_url or ""
    repo = Repository(name=url.rstrip("/").rpartition("/")[2], url=url, default_branch=facts.default_branch)
    payload = {"repository": {"default_branch": facts.default_branch}} if facts.default_branch else {}
    return Event("git", "push", ref, facts.sha, repo, facts.commit_date, payload)
