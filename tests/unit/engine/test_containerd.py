"""containerd's content store read from its files: only bytes that hash to the digest asked for are believed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.engine import containerd


def _put(root: Path, data: bytes, name: str | None = None) -> str:
    hexdigest = hashlib.sha256(data).hexdigest()
    blobs = root / "io.containerd.content.v1.content" / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (blobs / (name or hexdigest)).write_bytes(data)
    return f"sha256:{hexdigest}"


def test_a_blob_is_read_from_its_file(tmp_path: Path) -> None:
    data = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    assert containerd.blob_file(_put(tmp_path, data), tmp_path) == data


def test_a_file_whose_bytes_are_not_its_digest_is_not_believed(tmp_path: Path) -> None:
    digest = _put(tmp_path, b'{"a": 1}')
    _put(tmp_path, b'{"a": 2}', name=digest.removeprefix("sha256:"))  # same name, other content
    assert containerd.blob_file(digest, tmp_path) is None


def test_a_missing_blob_or_store_is_none(tmp_path: Path) -> None:
    assert containerd.blob_file("sha256:" + "0" * 64, tmp_path) is None
    assert containerd.blob_file("sha256:" + "0" * 64, tmp_path / "absent") is None


def test_another_daemon_named_by_containerd_address_is_left_to_ctr(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(containerd, "DEFAULT_ROOT", tmp_path)
    digest = _put(tmp_path, b"{}")
    assert containerd.blob_file(digest) == b"{}"
    monkeypatch.setenv("CONTAINERD_ADDRESS", "/run/other/containerd.sock")
    assert containerd.blob_file(digest) is None


def test_store_blob_falls_back_to_ctr_when_the_file_cannot_answer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(containerd, "DEFAULT_ROOT", tmp_path)
    asked: list[str] = []

    def ctr(digest: str) -> bytes:
        asked.append(digest)
        return b'{"from": "ctr"}'

    monkeypatch.setattr(containerd, "_ctr_blob", ctr)
    on_disk = _put(tmp_path, b'{"from": "file"}')
    assert containerd.store_blob(on_disk) == {"from": "file"}
    assert asked == []
    assert containerd.store_blob("sha256:" + "1" * 64) == {"from": "ctr"}
    assert asked == ["sha256:" + "1" * 64]


@given(st.text(max_size=80))
def test_any_digest_text_is_an_answer_or_none_never_an_error(text: str) -> None:
    # "../x", NUL bytes, another algorithm, upper case: only sha256:<64 lower hex> names a file.
    assert containerd.blob_file(text, Path("/nonexistent-root")) is None
