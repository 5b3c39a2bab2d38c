"""Sizes and durations as Docker and people write them."""

import pytest

from buildorch.core.units import parse_duration, parse_size


@pytest.mark.parametrize(("text", "n"), [("0B", 0), ("694.1MB", 694_100_000), ("1.5GB", 1_500_000_000),
                                         ("512MiB", 536_870_912), ("10", 10), ("2kB", 2000)])
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize(("text", "n"), [("30m", 1800), ("24h", 86400), ("7d", 604800), ("1h30m", 5400)])
def test_parse_duration(text: str, n: int) -> None:
    assert parse_duration(text) == n


@pytest.mark.parametrize("bad", ["soon", "10x", "h", ""])
def test_bad_duration(bad: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(bad)
