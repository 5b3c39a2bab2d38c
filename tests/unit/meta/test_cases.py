"""``buildorch meta`` against metadata-action's documented outputs, case by case (tests/unit/meta/cases.py)."""

from __future__ import annotations

import json

import pytest

from buildorch.meta import event, inputs, rules
from tests.recorded import ROOT
from tests.unit.meta.cases import CASES, NOW, Case, readme_block, table


def meta_of(case: Case, tmp_path_factory: pytest.TempPathFactory | None = None) -> rules.Meta:
    if case.provider == "github":
        ev = event.from_github(case.env, case.payload)
    elif case.provider == "gitlab":
        ev = event.from_gitlab(case.env)
    else:
        ev = event.from_git(event.GitFacts(**case.git))  # type: ignore[arg-type]
    spec = rules.MetaInputs(
        tags=inputs.parse_tags(case.tags), flavor=inputs.parse_flavor(case.flavor), known_versions=case.known, now=NOW
    )
    return rules.compute(ev, spec)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_tags_are_metadata_actions(case: Case) -> None:
    assert meta_of(case).tag_names == case.expected


def test_at_least_25_cases_covering_the_issue() -> None:
    names = {c.name for c in CASES}
    assert len(CASES) >= 25
    for needed in (
        "semver: tag v1.2.3",
        "semver: tag v1.2.3-rc.1",
        "v2.0.0 when v10.0.0 exists",
        "default branch main",
        "feature branch with /",
        "PR 42",
        "schedule",
        "detached SHA",
        "GitLab tag",
        "GitLab merge request",
    ):
        assert needed in names


def test_readme_shows_the_same_table() -> None:
    assert readme_block((ROOT / "README.md").read_text()) == "\n".join(table()), (
        "README's meta table differs from tests/unit/meta/cases.py: run python -m tests.unit.meta.cases"
    )


def test_bake_file_is_metadata_actions_form() -> None:
    """The README's bake-file example (refs/tags/v1.2.3, semver + sha) in the same shape and order."""
    ev = event.from_github(
        {
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_REF": "refs/tags/v1.2.3",
            "GITHUB_SHA": "860c1904a1ce19322e91ac35af1ab07466440c37",
            "GITHUB_REPOSITORY": "octocat/Hello-World",
        },
        {
            "repository": {
                "name": "Hello-World",
                "description": "This your first repo!",
                "html_url": "https://github.com/octocat/Hello-World",
                "license": {"spdx_id": "MIT"},
            }
        },
    )
    spec = rules.MetaInputs(
        tags=inputs.parse_tags(
            [
                "type=ref,event=branch",
                "type=ref,event=pr",
                "type=semver,pattern={{version}}",
                "type=semver,pattern={{major}}.{{minor}}",
                "type=sha",
            ]
        ),
        images=inputs.parse_images(["name/app"]),
        now=NOW,
    )
    bake = rules.compute(ev, spec).bake_file()
    target = bake["target"]["docker-metadata-action"]
    assert target["tags"] == ["name/app:1.2.3", "name/app:1.2", "name/app:sha-860c190", "name/app:latest"]
    assert target["args"] == {"DOCKER_META_IMAGES": "name/app", "DOCKER_META_VERSION": "1.2.3"}
    assert target["labels"] == {
        "org.opencontainers.image.created": "2020-01-10T00:30:00.000Z",
        "org.opencontainers.image.description": "This your first repo!",
        "org.opencontainers.image.licenses": "MIT",
        "org.opencontainers.image.revision": "860c1904a1ce19322e91ac35af1ab07466440c37",
        "org.opencontainers.image.source": "https://github.com/octocat/Hello-World",
        "org.opencontainers.image.title": "Hello-World",
        "org.opencontainers.image.url": "https://github.com/octocat/Hello-World",
        "org.opencontainers.image.version": "1.2.3",
    }
    assert list(bake) == ["target"] and list(target) == ["tags", "labels", "args"]
    json.dumps(bake)


def test_no_version_leaves_docker_meta_version_out() -> None:
    ev = event.from_git(event.GitFacts())
    meta = rules.compute(ev, rules.MetaInputs(tags=inputs.parse_tags(["type=ref,event=branch"]), now=NOW))
    assert meta.version is None and meta.tags == []
    assert "DOCKER_META_VERSION" not in meta.bake_file()["target"]["docker-metadata-action"]["args"]


def test_user_labels_win_and_annotations_have_levels() -> None:
    ev = event.from_github({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": "abc"}, {})
    spec = rules.MetaInputs(
        tags=inputs.parse_tags([]),
        labels=["org.opencontainers.image.title=Mine", "maintainer={{branch}}", "no-equals-sign"],
        annotations=["org.opencontainers.image.vendor=Example"],
        annotation_levels=["manifest", "index"],
        now=NOW,
    )
    meta = rules.compute(ev, spec)
    assert meta.labels["org.opencontainers.image.title"] == "Mine"
    assert meta.labels["maintainer"] == "main"
    assert "no-equals-sign" not in meta.labels
    assert "index:org.opencontainers.image.vendor=Example" in meta.annotations
    assert "manifest:org.opencontainers.image.version=main" in meta.annotations


def test_pr_head_sha_when_asked() -> None:
    env = {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_REF": "refs/pull/3/merge",
        "GITHUB_SHA": "a" * 40,
        "DOCKER_METADATA_PR_HEAD_SHA": "true",
    }
    ev = event.from_github(env, {"pull_request": {"head": {"sha": "b" * 40}}})
    assert rules.compute(ev, rules.MetaInputs(tags=inputs.parse_tags(["type=sha"]), now=NOW)).tag_names == ["sha-bbbbbbb"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("type=semver", "missing pattern"),
        ("type=ref", "event=branch"),
        ("type=nope,value=x", "unknown tag type"),
        ("type=pep440,pattern={{version}}", "not supported"),
        ("type=sha,format=medium", "short or long"),
        ("type=raw,value=x,priority=high", "priority"),
    ],
)
def test_bad_tag_lines_say_what_to_fix(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        inputs.parse_tag(line)


def test_bad_enable_and_unknown_expression() -> None:
    ev = event.from_github({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": "refs/heads/main", "GITHUB_SHA": "abc"}, {})
    with pytest.raises(ValueError, match="invalid enable"):
        rules.compute(ev, rules.MetaInputs(tags=inputs.parse_tags(["type=raw,value=x,enable=maybe"]), now=NOW))
    with pytest.raises(ValueError, match="unknown expression"):
        rules.compute(ev, rules.MetaInputs(tags=inputs.parse_tags(["type=raw,value={{nope}}"]), now=NOW))


def test_flavor_errors() -> None:
    with pytest.raises(ValueError, match="auto, true or false"):
        inputs.parse_flavor(["latest=sometimes"])
    with pytest.raises(ValueError, match="unknown flavor"):
        inputs.parse_flavor(["colour=blue"])
