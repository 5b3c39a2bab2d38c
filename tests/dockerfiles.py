"""Hypothesis strategies for Dockerfiles, for the parser's properties and the check against BuildKit.

:func:`valid_dockerfiles` draws files BuildKit accepts, with the stage names they must
yield: heredocs whose bodies hold ``FROM ... AS ...`` lines, comments and empty lines
inside continuations, both escape characters, a BOM, CRLF. :func:`any_dockerfiles` mixes
in what BuildKit refuses or reads differently (bad names, unknown instructions, a space
after ``<<``), for the differential test against BuildKit itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

_FIRST = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_REST = _FIRST + "0123456789-_."
stage_names = st.builds(lambda a, b: a + b, st.sampled_from(_FIRST), st.text(_REST, max_size=8))
bad_names = st.sampled_from(["1st", "${NAME}", "my/stage", "a:b", "-a", "$x", "é"])
bases = st.sampled_from(["scratch", "alpine:3.20", "${BASE}", "$REGISTRY/app:1", "golang:${GO}-bookworm"])
heredoc_words = st.sampled_from(["EOF", "EOT", "END", "SQL", "PY", "x.txt"])
body_lines = st.sampled_from([
    "FROM x AS injected", "from users as u", "SELECT * FROM t AS a;", "from os import path", "echo hi \\", "# not a comment",
    "", "  indented", "RUN echo inner", "FROM", "\tEOF2",
])


@dataclass
class Drawn:
    text: str
    names: list[str | None]  # what BuildKit reads (only known for valid files)


@st.composite
def _instruction(draw: st.DrawFn, escape: str, nl: str, valid: bool) -> str:
    """One instruction inside a stage (several lines at times)."""
    kind = draw(st.sampled_from(["run", "continued", "heredoc", "two-heredocs", "arg", "comment", "onbuild", "json", "bad"]
                                if not valid else
                                ["run", "continued", "heredoc", "two-heredocs", "arg", "comment", "onbuild", "json"]))
    if kind == "run":
        return "RUN echo hello" + nl
    if kind == "continued":
        middle = draw(st.lists(st.sampled_from(["# FROM x AS commented", "", "   ", "    # indented comment", "  && echo b"]),
                               max_size=4))
        if not valid and draw(st.booleans()):
            middle.append("FROM x AS swallowed")  # taken into the RUN by BuildKit too
        lines = [f"RUN echo a {escape}"] + [m + (f" {escape}" if m.strip(" ") and not m.strip().startswith("#") else "")
                                             for m in middle] + ["  && echo z"]
        return nl.join(lines) + nl
    if kind in ("heredoc", "onbuild"):
        word = draw(heredoc_words)
        dash = draw(st.booleans())
        quote = draw(st.sampled_from(["", "'", '"']))
        space = " " if not valid and draw(st.booleans()) else ""
        prefix = "ONBUILD RUN" if kind == "onbuild" else draw(st.sampled_from(["RUN", "RUN --network=none", "COPY", "run"]))
        dest = " /dest" if prefix == "COPY" else ""
        body = draw(st.lists(body_lines, max_size=4))
        if dash:
            body = ["\t" + b for b in body]
        end = ("\t" if dash else "") + word
        return nl.join([f"{prefix} <<{'-' if dash else ''}{space}{quote}{word}{quote}{dest}", *body, end]) + nl
    if kind == "two-heredocs":
        return nl.join(["COPY <<A <<B /dest/", "FROM x AS in-a", "A", "FROM y AS in-b", "B"]) + nl
    if kind == "arg":
        return "ARG " + draw(st.sampled_from(["A", "B=1", 'C="x y"', "D E=2"])) + nl
    if kind == "comment":
        return draw(st.sampled_from(["# FROM x AS comment", "", "   # indented"])) + nl
    if kind == "json":
        return 'RUN ["sh", "-c", "cat <<EOF"]' + nl
    return draw(st.sampled_from(["FOO bar", "FROM scratch AS", "FROM --nosuch=1 scratch"])) + nl


@st.composite
def _dockerfile(draw: st.DrawFn, valid: bool) -> Drawn:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    escape = draw(st.sampled_from(["\\", "`"]))
    head = []
    if escape == "`":
        head.append("# escape=`")
    if draw(st.booleans()):
        head.append("ARG BASE=scratch")
    names: list[str | None] = []
    stages = []
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.one_of(stage_names, st.none()) if valid else st.one_of(stage_names, st.none(), bad_names))
        names.append(name.lower() if name else None)
        platform = draw(st.sampled_from(["", "--platform=$BUILDPLATFORM ", "--platform=linux/arm64 "]))
        as_word = draw(st.sampled_from(["AS", "as", "As"]))
        line = f"FROM {platform}{draw(bases)}" + (f" {as_word} {name}" if name else "")
        body = draw(st.lists(_instruction(escape, nl, valid), max_size=4))
        stages.append(line + nl + "".join(body))
    text = "".join(h + nl for h in head) + "".join(stages)
    if draw(st.booleans()):
        text = "\ufeff" + text
    return Drawn(text=text, names=names)


def valid_dockerfiles() -> st.SearchStrategy[Drawn]:
    """Files BuildKit accepts, with their stage names (lower-cased; None for an unnamed stage)."""
    return _dockerfile(valid=True)


def any_dockerfiles() -> st.SearchStrategy[Drawn]:
    """Files BuildKit may refuse or read differently across versions (``names`` is then only a guess)."""
    return _dockerfile(valid=False)
