"""Credentials as Docker keeps them: auths, identity tokens, credsStore and credHelpers (real helper processes)."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from buildorch.engine.credentials import Credential, CredentialError, hostname, lookup


def _write(config: Path, doc: dict[str, object]) -> None:
    (config / "config.json").write_text(json.dumps(doc))


def _helper(bin_dir: Path, name: str, script: str) -> None:
    path = bin_dir / f"docker-credential-{name}"
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    return tmp_path


def test_auths_base64_and_keys_matched_by_host(env: Path) -> None:
    _write(env, {"auths": {"https://ghcr.io/v1/": {"auth": base64.b64encode(b"bob:pa:ss").decode()}}})
    assert lookup("ghcr.io") == Credential("bob", "pa:ss")
    assert lookup("127.0.0.1:5001") is None


def test_identity_token(env: Path) -> None:
    _write(env, {"auths": {"registry.example": {"identitytoken": "refresh-123"}}})
    c = lookup("registry.example")
    assert c is not None and c.identity_token and c.secret == "refresh-123"


def test_the_secret_is_never_in_repr_or_str() -> None:
    c = Credential("bob", "hunter2-secret")
    assert "hunter2" not in repr(c) and "hunter2" not in str(c)


def test_docker_hub_names_are_one_host() -> None:
    assert hostname("https://index.docker.io/v1/") == hostname("registry-1.docker.io") == "docker.io"


def test_cred_helpers_get_the_host_on_stdin(env: Path) -> None:
    # the helper echoes what it read on stdin as the user name: docker passes the server there
    _helper(env / "bin", "i16test", 'read s; printf \'{"ServerURL":"%s","Username":"%s","Secret":"tok"}\' "$s" "$s"\n')
    _write(env, {"credHelpers": {"127.0.0.1:5001": "i16test"}, "auths": {"127.0.0.1:5001": {}}})
    assert lookup("127.0.0.1:5001") == Credential("127.0.0.1:5001", "tok")


def test_creds_store_with_token_convention_and_not_found(env: Path) -> None:
    _helper(env / "bin", "i16store", 'read s; [ "$s" = known ] || { echo "credentials not found in native keychain"; exit 1; }\n'
            'echo \'{"Username":"<token>","Secret":"idtok"}\'\n')
    _write(env, {"credsStore": "i16store"})
    c = lookup("known")
    assert c is not None and c.identity_token and c.secret == "idtok"
    assert lookup("unknown") is None


def test_a_failing_helper_is_one_line(env: Path) -> None:
    _helper(env / "bin", "i16fail", 'echo "keychain locked" >&2; exit 3\n')
    _write(env, {"credHelpers": {"127.0.0.1:5001": "i16fail"}})
    with pytest.raises(CredentialError) as err:
        lookup("127.0.0.1:5001")
    assert err.value.exit_code == 4
    assert err.value.message == "credential helper docker-credential-i16fail failed for 127.0.0.1:5001 (exit 3): keychain locked"


def test_a_missing_helper_and_a_broken_config(env: Path) -> None:
    _write(env, {"credsStore": "i16-not-installed"})
    with pytest.raises(CredentialError, match="is not installed"):
        lookup("ghcr.io")
    (env / "config.json").write_text("{not json")
    with pytest.raises(CredentialError, match="cannot read"):
        lookup("ghcr.io")


def test_no_config_no_credentials(env: Path) -> None:
    assert lookup("ghcr.io") is None
