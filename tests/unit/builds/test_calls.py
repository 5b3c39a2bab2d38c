"""--call check's JSON (recorded from buildx 0.38.2 on BuildKit 0.34.2) as findings."""

import json
from pathlib import Path

from buildorch.builds.calls import parse_check

DATA = Path(__file__).parents[2] / "data"


def test_parse_check_recording() -> None:
    findings = parse_check(json.loads((DATA / "call_check.json").read_text()))
    assert [(f.rule, f.file, f.line) for f in findings] == [
        ("FromAsCasing", "Dockerfile", 1),
        ("LegacyKeyValueFormat", "Dockerfile", 2),
    ]
    assert str(findings[0]) == (
        "Dockerfile:1: FromAsCasing: 'as' and 'FROM' keywords' casing do not match "
        "(https://docs.docker.com/go/dockerfile/rule/from-as-casing/)"
    )


def test_parse_check_without_location() -> None:
    (f,) = parse_check({"warnings": [{"ruleName": "X", "description": "d"}]})
    assert str(f) == "Dockerfile: X: d"
