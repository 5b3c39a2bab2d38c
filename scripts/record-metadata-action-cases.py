#!/usr/bin/env python3
"""Record docker/metadata-action's own test tables as JSON, with the event fixtures they read.

    scripts/record-metadata-action-cases.py /path/to/metadata-action-checkout [COMMIT]

reads ``__tests__/meta.test.ts`` (the ``test.each`` tables of the describe blocks that
check version, tags and labels) and copies ``__tests__/fixtures/`` into
``tests/data/metadata-action/``; ``tests/unit/meta/test_upstream.py`` replays every case
through buildorch's port. The tables are JavaScript: a small tokenizer turns them into
JSON (string escapes as JavaScript reads them, ``undefined`` as null, ``as Type`` dropped).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

BLOCKS = ("null", "push", "tag", "latest", "pr", "pr-head-sha", "schedule", "release", "raw")
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "metadata-action"


def js_string(text: str, i: int) -> tuple[str, int]:
    quote, out, i = text[i], [], i + 1
    while text[i] != quote:
        if text[i] == "\\":
            nxt = text[i + 1]
            out.append({"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(nxt, nxt))
            i += 2
            continue
        if quote == "`" and text.startswith("${", i):
            raise ValueError("template substitution in a test table")
        out.append(text[i])
        i += 1
    return "".join(out), i + 1


def to_json(text: str) -> Any:
    out: list[str] = []
    i = 0

    def drop_trailing_comma() -> None:
        j = len(out) - 1
        while j >= 0 and out[j].isspace():
            j -= 1
        if j >= 0 and out[j] == ",":
            del out[j]

    while i < len(text):
        c = text[i]
        if text.startswith("//", i):
            i = text.index("\n", i)
        elif c in "'\"`":
            value, i = js_string(text, i)
            out.append(json.dumps(value))
        elif c.isalpha() or c in "_$":
            m = re.compile(r"[A-Za-z_$][\w$]*").match(text, i)
            assert m
            word, i = m.group(0), m.end()
            if word == "as":
                i = re.compile(r"\s*[A-Za-z_$][\w$]*(\[\])*").match(text, i).end()  # type: ignore[union-attr]
            elif re.match(r"\s*:", text[i:]):
                out.append(json.dumps(word))
            else:
                out.append({"undefined": "null"}.get(word, word))
        elif c in "]}":
            drop_trailing_comma()
            out.append(c)
            i += 1
        else:
            out.append(c)
            i += 1
    joined = "".join(out)
    try:
        return json.loads(joined)
    except ValueError as exc:
        raise ValueError(f"{exc}: {joined[max(0, exc.pos - 300) : exc.pos + 100]!r}") from exc  # type: ignore[attr-defined]


def tables(source: str) -> dict[str, list[Any]]:
    found = {}
    for m in re.finditer(r"^describe\('([\w-]+)', \(\) => \{\n(?:.*\n)*?  test\.each\(\[\n", source, re.M):
        name = m.group(1)
        if name not in BLOCKS:
            continue
        end = source.index("\n  ])(", m.end())
        found[name] = to_json("[" + source[m.end() : end] + "]")
    return found


def main(checkout: Path, commit: str | None = None) -> None:
    source = (checkout / "__tests__" / "meta.test.ts").read_text()
    commit = (
        commit or subprocess.run(["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    )
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.copytree(checkout / "__tests__" / "fixtures", OUT / "fixtures")
    doc = {"source": "github.com/docker/metadata-action __tests__/meta.test.ts", "commit": commit, "tables": tables(source)}
    (OUT / "cases.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{sum(len(t) for t in doc['tables'].values())} cases from {len(doc['tables'])} tables -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
