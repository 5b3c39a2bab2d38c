"""The checks of ``build-kills`` and ``concurrent-builds`` on caches laid out by hand: they can say no."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from reliability.build_kills import _figures, cache_complete, cache_leftovers, too_late


def blob(gen: Path, data: bytes) -> dict[str, object]:
    d = hashlib.sha256(data).hexdigest()
    (gen / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (gen / "blobs" / "sha256" / d).write_bytes(data)
    return {"digest": f"sha256:{d}", "size": len(data)}


def make_cache(root: Path, name: str = "ctx") -> tuple[Path, Path, dict[str, object]]:
    gen = root / f"{name}.gen-1a"
    layer = blob(gen, os.urandom(1000)) | {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip"}
    # the cache config names cache keys, which are not blobs
    config = blob(gen, json.dumps({"records": [{"digest": "sha256:" + "0" * 64}]}).encode())
    config |= {"mediaType": "application/vnd.buildkit.cacheconfig.v0"}
    manifest = blob(gen, json.dumps({"layers": [layer], "config": config}).encode())
    manifest |= {"mediaType": "application/vnd.oci.image.manifest.v1+json"}
    (gen / "index.json").write_text(json.dumps({"manifests": [manifest]}))
    live = root / name
    live.symlink_to(gen.name)
    return live, gen, layer


def test_a_complete_cache_is_complete_and_a_missing_or_cut_layer_is_not(tmp_path: Path) -> None:
    live, gen, layer = make_cache(tmp_path)
    assert cache_complete(live)
    path = gen / "blobs" / "sha256" / str(layer["digest"]).split(":")[1]
    path.write_bytes(path.read_bytes()[:10])
    assert not cache_complete(live)
    path.unlink()
    assert not cache_complete(live)


def test_no_cache_or_a_damaged_index_is_not_complete(tmp_path: Path) -> None:
    assert not cache_complete(tmp_path / "none")
    live, gen, _ = make_cache(tmp_path)
    (gen / "index.json").write_text("{")
    assert not cache_complete(live)


def test_leftovers_are_staging_links_damaged_copies_and_other_generations(tmp_path: Path) -> None:
    live, _, _ = make_cache(tmp_path)
    assert cache_leftovers(live) == []
    for name in ("ctx.new-123", ".ctx.link-9", "ctx.corrupt-5", "ctx.gen-0f"):
        (tmp_path / name).mkdir()
    assert sorted(cache_leftovers(live)) == sorted(["ctx.new-123", ".ctx.link-9", "ctx.corrupt-5", "ctx.gen-0f"])


def row(kind: str, code: int, err: str = "interrupted", finished_first: bool = False, late: bool = False) -> dict[str, object]:
    return {"kind": kind, "delay": 1.0, "staged": True, "finished_first": finished_first, "late": late, "code": code,
            "hung": False, "traceback": "Traceback" in err, "err_tail": err.splitlines()[-3:], "new_cache": False,
            "complete": True, "next_ok": True, "next_cached": 100.0, "leftovers": [], "next_err": ""}  # fmt: skip


def test_a_sigint_after_the_outcome_is_no_trial_and_a_wrong_end_is_counted() -> None:
    assert too_late("SIGINT", 0, "")
    assert not too_late("SIGINT", 0, "Traceback (most recent call last):\n  ...")  # exit 0 with a traceback is a defect
    assert not too_late("SIGINT", 130, "interrupted") and not too_late("SIGKILL", 0, "")
    figures = {f.name: f for f in _figures([row("SIGINT", 130), row("SIGKILL", -9, ""), row("SIGINT", 0, "", True, True)])}
    assert figures["trials"].value == 2 and "(1 of them ended with exit 0" in figures["trials"].notes[0]
    assert figures["clean_ends"].value == 100.0
    figures = {f.name: f for f in _figures([row("SIGINT", 130), row("SIGINT", 1, "error: x")])}
    assert figures["clean_ends"].value == 50.0 and not figures["clean_ends"].goal_met
