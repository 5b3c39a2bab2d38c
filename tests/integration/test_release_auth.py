"""Releases to registries that want credentials: the stack's htpasswd registry (:5001) and token registry (:5002).

Every test has its own DOCKER_CONFIG (a temporary directory): nothing is written to the
machine's docker config, which other tests and people use.
"""

from __future__ import annotations

import base64
import json
import os
import re
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.helpers import APP
from tests.integration.release_helpers import (
    BASIC,
    BASIC_PASSWORD,
    BASIC_USER,
    SHORT_PASSWORD,
    SHORT_USER,
    TOKEN,
    TOKEN_PASSWORD,
    TOKEN_SERVICE,
    TOKEN_USER,
    cli,
    git_repo,
    login,
    require_auth_stack,
    tool_repo,
)

pytestmark = pytest.mark.integration

SECRETS = [BASIC_PASSWORD, TOKEN_PASSWORD, SHORT_PASSWORD] + [
    base64.b64encode(f"{u}:{p}".encode()).decode()
    for u, p in ((BASIC_USER, BASIC_PASSWORD), (TOKEN_USER, TOKEN_PASSWORD), (SHORT_USER, SHORT_PASSWORD))
]
# a JWT starts with base64url('{"'); a bearer header names itself
TOKEN_LIKE = re.compile(r"eyJ[A-Za-z0-9_-]{10,}|Bearer [A-Za-z0-9._-]{10,}")


@pytest.fixture(autouse=True)
def _auth_stack() -> None:
    require_auth_stack()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A private, empty docker config, for the CLI and for this process's registry client."""
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    return {"DOCKER_CONFIG": str(config)}


@pytest.fixture(scope="module")
def app_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return git_repo(tmp_path_factory.mktemp("auth-app") / "app", copy_of=APP)


@pytest.fixture(scope="module")
def tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tool_repo(tmp_path_factory.mktemp("auth-tool") / "tool")


def name() -> str:
    return f"i16-{uuid.uuid4().hex[:8]}"


def assert_no_secret(where: str, text: str) -> None:
    for s in SECRETS:
        assert s not in text, f"a credential is in {where}"
    m = TOKEN_LIKE.search(text)
    assert m is None, f"something like a token is in {where}: {m.group()[:12]}..."


