"""The lines of a Dockerfile as BuildKit reads them: directives, continuations, comments, heredocs.

A port of the parts of BuildKit's ``frontend/dockerfile/parser`` (``parser.go``,
``directives.go``, ``split_command.go``) and ``shell/lex.go`` that decide where an
instruction starts and ends. :mod:`buildorch.core.dockerfile` turns the instructions into
stages. What BuildKit does, and so what this does:

* a UTF-8 byte order mark before the first line is dropped; lines end at ``\\n`` and
  trailing ``\\r`` are dropped (CRLF files);
* parser directives (``# syntax=``, ``# escape=``, and ``# check=`` after BuildKit 0.13)
  count only at the top, before any other line, comment or empty line;
* the escape character (``\\`` or, with ``# escape=`\u0060``, a backtick) at the end of a line
  continues the instruction; comment lines and empty lines inside a continuation are
  skipped (an empty one draws a warning);
* ``RUN``, ``COPY`` and ``ADD`` (also after ``ONBUILD``) in shell form take heredocs:
  each ``<<WORD`` (``<<-WORD``, quoted words, several on one line) consumes the lines up to
  the one that is exactly WORD; those lines are never read as instructions.

Names follow BuildKit's where they exist, so that each function can be read next to its
Go original. Only what decides the instructions is ported: variables are not expanded.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from buildorch.core.dockerfile_words import GO_SPACE, extract_flags, shell_words

_WHITESPACE = re.compile(r"[\t\v\f\r ]+")  # reWhitespace
_OTHER_BLANK = re.compile(r"[\t\v\f\r]")
_BLANK = ("\t", "\v", "\f", "\r", " ")
_DIRECTIVE = re.compile(r"([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")  # directiveRegexp; \s is ASCII in Go
_HEREDOC = re.compile(r"(\d*)<<(-?)[\t\n\f\r ]*([^<]*)")  # reHeredoc (current BuildKit allows the spaces)
_HEREDOC_0_13 = re.compile(r"(\d*)<<(-?)([^<]*)")
HEREDOC_INSTRUCTIONS = frozenset({"run", "copy", "add"})
_JSON_INSTRUCTIONS = frozenset({"run", "cmd", "entrypoint", "shell", "copy", "add", "volume"})
_FLAGS_READ = frozenset({"from", "onbuild", "arg", "healthcheck"})


@dataclass(frozen=True)
class Dialect:
    """Where BuildKit versions read the same file differently (both recorded in tests/data/dockerfiles/).

    Recorded: BuildKit 0.13 (Docker Engine 26.1) and v0.34.2. Which release in between
    changed each point was not checked.
    """

    name: str
    directives: frozenset[str]  # 0.13 does not know `# check=`: it ends the directives there
    space_after_heredoc: bool  # `RUN << EOF` opens a heredoc now; in 0.13 `<<` alone is a word (and no heredoc)


CURRENT = Dialect("current BuildKit (v0.34.2 recorded)", frozenset({"syntax", "escape", "check"}), True)
BUILDKIT_0_13 = Dialect("BuildKit 0.13 (Docker Engine 26.1)", frozenset({"syntax", "escape"}), False)


class DockerfileError(ValueError):
    """BuildKit would refuse this Dockerfile; ``line`` is 1-based, as in BuildKit's message."""

    def __init__(self, reason: str, line: int | None = None, path: str | None = None) -> None:
        where = " ".join(w for w in (path, f"line {line}" if line else None) if w)
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.line = line
        self.path = path


@dataclass(slots=True)
class Heredoc:
    name: str
    chomp: bool  # <<-WORD: leading tabs are removed (also from the terminator line)
    content: str = ""


@dataclass(slots=True)
class Instruction:
    """One instruction: its keyword as written (and lower-cased), its ``--flags``, the rest, its lines (1-based)."""

    keyword: str
    low: str
    flags: list[str]
    rest: str
    start: int
    end: int
    json_form: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    sub: Instruction | None = None  # the instruction after ONBUILD


@dataclass
class Scanned:
    directives: dict[str, tuple[str, int]]  # name -> (value, line)
    escape: str
    instructions: list[Instruction]
    warnings: list[str]


