"""``release --bake``: which image a bake target goes to."""

from __future__ import annotations

import pytest

from buildorch.core.errors import InputError
from buildorch.releases.bake import image_of


def test_the_prefix_wins_then_the_first_tag() -> None:
    assert image_of("app", {"tags": ["r:5000/team/app:1.0"]}, "ghcr.io/team/") == "ghcr.io/team/app"
    assert image_of("app", {"tags": ["r:5000/team/app:1.0", "r:5000/team/app:latest"]}, None) == "r:5000/team/app"


def test_a_target_without_tags_or_prefix_is_refused() -> None:
    with pytest.raises(InputError, match="bake target app has no tags"):
        image_of("app", {}, None)
