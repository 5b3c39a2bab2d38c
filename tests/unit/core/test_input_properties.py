"""Properties of the parsers and validators that read strings from users and tools.

Each states its invariant: what is accepted is what the grammar says (ASCII only,
no trailing newline), normalising twice changes nothing, a round trip gives the
input back, and nothing raises but the documented error type (ValueError here;
the CLI turns it into one line, exit 2).
"""

from __future__ import annotations

import itertools
import json
import re
import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from buildorch.builds.progress import ProgressTracker
from buildorch.core import csvspec, elf, oci, references, units, versioning
from buildorch.core.semver import SemVer
from buildorch.engine import buildx_text

props = settings(max_examples=200, deadline=None)  # deadline: the first examples pay for imports

# Strings as users and tools give them: any text, with a bias towards the characters that matter.
TRICKY = "é²\u0661\u202e\n\r\t\x00 ,:/@._-+=\"'`$\\\ufeff"
text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(TRICKY), max_size=80)
TAG_CHARS = string.ascii_letters + string.digits + "_.-"


# -- image references ----------------------------------------------------------


@props
@given(text)
@example("app:é")
@example("app:1\n")
@example("app:\u0661")
def test_a_reference_is_accepted_only_in_ascii_without_a_newline(ref: str) -> None:
    try:
        references.check(ref)
    except ValueError as exc:
        assert str(exc).startswith("invalid image reference")
        return
    assert ref.isascii() and "\n" not in ref and ref == ref.strip()
    name, tag = references.split(ref)
    assert name == name.lower()
    if tag is not None:
        assert set(tag) <= set(TAG_CHARS) and len(tag) <= 128 and tag[0] not in ".-"


@props
@given(st.from_regex(r"\A[a-z0-9]{1,8}(/[a-z0-9]{1,8}){0,2}(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,20})?\Z"))
def test_split_then_join_gives_the_reference_back(ref: str) -> None:
    name, tag = references.split(references.check(ref))
    assert (f"{name}:{tag}" if tag is not None else name) == ref


@props
@given(text)
def test_name_component_is_a_valid_name_and_stable(raw: str) -> None:
    comp = references.name_component(raw)
    references.check(comp)  # a valid one-component name
    assert references.name_component(comp) == comp


@props
@given(text)
def test_plain_http_is_decided_from_text_alone(address: str) -> None:
    assert isinstance(references.plain_http(address), bool)  # never raises, never resolves


# -- sizes, durations, times ---------------------------------------------------


@props
@given(text)
@example("²")
@example("1.5 GB")
@example("\u0661MB")
def test_parse_size_gives_bytes_or_value_error(value: str) -> None:
    try:
        n = units.parse_size(value)
    except ValueError as exc:
        assert "invalid size" in str(exc)
        return
    assert isinstance(n, int) and n >= 0
    assert units.parse_size_or_none(value) == n


@props
@given(st.integers(min_value=0, max_value=10**15))
def test_human_size_reads_back_within_rounding(n: int) -> None:
    back = units.parse_size(units.human_size(n))
    assert abs(back - n) <= max(1, n * 0.05)  # a display format: two or three significant digits


@props
@given(text)
@example("²h")
@example("1h30m")
def test_parse_duration_gives_seconds_or_value_error(value: str) -> None:
    try:
        s = units.parse_duration(value)
    except ValueError as exc:
        assert "invalid duration" in str(exc)
        return
    assert isinstance(s, int) and s >= 0


@props
@given(text)
@example("²")
@example("99999999999999999999")
@example("2026-01-02T03:04:05")
def test_parse_time_gives_an_epoch_that_formats_or_value_error(value: str) -> None:
    try:
        epoch = versioning.parse_time(value)
    except ValueError as exc:
        assert "build time" in str(exc)
        return
    assert versioning.parse_time(versioning.format_time(epoch)) == epoch


@props
@given(text)
def test_tag_safe_is_a_valid_tag_and_stable(version: str) -> None:
    tag = versioning.tag_safe(version)
    references.check(f"app:{tag}")
    assert versioning.tag_safe(tag) == tag


# -- semantic versions ---------------------------------------------------------


