"""Properties of what ``buildorch meta`` makes from user strings: every tag it emits is a valid Docker tag."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC

from hypothesis import given, settings
from hypothesis import strategies as st

from buildorch.meta import event, inputs, rules
from tests.unit.meta.cases import NOW

DOCKER_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")  # distribution/reference's tag grammar
names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=300)
refs = st.text(st.characters(codec="ascii", exclude_characters="\x00"), min_size=1, max_size=80)


@given(names)
def test_sanitize_gives_a_valid_tag_or_nothing(text: str) -> None:
    out = rules.sanitize_tag(text)
    assert out == "" or DOCKER_TAG.match(out)


@given(st.text(alphabet="abcXYZ019._-", min_size=1, max_size=128).filter(lambda s: DOCKER_TAG.match(s) is not None))
def test_sanitize_keeps_valid_tags(tag: str) -> None:
    assert rules.sanitize_tag(tag) == tag


@settings(max_examples=150)
@given(kind=st.sampled_from(["heads", "tags", "pull"]), name=refs, prefix=st.text(max_size=10), suffix=st.text(max_size=10))
def test_every_emitted_tag_is_valid(kind: str, name: str, prefix: str, suffix: str) -> None:
    """A branch, tag or PR ref of any characters, with any flavor prefix/suffix, gives only valid tags."""
    ref = f"refs/{kind}/{name}" + ("/merge" if kind == "pull" else "")
    ev = event.from_github({"GITHUB_EVENT_NAME": "push", "GITHUB_REF": ref, "GITHUB_SHA": "0" * 40}, {})
    flavor = inputs.Flavor(prefix=prefix.replace("{", ""), suffix=suffix.replace("{", ""), suffix_latest=True)
    tags = inputs.parse_tags(
        [
            "type=ref,event=branch",
            "type=ref,event=tag",
            "type=ref,event=pr",
            "type=sha",
            "type=semver,pattern={{version}}",
            "type=semver,pattern={{major}}.{{minor}}",
        ]
    )
    meta = rules.compute(ev, rules.MetaInputs(tags=tags, flavor=flavor, now=NOW))
    for tag in meta.tag_names:
        assert DOCKER_TAG.match(tag), (ref, tag)
    assert len(set(meta.tag_names)) == len(meta.tag_names)


@given(st.integers(0, 999), st.integers(0, 999), st.integers(0, 999))
def test_semver_patterns(major: int, minor: int, patch: int) -> None:
    ev = event.from_github(
        {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": f"refs/tags/v{major}.{minor}.{patch}", "GITHUB_SHA": "a"}, {}
    )
    tags = inputs.parse_tags(
        ["type=semver,pattern={{version}}", "type=semver,pattern={{major}}.{{minor}}", "type=semver,pattern={{major}}"]
    )
    meta = rules.compute(ev, rules.MetaInputs(tags=tags, now=NOW))
    expected = list(dict.fromkeys([f"{major}.{minor}.{patch}", f"{major}.{minor}", f"{major}"]))
    assert meta.tag_names == [*expected, "latest"]
    assert meta.version == f"{major}.{minor}.{patch}"


@given(st.text(max_size=60))
def test_template_errors_are_value_errors(text: str) -> None:
    """Any pattern renders or fails with a ValueError (one line for the user), never another exception."""
    from datetime import datetime

    from buildorch.meta import template

    with contextlib.suppress(ValueError):
        template.render(text, {"version": "1.2.3", "date": template.date_helper(datetime(2020, 1, 10, tzinfo=UTC))})


def test_is_raw_statement_as_metadata_action() -> None:
    from buildorch.meta.template import is_only

    cases = {
        "{{ raw }}.{{ version }}": False,
        "{{ version }},{{raw }.": False,
        "{{ raw }}": True,
        "{{ raw}}": True,
        "{{raw}}": True,
    }
    assert {p: is_only(p, "raw") for p in cases} == cases
