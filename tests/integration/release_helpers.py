"""What the release tests against authenticating and failing registries share: a CLI tool to release,
the stack's test registries and their documented credentials, a private docker config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.integration.helpers import ROOT

BASIC = "127.0.0.1:5001"  # htpasswd
TOKEN = "127.0.0.1:5002"  # token auth, realm on TOKEN_SERVICE
TOKEN_SERVICE = "127.0.0.1:5003"
# the stack's documented test credentials (README, "Test registries")
BASIC_USER, BASIC_PASSWORD = "buildorch", "buildorch-basic-test"
TOKEN_USER, TOKEN_PASSWORD = "buildorch", "buildorch-token-test"
SHORT_USER, SHORT_PASSWORD = "shortlived", "buildorch-short-test"  # tokens die after 3 s, said to live 300 s
COMMIT_TIME = "2026-01-02T03:04:05Z"

# A CLI tool with no server in it: the release verifies it with --verify run.
TOOL_MAIN = """package main

import (
\t"fmt"
\t"os"
)

func main() {
\tif len(os.Args) > 1 && os.Args[1] == "--help" {
\t\tfmt.Println("usage: tool [--help]")
\t\treturn
\t}
\tfmt.Fprintln(os.Stderr, "tool: give --help")
\tos.Exit(2)
}
"""
TOOL_DOCKERFILE = """FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY main.go .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /tool main.go

FROM scratch AS runtime
COPY --from=build /tool /tool
ENTRYPOINT ["/tool"]
"""


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_DATE": COMMIT_TIME, "GIT_COMMITTER_DATE": COMMIT_TIME, "PATH": "/usr/bin:/bin:/usr/local/bin"}
    r = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=release-test", "-c", "user.email=t@example.com", *args],
        capture_output=True, text=True, env=env, check=True,
    )
    return r.stdout.strip()


def git_repo(d: Path, files: dict[str, str] | None = None, copy_of: Path | None = None) -> Path:
    """A clean git repository at ``d``: a copy of ``copy_of`` or the given files, committed at COMMIT_TIME."""
    if copy_of is not None:
        shutil.copytree(copy_of, d)
    else:
        d.mkdir(parents=True)
    for name, text in (files or {}).items():
        (d / name).write_text(text)
    git(d, "init", "-q")
    git(d, "add", "-A")
    git(d, "commit", "-q", "-m", "release test")
    return d


def tool_repo(d: Path) -> Path:
    return git_repo(d, {"main.go": TOOL_MAIN, "Dockerfile": TOOL_DOCKERFILE})


def cli(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: int = 900
) -> subprocess.CompletedProcess[str]:
    """The real CLI with ``env`` on top of ours (DOCKER_CONFIG above all), ``stdin`` as its input."""
    return subprocess.run(
        [sys.executable, "-m", "buildorch", *args], input=stdin, capture_output=True, text=True, cwd=ROOT,
        env={**os.environ, **(env or {})}, timeout=timeout, check=False,
    )


def login(env: dict[str, str], host: str, user: str, password: str) -> subprocess.CompletedProcess[str]:
    return cli("login", host, "-u", user, "--password-stdin", env=env, stdin=password)


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def auth_stack_problem() -> str | None:
    """None when both authenticating registries and the token service answer as the stack starts them."""
    for what, url, want in (
        ("htpasswd registry", f"http://{BASIC}/v2/", 401),
        ("token registry", f"http://{TOKEN}/v2/", 401),
        ("token service", f"http://{TOKEN_SERVICE}/stats", 200),
    ):
        if _status(url) != want:
            return f"the {what} does not answer on {url}: run scripts/stack up --all (or scripts/stack auth-registries)"
    return None


def require_auth_stack() -> None:
    problem = auth_stack_problem()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(problem, pytrace=False)
        pytest.skip(problem)
