"""Sizes and durations as people and Docker write them: ``1.5GB``, ``512MiB``, ``7d``; and back to text."""

from __future__ import annotations

import re
from typing import Any

# Docker prints decimal units (go-units HumanSize: kB, MB); people also type binary ones (MiB).
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1000, "m": 1000**2, "mb": 1000**2, "g": 1000**3, "gb": 1000**3,
          "t": 1000**4, "tb": 1000**4, "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4}
_SIZE = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*([a-zA-Z]*)\s*")
_DURATION = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_size(text: str) -> int:
    """``1.5GB`` -> 1500000000, ``512MiB`` -> 536870912, ``7.1MB`` -> 7100000, ``0B`` -> 0; ``ValueError`` otherwise."""
    m = _SIZE.fullmatch(text)
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"invalid size {text!r}: use e.g. 500MB, 2GB or 1GiB")
    # round, not int: 7.1 * 1000**2 is 7099999.999999999 in floating point
    return round(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_size_or_none(value: Any) -> int | None:
    """A size Docker printed (``7102464``, ``"7102464"``, ``"7.1MB"``) in bytes, or None when it is not one."""
    if isinstance(value, int):
        return value
    try:
        return parse_size(str(value or ""))
    except ValueError:
        return None


def parse_duration(text: str) -> int:
    """``24h`` -> 86400, ``7d`` -> 604800, ``1h30m`` -> 5400 (seconds)."""
    parts = re.findall(r"(\d+)\s*([smhdw])", text.strip().lower())
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s", "", text.strip().lower()):
        raise ValueError(f"invalid duration {text!r}: use e.g. 30m, 24h or 7d")
    return sum(int(n) * _DURATION[u] for n, u in parts)


def human_size(n: int | float | None) -> str:
    """``7321088`` -> ``7.3 MB`` (decimal units, as Docker prints them); None -> ``?``."""
    if n is None:
        return "?"
    size = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(size) < 1000 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"


def human_duration(seconds: float | None) -> str:
    """``3.21`` -> ``3.2s``, ``65`` -> ``1m05s``, ``3725`` -> ``1h02m``: at most 6 characters; None -> ``""``."""
    if seconds is None:
        return ""
    s = max(0.0, seconds)
    if s < 59.95:
        return f"{s:.1f}s"
    whole = round(s)
    if whole < 3600:
        m, rest = divmod(whole, 60)
        return f"{m}m{rest:02d}s"
    h, rest = divmod(whole, 3600)
    return f"{h}h{rest // 60:02d}m"
