"""Bake models against ``docker buildx bake --print`` output recorded from buildx 0.13.1 (tests/data/bake/record.sh)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from buildorch.bakes.models import BakeDefinition, BakeSpec, definition_diff, group_cycle, split_override
from tests.recorded import BAKE_DATA as DATA

PRINTS = ["inherits", "matrix", "groups", "contexts", "bakefile_default", "bakefile_injected", "inherits_override"]


def printed(name: str) -> dict[str, Any]:
    return dict(json.loads((DATA / f"{name}.print.json").read_text()))


def definition(name: str) -> BakeDefinition:
    return BakeDefinition.model_validate(printed(name))


@pytest.mark.parametrize("name", PRINTS)
def test_every_recorded_definition_round_trips_unchanged(name: str) -> None:
    assert definition(name).dump() == printed(name)


def test_inherits_is_resolved_by_buildx() -> None:
    d = definition("inherits")
    api, debug = d.target["api"], d.target["api-debug"]
    assert api.args == {"GO_VERSION": "1.26"} and api.target == "runtime"
    # api-debug inherits api (which inherits _base), then overrides target and args
    assert debug.args == {"GO_VERSION": "1.26", "VERSION": "pinned"} and debug.target == "builder"
    assert debug.cache_from == ["type=registry,ref=example/api:cache"] and debug.cache_to == []
    assert "_base" not in d.target  # only what will be built is printed


def test_matrix_expands_into_a_group_of_targets() -> None:
    d = definition("matrix")
    names = ["svc-builder-1-25", "svc-builder-1-26", "svc-runtime-1-25", "svc-runtime-1-26"]
    # buildx 0.13 lists a matrix's targets in Go map order: it may change between runs
    assert sorted(d.group["svc"].targets) == sorted(d.target) == names
    assert sorted(d.resolve_group("default")) == names
    t = d.target["svc-runtime-1-25"]
    assert t.args == {"GO_VERSION": "1.25"} and t.tags == ["example/svc:runtime-go1.25"]


def test_unknown_fields_are_kept() -> None:
    t = definition("matrix").target["svc-builder-1-26"]
    assert t.model_extra == {"attest": ["type=provenance,mode=min"], "shm-size": "128m"}
    c = definition("contexts").target["app"]
    assert c.model_extra is not None
    assert c.dockerfile_inline == "FROM base\nCOPY --from=certs . /certs\n"  # read: its ARGs decide what is added
    assert c.model_extra["secret"] == ["id=token,env=HOME"]
    assert c.dump()["annotations"] == ["index:org.opencontainers.image.title=app"]
    g = definition("groups").target["three"]
    assert g.dump()["no-cache"] is True and g.dump()["pull"] is False


def test_groups_of_groups_flatten_in_order_each_target_once() -> None:
    d = definition("groups")
    assert d.resolve_group("default") == ["one", "two", "three"]
    assert d.resolve_group("fast") == ["one", "two"]
    assert d.resolve_group("two") == ["two"]  # a target stands for itself
    assert d.target["two"].outputs_cache_only and not d.target["one"].outputs_cache_only


def test_contexts_with_a_target_reference_and_hcl_functions() -> None:
    d = definition("contexts")
    app = d.target["app"]
    assert app.contexts == {"base": "target:base", "certs": "ctx/certs"}
    assert "base" in d.target  # the referenced target is part of the bake
    # image() is an HCL function of the file; split/trimspace/lower/formatdate are bake's
    assert app.tags == ["localhost:5000/buildorch-bake-fixture:1.0", "localhost:5000/buildorch-bake-fixture:2026"]
    assert app.platforms == d.target["base"].platforms == ["linux/amd64", "linux/arm64"]


def test_a_newer_buildx_definition_keeps_what_buildorch_does_not_know() -> None:
    doc = {
        "group": {"default": {"targets": ["x"], "description": "all"}},
        "target": {
            "x": {
                "context": ".",
                "call": "check",
                "entitlements": ["network.host"],
                "args": {"A": None},
                "cache-from": [{"type": "local", "src": "/c"}],
                "extra-hosts": {"h": "1.2.3.4"},
            }
        },
        "variable": {"V": {"default": "1"}},
    }
    d = BakeDefinition.model_validate(doc)
    assert d.dump() == doc
    assert d.target["x"].cache_from == [{"type": "local", "src": "/c"}]


def test_a_definition_buildorch_cannot_read_is_refused() -> None:
    with pytest.raises(ValidationError):
        BakeDefinition.model_validate({"target": {"x": {"tags": "not-a-list"}}})


def test_diff_is_exactly_the_injected_fields() -> None:
    diff = definition_diff(definition("bakefile_default"), definition("bakefile_injected"))
    assert diff == {
        "app": {
            "args.SOURCE_DATE_EPOCH": {"old": None, "new": "1767323045"},
            "cache-from": {"old": None, "new": ["type=local,src=/cache/app-bake-app"]},
            "cache-to": {"old": None, "new": ["type=local,dest=/cache/app-bake-app.new-1,mode=max"]},
        },
        "app-test": {
            "args.SOURCE_DATE_EPOCH": {"old": None, "new": "1767323045"},
            "cache-to": {"old": None, "new": ["type=local,dest=/cache/app-bake-app-test.new-1,mode=max"]},
        },
    }
    assert definition_diff(definition("bakefile_default"), definition("bakefile_default")) == {}


def test_an_override_file_leaks_through_inherits() -> None:
    """Why buildorch runs the resolved definition alone: bake merges files before resolving inherits."""
    diff = definition_diff(definition("inherits"), definition("inherits_override"))
    assert diff["api-debug"] == {"args.SOURCE_DATE_EPOCH": {"old": None, "new": "1767323045"}}  # meant for "api" only


def test_diff_reports_changed_and_removed_fields() -> None:
    a = BakeDefinition.model_validate({"target": {"x": {"tags": ["a"], "args": {"K": "1", "L": "2"}}}})
    b = BakeDefinition.model_validate({"target": {"x": {"tags": ["b"], "args": {"K": "1"}}}})
    assert definition_diff(a, b) == {"x": {"args.L": {"old": "2", "new": None}, "tags": {"old": ["a"], "new": ["b"]}}}


def test_a_cycle_of_groups_is_named_as_a_path() -> None:
    groups = {"all": ["a", "x"], "a": ["b", "t"], "b": ["c"], "c": ["a"]}
    assert group_cycle(groups, "a") == ["a", "b", "c", "a"]
    assert group_cycle(groups, "all") is None  # reaches the cycle, is not in it
    assert group_cycle({"a": ["a"]}, "a") == ["a", "a"]
    assert group_cycle(groups, "t") is None


def test_the_project_bakefile_print() -> None:
    d = definition("bakefile_default")
    assert d.resolve_group("default") == ["app", "app-test"]
    app, test = d.target["app"], d.target["app-test"]
    assert app.target == "runtime" and app.platforms == ["linux/amd64", "linux/arm64"]
    assert app.tags == ["localhost:5000/buildorch-app:1.2.3"]
    assert app.args == test.args == {"BUILD_TIME": "2026-01-02T03:04:05Z", "VERSION": "1.2.3"}
    assert test.target == "test" and test.outputs_cache_only and test.tags == []


@pytest.mark.parametrize(
    ("item", "parts"),
    [
        ("app.args.X=1", ("app", "args.X", "1")),
        ("*.platform=linux/arm64", ("*", "platform", "linux/arm64")),
        ("app.cache-to=type=local,dest=/c,mode=max", ("app", "cache-to", "type=local,dest=/c,mode=max")),
        ("app.tags=", ("app", "tags", "")),
    ],
)
def test_split_override(item: str, parts: tuple[str, str, str]) -> None:
    assert split_override(item) == parts


@pytest.mark.parametrize("item", ["garbage", "app=1", ".args.X=1", "app.args.X"])
def test_split_override_refuses_malformed(item: str) -> None:
    with pytest.raises(ValueError, match="TARGET.KEY=VALUE"):
        split_override(item)


def test_spec_checks(tmp_path: Path) -> None:
    f = tmp_path / "docker-bake.hcl"
    f.write_text("")
    assert BakeSpec(files=[f], platforms=["linux/amd64,linux/arm64/v8"]).platforms == ["linux/amd64", "linux/arm64"]
    with pytest.raises(ValidationError, match="not found"):
        BakeSpec(files=[tmp_path / "missing.hcl"])
    with pytest.raises(ValidationError, match="exclude each other"):
        BakeSpec(load=True, push=True)
    with pytest.raises(ValidationError, match="disagree"):
        BakeSpec(version="1", variables={"VERSION": "2"})
    with pytest.raises(ValidationError, match="neither RFC 3339"):
        BakeSpec(variables={"BUILD_TIME": "yesterday"})
    with pytest.raises(ValidationError, match="not valid"):
        BakeSpec(variables={"1X": "y"})
    s = BakeSpec(variables={"VERSION": "2.0.0"})
    assert s.explicit_version == "2.0.0" and s.explicit_build_time is None


def test_input_errors_name_no_model_field(tmp_path: Path) -> None:
    # The one formatter of pydantic errors: a buildorch validator's message stands alone
    # (it names the value in the user's terms); pydantic's own type errors keep the field.
    from buildorch.core.validation import validation_message

    with pytest.raises(ValidationError) as missing:
        BakeSpec(files=[tmp_path / "missing.hcl"])
    assert validation_message(missing.value) == f"bake file {tmp_path / 'missing.hcl'} not found"
    with pytest.raises(ValidationError) as platform:
        BakeSpec(platforms=["linux/amd46"])
    assert validation_message(platform.value).startswith("unknown platform 'linux/amd46'")
    with pytest.raises(ValidationError) as choice:
        BakeSpec(cache_mode="fast")  # type: ignore[arg-type]
    assert validation_message(choice.value).startswith("--cache-mode: Input should be 'min' or 'max'")


def test_outputs_read_as_buildx_013_and_newer_print_them() -> None:
    old = BakeDefinition.model_validate({"target": {"p": {"output": ["type=image,push=true,push=true"]},
                                                    "c": {"output": ["type=cacheonly"]}, "l": {"output": ["type=docker"]}}})
    new = BakeDefinition.model_validate({"target": {"p": {"output": [{"type": "image", "push": "true"}]},
                                                    "c": {"output": [{"type": "cacheonly"}]},
                                                    "l": {"output": [{"type": "docker"}]}}})
    for d in (old, new):
        assert d.target["p"].pushes and not d.target["p"].loads
        assert d.target["c"].outputs_cache_only and not d.target["c"].pushes
        assert d.target["l"].loads and not d.target["l"].outputs_cache_only


def test_a_bake_file_that_is_not_utf8_is_refused_with_the_offset(tmp_path: Path) -> None:
    # buildx echoes the bad bytes in its error and python-on-whales then fails to decode them: exit 3 before.
    f = tmp_path / "docker-bake.hcl"
    f.write_bytes(b'target "a" {\n  context = "\xff"\n}\n')
    with pytest.raises(ValidationError) as bad:
        BakeSpec(files=[f])
    from buildorch.core.validation import validation_message

    assert validation_message(bad.value) == f"bake file {f} is not UTF-8 text (byte 0xff at offset 26)"