@props
@given(text)
@example("1.2.3\n")
@example("\u0661.2.3")
def test_semver_parse_is_ascii_and_round_trips(value: str) -> None:
    try:
        v = SemVer.parse(value)
    except ValueError as exc:
        assert "is not a semantic version" in str(exc)
        return
    assert value.strip().isascii()
    assert SemVer.parse(str(v)) == v
    references.check(f"app:{v.tag}")


@props
@given(st.lists(st.from_regex(r"\A(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})\.(0|[1-9][0-9]{0,3})(-rc\.[0-9])?\Z"), min_size=2))
def test_semver_order_is_total_and_consistent(values: list[str]) -> None:
    vs = sorted(SemVer.parse(v) for v in values)
    assert all(a <= b for a, b in itertools.pairwise(vs))


# -- what tools print ----------------------------------------------------------


@props
@given(text)
def test_buildx_text_parsers_never_raise_on_odd_text(out: str) -> None:
    buildx_text.parse_du_verbose(out)
    records, freed = buildx_text.parse_prune(out)
    assert records >= 0 and freed >= 0
    buildx_text.ago(out)


@props
@given(st.lists(text, max_size=20))
def test_progress_lines_never_break_the_tracker(lines: list[str]) -> None:
    tracker = ProgressTracker()
    for line in lines:
        tracker.feed(line)
    tracker.finish()
    assert tracker.steps_cached <= tracker.steps_total


_vertex = st.fixed_dictionaries(
    {"digest": st.text(max_size=12), "name": text},
    optional={"cached": st.booleans(), "started": st.just("2026-01-01T00:00:00Z"), "completed": st.just("2026-01-01T00:00:01Z"),
              "error": text, "inputs": st.lists(st.text(max_size=12), max_size=3)},
)


@props
@given(st.lists(st.fixed_dictionaries({}, optional={"vertexes": st.lists(_vertex, max_size=3), "logs": st.lists(
    st.fixed_dictionaries({"vertex": st.text(max_size=12), "data": st.text(max_size=20)}), max_size=2)}), max_size=8))
def test_rawjson_documents_of_any_shape_never_break_the_tracker(docs: list[dict[str, object]]) -> None:
    tracker = ProgressTracker()
    for doc in docs:
        for line in json.dumps(doc, indent=1).splitlines():
            tracker.feed(line + "\n")
    tracker.finish()
    assert tracker.steps_cached <= tracker.steps_total


@props
@given(st.binary(max_size=128))
@example(b"\x7fELF")
@example(b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + b"\x02\x00\xb7\x00")
def test_elf_headers_of_any_bytes(data: bytes) -> None:
    facts = elf.elf_facts(data)
    assert facts is None or isinstance(facts, dict)


@props
@given(st.recursive(st.none() | st.booleans() | st.integers() | text,
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.sampled_from(
                        ["manifests", "platform", "digest", "os", "architecture", "variant", "mediaType"]), c, max_size=4),
                    max_leaves=20))
def test_platform_digests_of_any_json(index: object) -> None:
    if not isinstance(index, dict):
        return
    try:
        digests = oci.platform_digests(index)
    except (TypeError, AttributeError, KeyError) as exc:
        pytest.fail(f"platform_digests raised {exc!r} on {index!r}")
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in digests.items())


def test_the_tag_grammar_is_ascii() -> None:
    assert not re.fullmatch(references._TAG, "é")


# -- buildx's comma-separated specs ----------------------------------------------

_key = st.text(alphabet=string.ascii_lowercase + "-", min_size=1, max_size=8)


@props
@given(st.lists(st.tuples(_key, text.filter(lambda v: "\x00" not in v and "\r" not in v and "\n" not in v)), min_size=1))
@example([("type", "local"), ("dest", "/tmp/a,mode=max")])
@example([("dest", 'say "hi", then go')])
def test_a_spec_reads_back_as_its_fields(pairs: list[tuple[str, str]]) -> None:
    written = csvspec.spec(*pairs)
    assert csvspec.fields(written) == pairs  # no value adds, drops or rewrites a field


@props
@given(text)
def test_reading_any_spec_gives_fields_or_value_error(value: str) -> None:
    try:
        csvspec.fields(value)
    except ValueError as exc:
        assert "cannot read" in str(exc)
