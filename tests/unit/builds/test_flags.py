"""buildx's flags checked before BuildKit runs: good values pass unchanged, bad ones are one ValueError."""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.builds import flags


@pytest.mark.parametrize(
    ("check", "value"),
    [
        (flags.check_network, "host"),
        (flags.check_add_host, "db.local=10.0.0.5"),
        (flags.check_add_host, "db:10.0.0.5"),
        (flags.check_add_host, "v6=[::1]"),
        (flags.check_add_host, "gw=host-gateway"),
        (flags.check_allow, "network.host"),
        (flags.check_allow, "fs.read=/data"),
        (flags.check_allow, "device=/dev/kvm"),
        (flags.check_annotation, "index:org.opencontainers.image.title=app"),
        (flags.check_annotation, "manifest[linux/amd64]:a.b=c"),
        (flags.check_attest, "type=sbom,generator=x"),
        (flags.check_attest, "type=provenance,mode=max"),
        (flags.check_call, "check"),
        (flags.check_call, "outline,format=json"),
        (flags.check_output, "type=local,dest=out"),
        (flags.check_output, "out"),
        (flags.check_output, "-"),
    ],
)
def test_good_values_pass_unchanged(check: object, value: str) -> None:
    assert check(value) == value  # type: ignore[operator]


@pytest.mark.parametrize(
    ("check", "value", "says"),
    [
        (flags.check_network, "bridge", "use one of default, none, host"),
        (flags.check_add_host, "db", "use HOST=IP"),
        (flags.check_add_host, "db=300.1.1.1", "not an IP address"),
        (flags.check_allow, "network.host=x", "--allow 'network.host=x'"),
        (flags.check_allow, "fs.write", "name the path"),
        (flags.check_annotation, "nokey", "use [TYPE:]KEY=VALUE"),
        (flags.check_attest, "sbom", "use type=sbom"),
        (flags.check_call, "lint", "use check, outline or targets"),
        (flags.check_output, "dest=out", "name its type"),
    ],
)
def test_bad_values_say_what_to_do(check: object, value: str, says: str) -> None:
    with pytest.raises(ValueError, match=None) as exc:
        check(value)  # type: ignore[operator]
    assert says in str(exc.value)


def test_ssh(tmp_path: Path) -> None:
    key = tmp_path / "id"
    key.write_text("k")
    assert flags.check_ssh("default", env={"SSH_AUTH_SOCK": "/s"}) == "default"
    assert flags.check_ssh(f"github={key}", env={}) == f"github={key}"
    with pytest.raises(ValueError, match="SSH_AUTH_SOCK is not set"):
        flags.check_ssh("default", env={})
    with pytest.raises(ValueError, match="does not exist"):
        flags.check_ssh(f"github={tmp_path / 'nope'}", env={})
    with pytest.raises(ValueError, match="use default, or ID="):
        flags.check_ssh("bad id", env={})


def test_build_context(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    assert flags.check_build_context("base", "base", tmp_path) == "base"  # relative to the build context
    assert flags.check_build_context("alpine", "docker-image://alpine:3", tmp_path) == "docker-image://alpine:3"
    with pytest.raises(ValueError, match="no such directory"):
        flags.check_build_context("x", "missing", tmp_path)


def test_passthrough_must_be_flags() -> None:
    assert flags.check_passthrough(["--shm-size", "1g"]) == ["--shm-size", "1g"]
    with pytest.raises(ValueError, match="pass buildx flags only"):
        flags.check_passthrough(["ctx"])


CHECKS = [flags.check_network, flags.check_add_host, flags.check_allow, flags.check_annotation, flags.check_attest,
          flags.check_call, flags.check_output, lambda v: flags.check_cache_spec(v, "--cache-to"),
          lambda v: flags.check_ssh(v, env={})]  # fmt: skip


@given(st.sampled_from(range(len(CHECKS))), st.text(max_size=40))
def test_any_string_passes_unchanged_or_is_one_valueerror(index: int, value: str) -> None:
    try:
        out = CHECKS[index](value)
    except ValueError as exc:
        assert "\n" not in str(exc).replace(value, "")
        return
    assert out == value
