"""The default cache mode depends on ``CI`` (``cache.export_mode``): unit tests see a developer's machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _not_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
