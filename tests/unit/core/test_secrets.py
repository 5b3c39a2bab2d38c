"""Secret-looking build args: a name is a warning, a credential-shaped value a refusal."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.core import secrets

# Shaped like real credentials, made up (the right prefix and length, random letters).
FAKE = {
    "a GitHub token": "ghp_" + "a1B2c3D4e5" * 4,
    "a GitHub fine-grained token": "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "a GitLab token": "glpat-" + "xY1_" * 6,
    "an AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "a private key": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...",
    "a Slack token": "xoxb-123456789012-abcdefghij",
    "an npm token": "npm_" + "a" * 36,
}


@pytest.mark.parametrize("name", ["GITHUB_TOKEN", "DB_PASSWORD", "API_KEY", "npm_token", "SSH_KEY", "PRIVATE_GPG_KEY"])
def test_secret_looking_names(name: str) -> None:
    assert secrets.looks_secret(name)


@pytest.mark.parametrize("name", ["GO_VERSION", "BUILD_TIME", "KEYBOARD", "GPG_KEY", "CACHE_KEY", "PUBLIC_KEY", "KEY_ID"])
def test_names_that_are_not_secrets(name: str) -> None:
    assert not secrets.looks_secret(name)


def test_a_name_is_a_warning_naming_secret_not_a_refusal() -> None:
    (warning,) = secrets.check_build_args({"NPM_TOKEN": "x", "GPG_KEY": "B42F6819007F00F88E364FD4036A9C25BF357DD4"})
    assert "'NPM_TOKEN'" in warning and "--secret id=npm_token,env=NPM_TOKEN" in warning


def test_strict_refuses_a_secret_looking_name() -> None:
    with pytest.raises(ValueError, match="--strict-secrets"):
        secrets.check_build_args({"NPM_TOKEN": "x"}, strict=True)


@pytest.mark.parametrize(("kind", "value"), FAKE.items())
def test_a_credential_value_is_refused_always_without_repeating_it(kind: str, value: str) -> None:
    assert secrets.credential_kind(value) == kind
    with pytest.raises(ValueError) as exc:
        secrets.check_build_args({"HARMLESS_NAME": f"prefix {value} suffix"})
    assert kind in str(exc.value) and value not in str(exc.value) and "--secret" in str(exc.value)


@pytest.mark.parametrize("value", ["1.2.3", "ghp_short", "AKIA", "https://example.com/ghp", "-----BEGIN PUBLIC KEY-----"])
def test_ordinary_values_pass(value: str) -> None:
    assert secrets.credential_kind(value) is None


@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,20}", fullmatch=True), st.text(max_size=80), max_size=5))
def test_check_build_args_only_warns_or_raises_valueerror(args: dict[str, str]) -> None:
    try:
        warnings = secrets.check_build_args(args)
    except ValueError as exc:
        assert all(v not in str(exc) for v in args.values() if len(v) > 8)
        return
    assert len(warnings) == sum(secrets.looks_secret(n) for n in args)


@given(st.sampled_from(list(FAKE.values())), st.text(max_size=20), st.text(max_size=20))
def test_a_credential_is_found_anywhere_in_a_value(value: str, before: str, after: str) -> None:
    assert secrets.credential_kind(f"{before} {value} {after}") is not None
