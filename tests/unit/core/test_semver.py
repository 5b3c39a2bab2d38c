"""Semantic versions: parsing, precedence, Docker tags."""

from __future__ import annotations

import pytest

from buildorch.core.semver import SemVer

# -- semantic versions ------------------------------------------------------------


@pytest.mark.parametrize("text", ["1.2.3", "0.0.0", "1.3.0-rc.1", "1.2.3+build.7", "1.0.0-alpha-a.b-c+001", "10.20.30"])
def test_valid_versions_round_trip(text: str) -> None:
    assert str(SemVer.parse(text)) == text


@pytest.mark.parametrize("text", ["1.2", "1", "01.2.3", "1.2.3-", "1.2.3+", "1.2.3-01", "1.2.3.4", "latest", ""])
def test_invalid_versions_say_what_a_version_looks_like(text: str) -> None:
    with pytest.raises(ValueError, match="MAJOR.MINOR.PATCH"):
        SemVer.parse(text)


def test_leading_v_is_refused_with_a_hint() -> None:
    with pytest.raises(ValueError, match="drop the leading 'v'"):
        SemVer.parse("v1.2.3")


def test_precedence_follows_semver_section_11() -> None:
    chain = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
             "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2.0", "1.10.0", "2.0.0"]
    parsed = [SemVer.parse(v) for v in chain]
    assert sorted(reversed(parsed)) == parsed
    assert SemVer.parse("1.2.3+a") == SemVer.parse("1.2.3+b")  # build metadata has no precedence


def test_build_metadata_becomes_a_dash_in_the_tag() -> None:
    v = SemVer.parse("1.2.3+build.7")
    assert v.tag == "1.2.3-build.7" and str(v) == "1.2.3+build.7" and not v.is_prerelease
