"""examples/ are checked: the GitLab file's structure, and every ``buildorch`` line in every example
is parsed by the real command (an unknown command or option fails here, not in someone's pipeline).
actionlint runs over the GitHub workflows in tests/integration/test_examples.py."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import typer.main
import yaml

from buildorch.cli.app import COMMANDS, make_app
from tests.recorded import ROOT

EXAMPLES = ROOT / "examples"
WORKFLOWS = sorted((EXAMPLES / "github-actions").glob("*.yml"))
GITLAB = EXAMPLES / "gitlab-ci.yml"
# keywords of .gitlab-ci.yml that are not jobs (docs.gitlab.com/ci/yaml)
GITLAB_GLOBAL = {
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
}


def gitlab_scripts(doc: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for name, job in doc.items():
        if name in GITLAB_GLOBAL or name.startswith("."):
            continue
        lines += job["script"]
    return lines


def workflow_scripts(doc: dict[str, Any]) -> list[str]:
    return [step["run"] for job in doc["jobs"].values() for step in job["steps"] if "run" in step]


def buildorch_lines(script: str) -> list[list[str]]:
    """Each ``buildorch ...`` command of a shell script, as argv (expressions and variables as placeholders)."""
    script = re.sub(r"\$\{\{.*?\}\}", "EXPR", script).replace("\\\n", " ")
    out = []
    for line in script.splitlines():
        line = line.strip()
        if line.startswith("buildorch "):
            out.append(shlex.split(line)[1:])
    return out


def all_invocations() -> list[tuple[str, list[str]]]:
    found = []
    for wf in WORKFLOWS:
        for script in workflow_scripts(yaml.safe_load(wf.read_text())):
            found += [(wf.name, argv) for argv in buildorch_lines(script)]
    for script in gitlab_scripts(yaml.safe_load(GITLAB.read_text())):
        found += [(GITLAB.name, argv) for argv in buildorch_lines(script)]
    return found


def test_gitlab_file_structure() -> None:
    doc = yaml.safe_load(GITLAB.read_text())
    stages = doc["stages"]
    assert isinstance(stages, list) and stages
    jobs = {n: j for n, j in doc.items() if n not in GITLAB_GLOBAL and not n.startswith(".")}
    assert jobs
    for name, job in jobs.items():
        assert job.get("stage") in stages, f"{name}: stage {job.get('stage')!r} is not in stages"
        assert isinstance(job["script"], list) and all(isinstance(s, str) for s in job["script"]), name
        assert set(job) <= {"stage", "script", "rules", "artifacts", "needs", "image", "services", "variables", "before_script"}
        for rule in job.get("rules", []):
            assert set(rule) <= {"if", "when", "changes", "exists", "variables"}, name
        dotenv = job.get("artifacts", {}).get("reports", {}).get("dotenv")
        if dotenv:  # the report a later job reads is the file this job's buildorch writes
            assert any(f"--dotenv {dotenv}" in s for s in job["script"]), name
    assert all(isinstance(s, str) for s in doc["default"]["before_script"])
    assert any("pip install" in s and "buildorch" in s for s in doc["default"]["before_script"])


def test_workflows_install_only_buildorch() -> None:
    for wf in WORKFLOWS:
        doc = yaml.safe_load(wf.read_text())
        runs = "\n".join(workflow_scripts(doc))
        assert "pip install buildorch" in runs, wf.name
        assert "docker buildx" not in runs and "docker build" not in runs, wf.name
        for job in doc["jobs"].values():
            for step in job["steps"]:
                uses = step.get("uses", "")
                assert not uses or uses.startswith("actions/"), f"{wf.name}: {uses} (only GitHub's own actions)"


@pytest.mark.parametrize(("where", "argv"), all_invocations(), ids=lambda v: v if isinstance(v, str) else " ".join(v[:2]))
def test_every_buildorch_line_parses(where: str, argv: list[str]) -> None:
    name = argv[0]
    assert name in COMMANDS, f"{where}: unknown command buildorch {name}"
    group = typer.main.get_command(make_app(name))
    command = group.commands[name]  # type: ignore[attr-defined]
    command.make_context(name, list(argv[1:]))  # click raises UsageError on an unknown or malformed option


def test_examples_are_found() -> None:
    assert {w.name for w in WORKFLOWS} == {"release.yml", "split-merge.yml"}
    assert len(all_invocations()) >= 8
