"""Local cache staging, garbage collection, damage detection and platform coverage (no Docker)."""

import hashlib
import json
from pathlib import Path

import pytest

from buildorch.builds import cache
from buildorch.builds.spec import BuildSpec, CachePolicy


def blob(d: Path, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    p = d / "blobs" / "sha256" / digest
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    return f"sha256:{digest}"


def make_cache(d: Path, layers: list[bytes]) -> list[str]:
    """A local cache laid out as BuildKit writes one: index.json -> image index -> layers + cache config."""
    digests = [blob(d, data) for data in layers]
    config = blob(d, json.dumps({"layers": [{"blob": x} for x in digests]}).encode())
    inner = {"mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        *({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": x, "size": 1} for x in digests),
        {"mediaType": "application/vnd.buildkit.cacheconfig.v0", "digest": config, "size": 1},
    ]}
    top = blob(d, json.dumps(inner).encode())
    (d / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [{"digest": top, "size": 1}]}))
    return digests


@pytest.fixture
def spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> BuildSpec:
    ctx = tmp_path / "app"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch AS builder\nFROM scratch AS runtime\n")
    monkeypatch.setenv("BUILDORCH_CACHE_DIR", str(tmp_path / "cache"))
    return BuildSpec(context=ctx, target="builder")


def test_first_build_exports_only(spec: BuildSpec) -> None:
    plan = cache.plan_cache(spec)
    assert plan.cache_from == []
    assert plan.local_dir is not None and plan.local_dir.name == "app-builder"
    assert plan.cache_to == [f"type=local,dest={plan.staging_dir},mode=min"]


def test_successful_build_swaps_the_new_cache_in_and_drops_stale_blobs(spec: BuildSpec) -> None:
    plan = cache.plan_cache(spec)
    assert plan.local_dir and plan.staging_dir
    plan.local_dir.mkdir(parents=True)
    old = make_cache(plan.local_dir, [b"layer-a", b"layer-b"])
    plan = cache.plan_cache(spec)
    assert plan.staging_dir and plan.local_dir
    assert plan.cache_from == [f"type=local,src={plan.local_dir}"]
    cache.stage(plan)
    # staged blobs are hard links to the live cache's; index.json is not linked
    assert (plan.staging_dir / "blobs" / "sha256" / old[0].split(":")[1]).stat().st_nlink == 2
    assert not (plan.staging_dir / "index.json").exists()
    new = make_cache(plan.staging_dir, [b"layer-a", b"layer-c"])  # what "BuildKit" exported this time
    cache.commit(plan)
    names = {p.name for p in (plan.local_dir / "blobs" / "sha256").iterdir()}
    assert old[0].split(":")[1] in names and new[1].split(":")[1] in names
    assert old[1].split(":")[1] not in names  # layer-b is no longer referenced: gone
    assert not plan.staging_dir.exists()
    assert cache.local_cache_ok(plan.local_dir)


def test_failed_build_keeps_the_old_cache(spec: BuildSpec) -> None:
    plan = cache.plan_cache(spec)
    assert plan.local_dir
    plan.local_dir.mkdir(parents=True)
    make_cache(plan.local_dir, [b"x"])
    before = (plan.local_dir / "index.json").read_bytes()
    plan = cache.plan_cache(spec)
    cache.stage(plan)
    assert plan.staging_dir
    (plan.staging_dir / "index.json").write_text("{trunc")  # an export cut short
    cache.discard(plan)
    assert not plan.staging_dir.exists()
    assert (plan.local_dir / "index.json").read_bytes() == before


def test_a_damaged_cache_is_set_aside_with_a_warning(spec: BuildSpec) -> None:
    d = cache.local_cache_dir(spec, spec.cache)
    d.mkdir(parents=True)
    (d / "index.json").write_text('{"schemaVersion": 2, "manif')
    plan = cache.plan_cache(spec)
    assert plan.cache_from == []
    assert "is damaged" in plan.warnings[0]
    assert not any(p.name.startswith("app-builder.corrupt-") for p in d.parent.iterdir())  # a plan writes nothing
    warnings = cache.stage(plan)  # the build: set aside before BuildKit runs
    assert "set aside as" in warnings[0]
    assert any(p.name.startswith("app-builder.corrupt-") for p in d.parent.iterdir())
    cache.discard(plan)


