"""A Dockerfile's stages, read as BuildKit reads them (for validation before a build).

:func:`parse` follows BuildKit's Dockerfile frontend: the lines are split into
instructions by :mod:`buildorch.core.dockerfile_syntax` (directives, continuations,
comments, heredocs), then each ``FROM`` is checked as ``instructions.Parse`` checks it
(its flags, ``AS NAME`` lower-cased and matched against ``^[a-z][a-z0-9-_.]*$``).
Every file of ``tests/data/dockerfiles/`` was read by BuildKit itself
(``scripts/record-dockerfile-corpus.py``) and the unit tests check that this module
gives the same stages. It checks what decides the stages, not each instruction's own
flags and arguments: BuildKit still refuses, e.g., ``COPY --nosuch a b``.

>>> [s.name for s in parse("FROM scratch AS a\\nRUN <<EOF\\nFROM x AS injected\\nEOF\\n").stages]
['a']
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path

from buildorch.core.dockerfile_syntax import CURRENT, Dialect, DockerfileError, Instruction, scan
from buildorch.core.dockerfile_words import GO_SPACE

__all__ = ["Dockerfile", "DockerfileError", "Stage", "check_target", "detect_syntax", "parse", "parse_stages", "read",
           "read_stages"]

_STAGE_NAME = re.compile(r"[a-z][a-z0-9_.-]*")  # validStageName
_WORD = re.compile(r"[\t\v\f\r ]+")
# The instructions BuildKit knows (any other is "unknown instruction").
INSTRUCTIONS = frozenset({"add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label",
                          "maintainer", "onbuild", "run", "shell", "stopsignal", "user", "volume", "workdir"})
RESERVED_NAMES = frozenset({"context", "scratch"})  # BuildKit's ReservedStageName check


@dataclass(slots=True)
class Stage:
    """One ``FROM`` of a Dockerfile: its index, name (if any, lower-cased), base image and line.

    ``args`` are the stage's ``ARG`` names with their defaults (None when it has none).
    A dataclass, not a pydantic model: 5,000 of them take 4 ms to make instead of 13.
    """

    index: int
    name: str | None
    base: str
    platform: str | None = None
    line: int = 0
    args: dict[str, str | None] = field(default_factory=dict)


@dataclass
class Dockerfile:
    """What :func:`parse` read: the stages, the ARGs before the first FROM, the directives, warnings."""

    stages: list[Stage]
    global_args: dict[str, str | None] = field(default_factory=dict)
    syntax: str | None = None  # the `# syntax=` frontend image, when the file names one
    syntax_line: int | None = None
    escape: str = "\\"
    warnings: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages if s.name]

    @property
    def default(self) -> Stage | None:
        """The stage built without ``--target``: the last one."""
        return self.stages[-1] if self.stages else None


def parse(text: str, dialect: Dialect = CURRENT) -> Dockerfile:
    """Read a Dockerfile's stages; raise :class:`DockerfileError` (a ValueError) where BuildKit would refuse it."""
    scanned = scan(text, dialect)
    stages: list[Stage] = []
    global_args: dict[str, str | None] = {}
    first_line: dict[str, int] = {}
    warnings = list(scanned.warnings)
    for ins in scanned.instructions:
        keyword = ins.low
        if keyword not in INSTRUCTIONS:
            raise DockerfileError(_unknown(ins.keyword), ins.start)
        if keyword == "from":
            stage = _stage(ins, len(stages))
            stages.append(stage)
            if stage.name:
                if stage.name in RESERVED_NAMES:
                    warnings.append(f"line {ins.start}: stage name {stage.name!r} is reserved (BuildKit warns)")
                if stage.name in first_line:
                    warnings.append(
                        f"line {ins.start}: duplicate stage name {stage.name!r} (first on line {first_line[stage.name]}); "
                        "--target builds the last stage of that name, as BuildKit does"
                    )
                first_line.setdefault(stage.name, ins.start)
            continue
        if keyword == "onbuild":
            _check_onbuild(ins)
        if keyword == "arg":
            (stages[-1].args if stages else global_args).update(_args(ins, scanned.escape))
        elif not stages:
            raise DockerfileError("no build stage in current context", ins.start)
    syntax = detect_syntax(text)
    return Dockerfile(
        stages=stages,
        global_args=global_args,
        syntax=syntax[0] if syntax else None,
        syntax_line=syntax[1] if syntax else None,
        escape=scanned.escape,
        warnings=warnings,
    )


def _unknown(keyword: str) -> str:
    close = difflib.get_close_matches(keyword.lower(), sorted(INSTRUCTIONS), n=1)
    return f"unknown instruction: {keyword}" + (f" (did you mean {close[0].upper()}?)" if close else "")


