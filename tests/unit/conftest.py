"""Unit tests keep what buildorch stores for the user (locks, the buildx version it has seen) in a temp dir."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _user_cache_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    # A test that fakes `buildx version` must not leave its answer for the real plugin in ~/.cache.
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
