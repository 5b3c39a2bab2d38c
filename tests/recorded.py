"""Where the recorded Docker output lives, for every test module (unit tests at any depth)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
BAKE_DATA = DATA / "bake"
RAWJSON_DATA = DATA / "rawjson"