def one_error(stderr: str) -> str:
    """The error line; a failure is `error: ...` plus at most a few `  |`/`  hint:` lines, never a traceback."""
    assert "Traceback" not in stderr, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def test_release_to_htpasswd_and_token_registries_after_login(
    env: dict[str, str], app_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert login(env, BASIC, BASIC_USER, BASIC_PASSWORD).returncode == 0
    r = login(env, TOKEN, TOKEN_USER, TOKEN_PASSWORD)
    assert r.returncode == 0 and f"logged in to {TOKEN} as {TOKEN_USER}" in r.stdout, r.stderr
    repo = name()
    images = [f"{BASIC}/{repo}/app", f"{TOKEN}/{repo}/app"]
    out, history = tmp_path / "out", tmp_path / "history"
    env = {**env, "BUILDORCH_HISTORY_DIR": str(history)}
    args = ["release", "--version", "1.2.3", *[a for i in images for a in ("--image", i)], str(app_repo),
            "--output-dir", str(out), "--progress", "plain"]
    printed = []
    for extra in (["--dry-run"], ["--dry-run", "--json"]):
        dry = cli(*args, *extra, env=env)
        assert dry.returncode == 0, dry.stderr
        printed.append(dry.stdout + dry.stderr)
    done = cli(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    printed.append(done.stdout + done.stderr)
    result = json.loads(done.stdout)
    assert result["status"] == "released" and result["images"] == images

    from buildorch.engine.registry import Client

    digests = {i: Client(i).digest_of("1.2.3") for i in images}
    assert set(digests.values()) == {result["index_digest"]}, digests  # identical index in both registries
    assert Client(images[1]).digest_of("latest") == result["index_digest"]
    assert all(v["ok"] for v in result["verification"]["platforms"])

    # every file the release wrote and everything it printed: no password, no token
    for i, text in enumerate(printed):
        assert_no_secret(f"output {i}", text)
    written = [p for d in (out, history, app_repo) for p in d.rglob("*") if p.is_file() and ".git" not in p.parts]
    assert any(p.name == "release.json" for p in written)
    for p in written:
        assert_no_secret(str(p), p.read_text(errors="replace"))


@pytest.mark.parametrize("registry", [BASIC, TOKEN])
def test_without_login_it_fails_before_building(env: dict[str, str], app_repo: Path, tmp_path: Path, registry: str) -> None:
    t0 = time.monotonic()
    r = cli("release", "--version", "1.0.0", "--image", f"{registry}/{name()}/app", str(app_repo),
            "--output-dir", str(tmp_path / "out"), env=env)
    assert r.returncode == 4, r.stderr
    line = one_error(r.stderr)
    assert "wants credentials and Docker has none" in line, line
    assert f"hint: run buildorch login {registry}" in r.stderr
    assert "build:" not in r.stderr and time.monotonic() - t0 < 60  # nothing was built


def test_credentials_for_another_registry_only(env: dict[str, str], app_repo: Path, tmp_path: Path) -> None:
    assert login(env, BASIC, BASIC_USER, BASIC_PASSWORD).returncode == 0
    r = cli("release", "--version", "1.0.0", "--image", f"{BASIC}/{name()}/a", "--image", f"{TOKEN}/{name()}/a",
            str(app_repo), "--output-dir", str(tmp_path / "out"), env=env)
    assert r.returncode == 4 and TOKEN in one_error(r.stderr) and f"buildorch login {TOKEN}" in r.stderr


@pytest.mark.parametrize(("registry", "user"), [(BASIC, BASIC_USER), (TOKEN, TOKEN_USER)])
def test_wrong_password_is_one_line_naming_docker_login(env: dict[str, str], registry: str, user: str) -> None:
    r = login(env, registry, user, "not-the-password")
    assert r.returncode == 4, r.stderr
    line = one_error(r.stderr)
    assert line.startswith(f"error: docker login {registry} failed:"), line
    assert "not-the-password" not in r.stdout + r.stderr
    assert not (Path(env["DOCKER_CONFIG"]) / "config.json").exists() or registry not in (
        Path(env["DOCKER_CONFIG"]) / "config.json"
    ).read_text()


def test_a_failing_credential_helper_is_one_line(env: dict[str, str], app_repo: Path, tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    helper = bin_dir / "docker-credential-i16fail"
    helper.write_text("#!/bin/sh\necho 'the keychain is locked' >&2\nexit 1\n")
    helper.chmod(0o755)
    (Path(env["DOCKER_CONFIG"]) / "config.json").write_text(json.dumps({"credHelpers": {BASIC: "i16fail"}}))
    r = cli("release", "--version", "1.0.0", "--image", f"{BASIC}/{name()}/a", str(app_repo),
            "--output-dir", str(tmp_path / "out"), env={**env, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert r.returncode == 4, r.stderr
    assert one_error(r.stderr) == (
        f"error: credential helper docker-credential-i16fail failed for {BASIC} (exit 1): the keychain is locked"
    )


def _token_count(user: str) -> int:
    with urllib.request.urlopen(f"http://{TOKEN_SERVICE}/stats", timeout=5) as resp:
        stats: dict[str, Any] = json.loads(resp.read())
    return int(stats.get(user, 0))


def test_a_token_that_expires_is_fetched_again(env: dict[str, str]) -> None:
    """shortlived's tokens die after 3 s while the service says 300 s: only the registry's 401 tells."""
    assert login(env, TOKEN, SHORT_USER, SHORT_PASSWORD).returncode == 0
    from buildorch.engine.registry import Client

    client = Client(f"{TOKEN}/{name()}/app")
    before = _token_count(SHORT_USER)
    assert client.tags() == []
    client.check_push()
    time.sleep(3.5)
    assert client.tags() == []
    client.check_push()
    assert _token_count(SHORT_USER) - before == 2


@pytest.fixture
def short_env(env: dict[str, str]) -> Iterator[dict[str, str]]:
    assert login(env, TOKEN, SHORT_USER, SHORT_PASSWORD).returncode == 0
    yield env


def test_cli_tool_released_with_verify_run_while_tokens_expire(short_env: dict[str, str], tool: Path, tmp_path: Path) -> None:
    """A non-HTTP image, verified by running it; the release outlives many 3-second tokens."""
    image = f"{TOKEN}/{name()}/tool"
    before = _token_count(SHORT_USER)
    r = cli("release", "--version", "0.3.0", "--image", image, "--platform", "linux/amd64", "--verify", "run",
            "--expect-output", "^usage: tool", "--json", "--output-dir", str(tmp_path / "out"), str(tool), "--",
            "/tool", "--help", env=short_env)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads(r.stdout)
    (check,) = result["verification"]["platforms"]
    assert check["ok"] and check["run_exit_code"] == 0 and "usage: tool" in check["run_output"]
    assert result["verification"]["mode"] == "run" and check["version_ok"] is None
    assert _token_count(SHORT_USER) - before >= 2
    assert_no_secret("release output", r.stdout + r.stderr)

    from buildorch.engine.registry import Client

    assert Client(image).digest_of("0.3.0") == result["index_digest"]


def test_verify_run_failure_tags_nothing(short_env: dict[str, str], tool: Path, tmp_path: Path) -> None:
    image = f"{TOKEN}/{name()}/tool"
    r = cli("release", "--version", "0.3.1", "--image", image, "--platform", "linux/amd64", "--verify", "run",
            "--output-dir", str(tmp_path / "out"), str(tool), "--", "/tool", "--nope", env=short_env)
    assert r.returncode == 5, r.stderr[-2000:]
    assert "`/tool --nope` failed (exit code 2); last line: tool: give --help" in one_error(r.stderr)

    from buildorch.engine.registry import Client

    assert Client(image).tags() == ["buildcache"]


@pytest.mark.parametrize(
    ("registry", "user", "password"), [(BASIC, BASIC_USER, BASIC_PASSWORD), (TOKEN, TOKEN_USER, TOKEN_PASSWORD)]
)
def test_build_push_and_registry_cache_use_the_login(
    env: dict[str, str], tool: Path, registry: str, user: str, password: str
) -> None:
    """BuildKit reads the same docker config: after buildorch login, build --push and a registry cache work."""
    assert login(env, registry, user, password).returncode == 0
    image = f"{registry}/{name()}/tool"
    r = cli("build", str(tool), "--platform", "linux/amd64", "-t", f"{image}:1", "--push",
            "--cache", f"registry:{image}:buildcache", "--progress", "quiet", "--json", env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert_no_secret("build output", r.stdout + r.stderr)

    from buildorch.engine.registry import Client

    assert sorted(Client(image).tags()) == ["1", "buildcache"]