def scan(text: str, dialect: Dialect = CURRENT) -> Scanned:
    """Split ``text`` into instructions as ``parser.Parse`` does; raise DockerfileError where it fails."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    escape = "\\"
    continuing = (escape, " ", "\t")  # the last characters of a line that may continue it
    directives: dict[str, tuple[str, int]] = {}
    in_directives = True
    out: list[Instruction] = []
    warnings: list[str] = []
    n = len(lines)
    i = 0
    while i < n:
        s = lines[i].rstrip("\r\n").lstrip(GO_SPACE)
        i += 1
        if in_directives:
            d = _directive(s, dialect)
            if d is None:
                in_directives = False
            else:
                key, value = d
                if key in directives:
                    raise DockerfileError(f"only one {key} parser directive can be used", i)
                if key == "escape":
                    if value not in ("\\", "`"):
                        raise DockerfileError(f"invalid escape token '{value}' does not match ` or \\", i)
                    escape = value
                    continuing = (escape, " ", "\t")
                directives[key] = (value, i)
        if not s or s[0] == "#":
            continue
        start = i
        s, more = _trim_continuation(s, escape) if s[-1] in continuing else (s, False)
        parts = [s]
        empty_line = False
        while more and i < n:
            raw = lines[i].rstrip("\r\n")
            i += 1
            left = raw.lstrip(GO_SPACE)
            if not left:
                empty_line = True
                continue
            if left[0] == "#":
                continue
            raw, more = _trim_continuation(raw, escape) if raw[-1] in continuing else (raw, False)
            parts.append(raw)
        line = parts[0] if len(parts) == 1 else "".join(parts)
        if empty_line:
            warnings.append(f"line {i}: empty continuation line (BuildKit: these will become errors)")
        ins = _instruction(line, escape, start, i)
        target = ins.sub if ins.sub is not None else ins
        if target.low in HEREDOC_INSTRUCTIONS and not target.json_form and "<<" in line:
            for doc in heredocs_in(line, dialect, start, i):
                body: list[str] = []
                while True:
                    if i >= n:
                        raise DockerfileError("unterminated heredoc", start)
                    raw = lines[i]
                    i += 1
                    end = raw.rstrip("\r\n")
                    if (end.lstrip("\t") if doc.chomp else end) == doc.name:
                        break
                    body.append(raw)
                doc.content = "\n".join(body)
                ins.heredocs.append(doc)
        ins.end = i
        out.append(ins)
    if not out:
        raise DockerfileError("file with no instructions", None)
    return Scanned(directives=directives, escape=escape, instructions=out, warnings=warnings)


def _directive(s: str, dialect: Dialect) -> tuple[str, str] | None:
    """``# escape=`` -> ("escape", "`"); None ends the directives (DirectiveParser.ParseLine)."""
    if not s.startswith("#"):
        return None
    m = _DIRECTIVE.fullmatch(s[1:].lstrip(GO_SPACE))
    if not m:
        return None
    key = m.group(1).lower()
    if key not in dialect.directives:
        return None
    return key, m.group(2)


def _trim_continuation(line: str, escape: str) -> tuple[str, bool]:
    """``([^\\\\])\\\\[ \\t]*$|^\\\\[ \\t]*$``: the escape last on the line (not itself escaped) continues it."""
    t = line.rstrip(" \t")
    if t.endswith(escape) and (len(t) == 1 or t[-2] != escape):
        return t[:-1], True
    return line, False


def _instruction(line: str, escape: str, start: int, end: int) -> Instruction:
    """``splitCommand`` + the dispatch function's JSON test (newNodeFromLine)."""
    line = line.strip(GO_SPACE)
    keyword, space, rest = line.partition(" ")  # the usual case, 3 times faster than the regular expression
    if not space or _OTHER_BLANK.search(keyword) or rest[:1] in _BLANK:
        words = _WHITESPACE.split(line, maxsplit=1)
        keyword, rest = words[0], words[1] if len(words) == 2 else ""
    flags: list[str] = []
    low = keyword.lower()
    # Flags matter for FROM, ONBUILD and ARG, and where a heredoc or a JSON array may follow them:
    # elsewhere the rest is kept whole (a 5,000-stage file parses in well under 0.1 s).
    if rest and (low in _FLAGS_READ or (low in _JSON_INSTRUCTIONS and ("[" in rest or "<<" in rest))):
        rest, flags = extract_flags(rest, escape)
        rest = rest.strip(GO_SPACE)
    ins = Instruction(keyword, low, flags, rest, start, end)
    if low in _JSON_INSTRUCTIONS and rest.startswith("["):
        ins.json_form = _json_array(rest, start, end)
    elif low == "onbuild" and rest:
        ins.sub = _instruction(rest, escape, start, end)
    elif low == "healthcheck":
        kind, _, cmd = rest.partition(" ")
        if kind.upper() == "CMD" and cmd.lstrip(GO_SPACE).startswith("["):
            _json_array(cmd.lstrip(GO_SPACE), start, end)
    return ins


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # Go's encoding/json has no NaN or Infinity


def _json_array(rest: str, start: int, end: int) -> bool:
    """``parseJSON``: True for an array of strings, False when not JSON; an array of anything else is an error."""
    try:
        value = json.loads(rest, parse_constant=_reject_constant)
    except ValueError:
        return False
    if not isinstance(value, list):
        return False
    if not all(isinstance(v, str) for v in value):
        raise DockerfileError("when using JSON array syntax, arrays must be comprised of strings only", start)
    return True


def heredocs_in(line: str, dialect: Dialect, start: int, end: int) -> list[Heredoc]:
    """``heredocsFromLine``: every word of the line that is ``[n]<<[-]WORD``, as a heredoc named WORD."""
    try:
        words = shell_words(line, raw=True, dialect=dialect)
    except ValueError:
        return []  # BuildKit ignores the lexer's error here: no heredocs
    pattern = _HEREDOC if dialect.space_after_heredoc else _HEREDOC_0_13
    docs = []
    for word in words:
        m = pattern.fullmatch(word)
        if not m or not m.group(3):
            continue
        try:
            names = shell_words(m.group(3), raw=False, dialect=dialect)
        except ValueError as exc:
            raise DockerfileError(f"failed to process {m.group(3)!r}: {exc}", start) from exc
        if len(names) == 1:
            docs.append(Heredoc(name=names[0], chomp=m.group(2) == "-"))
    return docs
