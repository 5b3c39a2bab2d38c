"""The event cases of ``buildorch meta``: one table, read by the test and written into the README.

Expected tags come from docker/metadata-action's README for the same configuration (the
section is named in ``source``); "buildorch" in ``source`` marks the one documented difference
(``latest`` needs the highest stable version). Run ``python -m tests.unit.meta.cases`` to
rewrite the README's table after changing a case; a test fails while they differ.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"
NOW = datetime(2020, 1, 10, 0, 30, tzinfo=UTC)
BASIC: list[str] = []  # no tags input: metadata-action's defaults
SEMVER = [
    "type=ref,event=branch",
    "type=ref,event=pr",
    "type=semver,pattern={{version}}",
    "type=semver,pattern={{major}}.{{minor}}",
]
FULL = [*SEMVER, "type=semver,pattern={{major}}"]
BRANCHES = ["type=edge", "type=ref,event=branch"]


@dataclass
class Case:
    name: str
    provider: str  # github, gitlab or git
    env: dict[str, str]
    tags: list[str]
    expected: list[str]
    source: str
    flavor: list[str] = field(default_factory=list)
    payload: dict[str, object] = field(default_factory=dict)
    known: list[str] = field(default_factory=list)  # git tags that exist (for latest)
    git: dict[str, object] = field(default_factory=dict)  # plain git facts

    @property
    def event_text(self) -> str:
        if self.provider == "github":
            return f"GitHub `{self.env.get('GITHUB_EVENT_NAME')}` `{self.env.get('GITHUB_REF')}`"
        if self.provider == "gitlab":
            shown = {k: v for k, v in self.env.items() if k != "CI_COMMIT_SHA"}
            return "GitLab " + ", ".join(f"`{k}={v}`" for k, v in shown.items())
        return "git " + ", ".join(f"`{k}={v}`" for k, v in self.git.items() if k != "sha") if self.git else "git"


def gh(event: str, ref: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event,
        "GITHUB_REF": ref,
        "GITHUB_SHA": SHA,
        "GITHUB_REPOSITORY": "octocat/Hello-World",
        **extra,
    }


def gl(**vars_: str) -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_COMMIT_SHA": SHA, **vars_}


MAIN = {"repository": {"default_branch": "main"}}
CASES = [
    Case("basic: pull request", "github", gh("pull_request", "refs/pull/2/merge"), BASIC, ["pr-2"], "Usage, Basic"),
    Case("basic: push master", "github", gh("push", "refs/heads/master"), BASIC, ["master"], "Usage, Basic"),
    Case("basic: branch with /", "github", gh("push", "refs/heads/releases/v1"), BASIC, ["releases-v1"], "Usage, Basic"),
    Case("basic: tag", "github", gh("push", "refs/tags/v1.2.3"), BASIC, ["v1.2.3", "latest"], "Usage, Basic"),
    Case(
        "basic: pre-release tag",
        "github",
        gh("push", "refs/tags/v2.0.8-beta.67"),
        BASIC,
        ["v2.0.8-beta.67", "latest"],
        "Usage, Basic",
    ),
    Case("basic: workflow_dispatch", "github", gh("workflow_dispatch", "refs/heads/master"), BASIC, ["master"], "Usage, Basic"),
    Case("semver: pull request", "github", gh("pull_request", "refs/pull/2/merge"), SEMVER, ["pr-2"], "Usage, Semver"),
    Case("semver: push master", "github", gh("push", "refs/heads/master"), SEMVER, ["master"], "Usage, Semver"),
    Case("semver: tag v1.2.3", "github", gh("push", "refs/tags/v1.2.3"), SEMVER, ["1.2.3", "1.2", "latest"], "Usage, Semver"),
    Case(
        "semver: tag v2.0.8-beta.67", "github", gh("push", "refs/tags/v2.0.8-beta.67"), SEMVER, ["2.0.8-beta.67"], "Usage, Semver"
    ),
    Case(
        "semver: tag v1.2.3-rc.1",
        "github",
        gh("push", "refs/tags/v1.2.3-rc.1"),
        FULL,
        ["1.2.3-rc.1"],
        "type=semver (pre-release)",
    ),
    Case(
        "semver + sha: tag",
        "github",
        gh("push", "refs/tags/v1.2.3"),
        [*SEMVER, "type=sha"],
        ["1.2.3", "1.2", "sha-860c190", "latest"],
        "Bake definition",
    ),
    Case(
        "pattern {{raw}}",
        "github",
        gh("push", "refs/tags/v1.2.3"),
        ["type=semver,pattern={{raw}}"],
        ["v1.2.3", "latest"],
        "type=semver",
    ),
    Case(
        "pattern v{{major}}",
        "github",
        gh("push", "refs/tags/v1.2.3"),
        ["type=semver,pattern=v{{major}}"],
        ["v1", "latest"],
        "type=semver",
    ),
    Case(
        "semver match",
        "github",
        gh("push", "refs/tags/p1/v1.2.3"),
        [r"type=semver,pattern={{version}},match=v(\d.\d.\d)$"],
        ["1.2.3", "latest"],
        "type=semver",
    ),
    Case(
        "{{major}} of a pre-release",
        "github",
        gh("push", "refs/tags/v2.0.8-beta.67"),
        ["type=semver,pattern={{major}}"],
        ["2.0.8-beta.67"],
        "type=semver",
    ),
    Case("major zero", "github", gh("push", "refs/tags/v0.1.2"), SEMVER, ["0.1.2", "0.1", "latest"], "Major version zero"),
    Case(
        "v2.0.0 when v10.0.0 exists",
        "github",
        gh("push", "refs/tags/v2.0.0"),
        FULL,
        ["2.0.0", "2.0", "2"],
        "buildorch: latest only for the highest stable version",
        known=["v1.0.0", "v2.0.0", "v10.0.0"],
    ),
    Case(
        "v10.0.0 when v2.0.0 exists",
        "github",
        gh("push", "refs/tags/v10.0.0"),
        FULL,
        ["10.0.0", "10.0", "10", "latest"],
        "type=semver",
        known=["v2.0.0", "v10.0.0", "v11.0.0-rc.1"],
    ),
    Case("default branch main", "github", gh("push", "refs/heads/main"), BRANCHES, ["edge", "main"], "type=edge", payload=MAIN),
    Case(
        "feature branch with /",
        "github",
        gh("push", "refs/heads/feature/login"),
        BRANCHES,
        ["feature-login"],
        "type=ref",
        payload=MAIN,
    ),
    Case("PR 42", "github", gh("pull_request", "refs/pull/42/merge"), SEMVER, ["pr-42"], "type=ref", payload={"number": 42}),
    Case(
        "pull_request_target 42",
        "github",
        gh("pull_request_target", "refs/heads/main"),
        SEMVER,
        ["pr-42"],
        "context (pull_request_target)",
        payload={"number": 42},
    ),
    Case("schedule", "github", gh("schedule", "refs/heads/main"), ["type=schedule"], ["nightly"], "type=schedule"),
    Case(
        "schedule with date",
        "github",
        gh("schedule", "refs/heads/main"),
        ["type=schedule,pattern={{date 'YYYYMMDD'}}"],
        ["20200110"],
        "type=schedule",
    ),
    Case(
        "schedule date in Tokyo",
        "github",
        gh("schedule", "refs/heads/main"),
        ["type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}"],
        ["20200110-093000"],
        "type=schedule",
    ),
    Case("sha long", "github", gh("push", "refs/heads/main"), ["type=sha,format=long"], [f"sha-{SHA}"], "type=sha"),
    Case(
        "raw with {{branch}}-{{sha}}",
        "github",
        gh("push", "refs/heads/my/branch"),
        ["type=raw,value=mytag-{{branch}}-{{sha}}"],
        ["mytag-my-branch-860c190"],
        "Global expressions",
    ),
    Case(
        "latest on the default branch",
        "github",
        gh("push", "refs/heads/main"),
        ["type=ref,event=branch", "type=raw,value=latest,enable={{is_default_branch}}"],
        ["main", "latest"],
        "Latest tag",
        payload=MAIN,
    ),
    Case(
        "flavor prefix and suffix",
        "github",
        gh("push", "refs/tags/v1.2.3"),
        SEMVER,
        ["app-1.2.3-slim", "app-1.2-slim", "latest-slim"],
        "flavor input",
        flavor=["prefix=app-", "suffix=-slim,onlatest=true"],
    ),
    Case(
        "flavor latest=false",
        "github",
        gh("push", "refs/tags/v1.2.3"),
        SEMVER,
        ["1.2.3", "1.2"],
        "flavor input",
        flavor=["latest=false"],
    ),
    Case(
        "detached SHA",
        "git",
        {},
        ["type=ref,event=branch", "type=ref,event=tag", "type=sha"],
        ["sha-860c190"],
        "type=sha",
        git={"sha": SHA},
    ),
    Case(
        "git: tag at HEAD",
        "git",
        {},
        FULL,
        ["1.2.3", "1.2", "1", "latest"],
        "type=semver",
        git={"sha": SHA, "branch": "main", "tags_at_head": ["v1.2.3"]},
    ),
    Case("GitLab tag", "gitlab", gl(CI_COMMIT_TAG="v1.2.3"), FULL, ["1.2.3", "1.2", "1", "latest"], "type=semver"),
    Case("GitLab merge request", "gitlab", gl(CI_MERGE_REQUEST_IID="7"), SEMVER, ["pr-7"], "type=ref"),
    Case(
        "GitLab default branch",
        "gitlab",
        gl(CI_COMMIT_BRANCH="main", CI_DEFAULT_BRANCH="main"),
        BRANCHES,
        ["edge", "main"],
        "type=edge",
    ),
    Case(
        "GitLab schedule",
        "gitlab",
        gl(CI_COMMIT_BRANCH="main", CI_PIPELINE_SOURCE="schedule"),
        ["type=schedule"],
        ["nightly"],
        "type=schedule",
    ),
]


def table() -> list[str]:
    """The README's table: one row per case."""
    rows = ["| Case | Event | Tags input | Tags | Reference |", "|---|---|---|---|---|"]
    for c in CASES:
        tags = "<br>".join(f"`{t}`" for t in c.tags) or "(defaults)"
        if c.flavor:
            tags += "<br>flavor: " + ", ".join(f"`{f}`" for f in c.flavor)
        if c.known:
            tags += "<br>existing: " + ", ".join(f"`{k}`" for k in c.known)
        out = ", ".join(f"`{t}`" for t in c.expected)
        rows.append(f"| {c.name} | {c.event_text} | {tags.replace('|', '&#124;')} | {out} | {c.source} |")
    return rows


START, END = "<!-- meta-cases:start (python -m tests.unit.meta.cases) -->", "<!-- meta-cases:end -->"


def readme_block(text: str) -> str:
    return text.split(START, 1)[1].split(END, 1)[0].strip("\n") if START in text and END in text else ""


def write_readme(path: Path) -> None:
    text = path.read_text()
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    path.write_text(before + START + "\n" + "\n".join(table()) + "\n" + END + after)


if __name__ == "__main__":
    write_readme(Path(sys.argv[1] if len(sys.argv) > 1 else "README.md"))