def _stage(ins: Instruction, index: int) -> Stage:
    """``parseFrom``: one or three arguments (``BASE [AS NAME]``), only ``--platform=VALUE`` as a flag."""
    args = _WORD.split(ins.rest) if ins.rest else []
    name = None
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not _STAGE_NAME.fullmatch(name):
            raise DockerfileError(
                f"invalid name for build stage: {args[2]!r}, name can't start with a number or contain symbols", ins.start
            )
    elif len(args) != 1:
        raise DockerfileError("FROM requires either one or three arguments", ins.start)
    platform = None
    for flag in ins.flags:
        if flag == "--":
            break
        if not flag.startswith("--"):
            raise DockerfileError(f"arg should start with -- : {flag}", ins.start)
        key, eq, value = flag.partition("=")
        if key != "--platform":
            raise DockerfileError(f"unknown flag: {key}", ins.start)
        if platform is not None:
            raise DockerfileError(f"duplicate flag specified: {key}", ins.start)
        if not eq:
            raise DockerfileError(f"missing a value on flag: {key}", ins.start)
        platform = value
    return Stage(index=index, name=name, base=args[0], platform=platform or None, line=ins.start)


def _check_onbuild(ins: Instruction) -> None:
    if ins.sub is None:
        raise DockerfileError("ONBUILD requires at least one argument", ins.start)
    trigger = ins.sub.low.upper()
    if trigger == "ONBUILD":
        raise DockerfileError("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", ins.start)
    if trigger in ("MAINTAINER", "FROM"):
        raise DockerfileError(f"{trigger} isn't allowed as an ONBUILD trigger", ins.start)


def _args(ins: Instruction, escape: str) -> dict[str, str | None]:
    """``ARG A B=1 C="x y"`` -> {"A": None, "B": "1", "C": "x y"} (parseNameOrNameVal's words, quotes removed)."""
    out: dict[str, str | None] = {}
    words = _words(ins.rest, escape)
    if not words:
        raise DockerfileError("ARG requires at least one argument", ins.start)
    for word in words:
        key, eq, value = word.partition("=")
        if eq and not key:
            raise DockerfileError("ARG names can not be blank", ins.start)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value if eq else None
    return out


def _words(rest: str, escape: str) -> list[str]:
    """``parseWords``: words split at whitespace outside quotes; quotes and escapes kept."""
    words: list[str] = []
    buf: list[str] = []
    quote = ""
    pos, n = 0, len(rest)
    while pos < n:
        ch = rest[pos]
        pos += 1
        if quote:
            buf.append(ch)
            if ch == escape and pos < n:
                buf.append(rest[pos])
                pos += 1
            elif ch == quote:
                quote = ""
            continue
        if ch in GO_SPACE:
            if buf:
                words.append("".join(buf))
                buf.clear()
            continue
        if ch in "'\"":
            quote = ch
        elif ch == escape:
            if pos == n:
                continue  # an escape at the very end is dropped
            buf.append(ch)
            ch = rest[pos]
            pos += 1
        buf.append(ch)
    if buf:
        words.append("".join(buf))
    return words


def detect_syntax(text: str) -> tuple[str, int] | None:
    """The ``# syntax=`` image and its line, as BuildKit's ``DetectSyntax`` finds it (a ``#!`` line is skipped)."""
    text = text.removeprefix("\ufeff")
    lines = text.split("\n")
    first = 0
    if lines and lines[0].startswith("#!"):
        first = 1
    for i in range(first, len(lines)):
        s = lines[i].rstrip("\r\n").lstrip(GO_SPACE)
        m = re.fullmatch(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*", s)
        if not m or m.group(1).lower() not in ("syntax", "escape", "check"):
            return None
        if m.group(1).lower() == "syntax":
            return m.group(2).split(" ", 1)[0], i + 1
    return None


def parse_stages(text: str, dialect: Dialect = CURRENT) -> list[Stage]:
    """The stages of a Dockerfile, in order (see :func:`parse`)."""
    return parse(text, dialect).stages


def read_text(path: Path) -> str:
    """A Dockerfile's text: UTF-8, undecodable bytes kept (BuildKit reads bytes)."""
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def read(path: Path, dialect: Dialect = CURRENT) -> Dockerfile:
    """:func:`parse` of the file at ``path``; a DockerfileError names the file."""
    try:
        parsed = parse(read_text(path), dialect)
    except DockerfileError as exc:
        raise DockerfileError(exc.reason, exc.line, str(path)) from None
    parsed.warnings = [f"{path} {w}" for w in parsed.warnings]
    return parsed


def read_stages(path: Path) -> list[Stage]:
    return read(path).stages


def check_target(stages: list[Stage], target: str, path: Path) -> str:
    """Return the canonical target name or raise ``ValueError`` listing the stages there are."""
    names = list(dict.fromkeys(s.name for s in stages if s.name))
    t = target.lower()
    if t in names:
        return t
    listed = ", ".join(names) if names else "none (no FROM ... AS name)"
    close = difflib.get_close_matches(t, names, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"stage {target!r} not found in {path}{hint}; its stages are: {listed}")
