"""What a line of the live view looks like, for tests that read it (rendered by rich, or captured from tmux)."""

from __future__ import annotations

import re

GLYPHS = "✓↺✗⊘·■⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
PLATFORMS = {"amd64", "arm64", "amd64→arm64", "all", "host"}
DURATION = r"(?:\d+\.\ds|\d+m\d\ds|\d+h\d\dm|cached|-)"
# "✓ amd64→arm64 builder 6/6  29.4s RUN CGO_ENABLED=0 ..." (the stage column goes when the terminal is narrow)
STEP_ROW = re.compile(
    rf"^(?P<state>[{GLYPHS}]) (?P<platform>\S+) +(?:(?P<stage>\S+) +)?(?P<step>\d+/\d+)"
    rf" +(?P<duration>{DURATION})(?: (?P<text>.*))?$"
)
# "✓                           1.8s exporting to image", "⠋ amd64              0.1s load metadata for ...":
# the export, push and [internal] loads have no stage and no step; the platform, when they have one
OUTPUT_ROW = re.compile(rf"^[{GLYPHS}] (?:\S+ +| +)(?P<duration>{DURATION}) \S")
HEADER = re.compile(rf"(?P<done>\d+) done · (?P<cached>\d+) cached · (?P<total>\d+) steps? · (?P<elapsed>{DURATION})$")


def rows(screen: str) -> list[str]:
    """The lines that are rows of the view: they start with a state glyph and a blank."""
    return [line.rstrip() for line in screen.splitlines() if len(line) > 1 and line[0] in GLYPHS and line[1] == " "]


def bad_rows(screen: str) -> list[str]:
    """Rows that are neither a whole step row (platform among the known names) nor an export/push row."""
    bad = []
    for line in rows(screen):
        m = STEP_ROW.match(line)
        if OUTPUT_ROW.match(line):
            continue
        if m is None or m.group("platform") not in PLATFORMS:
            bad.append(line)
    return bad


def step_rows(screen: str) -> list[re.Match[str]]:
    return [m for m in map(STEP_ROW.match, rows(screen)) if m is not None and not OUTPUT_ROW.match(m.string)]
