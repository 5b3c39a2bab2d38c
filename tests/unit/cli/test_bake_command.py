"""``buildorch bake --dry-run`` in text: one line per change, old -> new."""

from __future__ import annotations

from buildorch.cli.bake import injected_lines


def test_each_change_is_one_line_old_to_new() -> None:
    injected = {
        "app": {
            "args.VERSION": {"old": "6.4.1", "new": "7.0.0"},
            "cache-to": {"old": None, "new": ["type=local,dest=c,mode=max"]},
        },
        "test": {"args.BUILD_TIME": {"old": "", "new": "2026-01-02T03:04:05Z"}},
    }
    assert injected_lines(injected) == [
        'app.args.VERSION: "6.4.1" -> "7.0.0"',
        'app.cache-to: (none) -> ["type=local,dest=c,mode=max"]',
        'test.args.BUILD_TIME: "" -> "2026-01-02T03:04:05Z"',
    ]
    assert injected_lines({}) == ["(nothing: what runs is plain bake's definition)"]