def test_unwritable_cache_dir_warns_unless_required(spec: BuildSpec, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    spec.cache = CachePolicy(kind="local", dir=blocker / "sub" / "c")
    plan = cache.plan_cache(spec)
    assert plan.cache_to == [] and "not writable" in plan.warnings[0]
    spec.cache = CachePolicy(kind="local", dir=blocker / "sub" / "c", required=True)
    with pytest.raises(cache.CacheUnavailable, match="not writable"):
        cache.plan_cache(spec)


def test_missing_platforms(spec: BuildSpec) -> None:
    plan = cache.plan_cache(spec)
    assert plan.local_dir
    plan.local_dir.mkdir(parents=True)
    held = make_cache(plan.local_dir, [b"amd64-binary", b"certs"])
    layers = {"linux/amd64": {held[0], held[1]}, "linux/arm64": {"sha256:" + "0" * 64, held[1]}}
    assert cache.missing_platforms(plan, layers) == ["linux/arm64"]
    assert cache.missing_platforms(plan, {"linux/amd64": {held[0]}}) == []


@pytest.mark.parametrize(
    ("mode", "kind", "ci", "expected"),
    [
        ("auto", "local", None, "min"),  # the edit-rebuild loop
        ("auto", "local", "true", "max"),  # CI: a fresh builder imports it
        ("auto", "local", "1", "max"),
        ("auto", "local", "false", "min"),
        ("auto", "registry", None, "max"),  # pushing: other machines import it
        ("min", "registry", "true", "min"),  # asked for: as asked
        ("max", "local", None, "max"),
    ],
)
def test_export_mode(mode: str, kind: str, ci: str | None, expected: str) -> None:
    assert cache.export_mode(mode, kind, {} if ci is None else {"CI": ci}) == expected


def test_ci_exports_mode_max(spec: BuildSpec, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    plan = cache.plan_cache(spec)
    assert plan.cache_to == [f"type=local,dest={plan.staging_dir},mode=max"] and plan.mode == "max"
    spec.cache = CachePolicy(kind="local", mode="min")
    assert cache.plan_cache(spec).cache_to[0].endswith(",mode=min")


def test_cache_state_current_exporting_stale(spec: BuildSpec) -> None:
    plan = cache.plan_cache(spec)
    assert plan.local_dir and plan.staging_dir
    plan.local_dir.mkdir(parents=True)
    make_cache(plan.local_dir, [b"x"])
    assert cache.cache_state(plan.local_dir) == "current"
    assert cache.export_info(plan.local_dir) == {}  # a cache from before buildorch noted its mode

    cache.stage(plan)  # this process is the running build: its export is under way
    make_cache(plan.staging_dir, [b"x", b"y"])
    assert cache.cache_state(plan.local_dir) == "exporting"
    assert cache.cache_state(plan.staging_dir) == "staging"
    # what a build imports meanwhile is the complete live cache, never the staging directory
    assert cache.plan_cache(spec).cache_from == [f"type=local,src={plan.local_dir}"]

    cache.commit(plan)
    assert cache.cache_state(plan.local_dir) == "current"
    assert cache.export_info(plan.local_dir)["mode"] == "min"

    cache.mark_stale(plan)  # a build that could not export its cache
    assert cache.cache_state(plan.local_dir) == "stale"
    assert cache.plan_cache(spec).cache_from == [f"type=local,src={plan.local_dir}"]  # still imported


def test_cache_state_of_left_overs(tmp_path: Path) -> None:
    dead = tmp_path / "app-default.new-999999999"  # no such process
    dead.mkdir()
    (tmp_path / "app-default.corrupt-17").mkdir()
    damaged = tmp_path / "app-default"
    damaged.mkdir()
    (damaged / "index.json").write_text("{")
    assert cache.cache_state(dead) == "left over"
    assert cache.cache_state(tmp_path / "app-default.corrupt-17") == "left over"
    assert cache.cache_state(damaged) == "damaged"
