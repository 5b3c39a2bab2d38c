"""The bad command lines of ``hostile-inputs``: a table of what each command must refuse, crossed with hostile values.

Every case is bad in one named way, on top of an otherwise sensible command line (the
context, tags and files of the scratch project :func:`project` makes), so that the
case tests that one refusal. The values come from a fixed pool (control characters,
bidi overrides, lookalikes, huge values, separators, numbers out of range...) and a
seeded choice picks which crossings run, so a run is reproducible from its seed.

Two kinds of value cannot reach a real process's argv, and the cases say so
(``argv_ok=False``): a NUL byte (``execve`` ends the string there) and, in the
environment, the same. A byte that is not UTF-8 can: Python receives it as a lone
surrogate (``\\udcff`` for 0xff, PEP 383), which is how the in-process run passes it and
the subprocess sample passes the byte itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# A closed loopback port: connecting is refused at once.
CLOSED = "127.0.0.1:1"
# A DOCKER_HOST nothing listens on: the daemon is "down".
DEAD_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/r4-hostile-docker.sock"}


@dataclass(frozen=True)
class Case:
    """One bad command line: what it is, the argv, extra environment and stdin."""

    command: str  # "build", "cache prune"...
    kind: str  # the axis and the value kind, e.g. "--platform/bidi"
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    stdin: str = ""
    argv_ok: bool = True  # False: holds a NUL, which no real argv or environment can carry


# name -> value. Each is bad for every axis it is crossed with below (see _STRINGS, _NUMBERS).
TEXT: dict[str, str] = {
    "empty": "",
    "space": " ",
    "newline": "a\nb",
    "cr": "a\rb",
    "tab": "a\tb",
    "esc": "\x1b[31mred",
    "del": "a\x7fb",
    "c1-nel": "a\x85b",
    "bidi-rlo": "ab\u202ecd",
    "bidi-isolate": "\u2066ab",
    "zero-width": "a\u200bb",
    "cyrillic-a": "\u0430pp",
    "fullwidth": "\uff41\uff50\uff50",
    "superscript": "\u00b2",
    "emoji": "\U0001f4e6",
    "huge": "a" * 100_000,
    "huge-unicode": "\u00e9" * 30_000,
    "comma": "a,b",
    "equals-only": "=",
    "double-quote": 'a"b',
    "single-quote": "a'b",
    "shell": "$(id);`id`",
    "glob": "*",
    "dotdot": "../..",
    "leading-dash": "-x",
    "percent": "%s%n%x",
    "braces": "{{}}",
    "backslash": "a\\b",
    "nul": "a\x00b",
    "non-utf8": "a\udcffb",
}
NUMBERS: dict[str, str] = {
    "negative": "-1",
    "zero": "0",
    "huge-int": "9" * 40,
    "nan": "nan",
    "inf": "inf",
    "overflow-float": "1e309",
    "hex": "0x10",
    "words": "ten",
    "empty": "",
    "non-utf8": "1\udcff",
    "unicode-digit": "\u0661\u0662",  # Arabic-Indic 12: int() reads it, a port must not
}
# Values that are fine in free text (a label value, a build arg value): only the unprintable ones are bad there
# (a tab is allowed: buildorch.builds.spec.unprintable).
UNPRINTABLE = ("newline", "cr", "esc", "del", "c1-nel", "bidi-rlo", "bidi-isolate", "nul", "non-utf8")
NOT_ASCII_NAME = tuple(k for k in TEXT if k not in ("glob", "leading-dash"))  # bad as a name, tag, platform, stage...


ENV_KINDS = ("newline", "bidi-rlo", "cyrillic-a", "huge", "comma", "shell", "dotdot", "non-utf8")


def argv_ok(*parts: str) -> bool:
    return not any("\x00" in p for p in parts)


@dataclass
class Project:
    """The scratch project the cases run in: good files beside broken ones."""

    root: Path
    files: dict[str, Path] = field(default_factory=dict)

    def __getitem__(self, name: str) -> str:
        return str(self.files[name])


def project(root: Path) -> Project:
    """Write the scratch project: a context that builds from scratch, and every broken file the table names."""
    p = Project(root)
    ctx = root / "r4-hostile-ctx"  # named so: an image it ever made would be tagged r4-hostile-ctx:...
    ctx.mkdir(parents=True)
    (ctx / "f0.bin").write_bytes(b"r4")
    (ctx / "Dockerfile").write_text("FROM scratch AS base\nCOPY f0.bin /f0.bin\nFROM base AS final\n")
    files: dict[str, bytes | None] = {
        "non-utf8.Dockerfile": b"FROM scratch\nCOPY \xff\xfe /x\n",
        "empty.Dockerfile": b"",
        "garbage.Dockerfile": b"}}{{ \x01\x02 FROM FROM\n",
        "no-from.Dockerfile": b"RUN true\n",
        "bad.hcl": b'target "a" {\n  context = \n}}\n',
        "bad.json": b'{"target": {"a": [1, 2',
        "non-utf8.hcl": b'target "a" {\n  context = "\xff\xfe"\n}\n',
        "cycle.hcl": b'target "a" {\n  inherits = ["b"]\n}\ntarget "b" {\n  inherits = ["a"]\n}\n',
        "undefined-var.hcl": b'target "a" {\n  context = "${NOPE_R4}"\n  tags = ["r4-x:${NOPE_R4}"]\n}\n',
        "empty.hcl": b"",
        "good.hcl": (b'target "a" {\n  context = "r4-hostile-ctx"\n  tags = ["r4-hostile:bake"]\n}\n'
                     b'group "default" {\n  targets = ["a"]\n}\n'),
        "binary.hcl": bytes(range(256)),
        "bad.toml": b"[builders.x\nendpoint = ",
        "non-utf8.toml": b'[builders.r4b]\nendpoint = "\xff"\n',
        "bad-builder.toml": b'[builders.r4b]\ndriver = "no-such-driver"\nendpoint = "tcp://127.0.0.1:1"\n',
        "garbage.pub": b"-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n",
        "record.json": b'{"id": 1, "results": "x"',
        "non-utf8.json": b'{"id": "\xff"}',
        "text.txt": b"not a directory\n",
    }
    for name, content in files.items():
        path = root / name
        path.write_bytes(content or b"")
        p.files[name] = path
    (root / "digests").mkdir()
    (root / "digests" / "not-a-digest").write_text("x")
    (root / "digests-bad-hex").mkdir()
    (root / "digests-bad-hex" / ("z" * 64)).write_text("")
    (root / "a-dir").mkdir()
    (root / "vulndb").mkdir()
    p.files |= {"ctx": ctx, "dir": root / "a-dir", "missing": root / "missing", "digests": root / "digests",
                "digests-bad-hex": root / "digests-bad-hex", "vulndb": root / "vulndb"}  # fmt: skip
    return p


Axis = Callable[[str], list[str]]


def _crossed(command: str, axes: dict[str, tuple[Axis, Iterable[str]]], pool: dict[str, str]) -> list[Case]:
    """Every axis with every value it must refuse."""
    out = []
    for axis, (make, kinds) in axes.items():
        for kind in kinds:
            args = make(pool[kind])
            out.append(Case(command, f"{axis}/{kind}", tuple(args), argv_ok=argv_ok(*args)))
    return out


def _t(kinds: Iterable[str]) -> tuple[str, ...]:
    return tuple(kinds)


def _fixed(command: str, rows: list[tuple[str, list[str]]], env: dict[str, str] | None = None) -> list[Case]:
    return [Case(command, kind, tuple(args), tuple((env or {}).items()), argv_ok=argv_ok(*args)) for kind, args in rows]


def _generic(words: list[str], tail: list[str], *, docker: bool, extra_ok: bool = False) -> list[Case]:
    """What every command must refuse: unknown flags, a flag given a value, stray arguments, and (when
    it talks to the engine) a daemon that is down or a DOCKER_HOST that is garbage."""
    cmd = " ".join(words)
    axes: dict[str, tuple[Axis, Iterable[str]]] = {
        "unknown-flag": (lambda v: [*words, *tail, f"--{v}"], _t(k for k in TEXT if k != "empty")),  # "--" ends options
        "unknown-short": (lambda v: [*words, *tail, f"-Z{v}"], _t(TEXT)),
        "flag-with-value": (lambda v: [*words, *tail, f"--help={v}"], _t(TEXT)),
        "unknown-flag-value": (lambda v: [*words, *tail, f"--r4-{v}=x"], _t(TEXT)),
        "triple-dash": (lambda v: [*words, *tail, f"---{v}"], _t(TEXT)),
        "dash-word": (lambda v: [*words, *tail, f"-{v}"], _t(k for k in TEXT if k != "empty")),
    }
    if not extra_ok:
        axes["extra-argument"] = (lambda v: [*words, *tail, "r4-extra", f"x{v}"], _t(TEXT))
    out = _crossed(cmd, axes, TEXT)
    if docker:
        # A few of each (every one runs docker): an environment holds no NUL, and a blank DOCKER_HOST
        # means the default engine (the real one: not a bad input).
        for kind in ENV_KINDS:
            out.append(Case(cmd, f"DOCKER_HOST/{kind}", (*words, *tail), (("DOCKER_HOST", TEXT[kind]),)))
            out.append(Case(cmd, f"DOCKER_CONTEXT/{kind}", (*words, *tail), (("DOCKER_CONTEXT", f"r4{TEXT[kind]}"),)))
        out += [
            Case(cmd, "daemon-down/unix", (*words, *tail), tuple(DEAD_DOCKER.items())),
            Case(cmd, "daemon-down/tcp", (*words, *tail), (("DOCKER_HOST", f"tcp://{CLOSED}"),)),
            Case(cmd, "daemon-down/ssh-garbage", (*words, *tail), (("DOCKER_HOST", "ssh://"),)),
        ]
    return out


def _values(words: list[str], tail: list[str], axes: dict[str, tuple[Callable[[str], list[str]], Iterable[str]]],
            pool: dict[str, str] = TEXT) -> list[Case]:  # fmt: skip
    cmd = " ".join(words)
    return _crossed(cmd, {a: (lambda v, m=m: [*words, *m(v)], k) for a, (m, k) in axes.items()}, pool)


def all_cases(p: Project, registry: str) -> dict[str, list[Case]]:
    """Every command line's bad inputs, by command. ``registry`` is a loopback registry that refuses everything."""
    ctx = p["ctx"]
    names = _t(NOT_ASCII_NAME)
    nonempty = _t(k for k in names if k != "empty")  # DIR/ + "" names the file DIR (Path drops the slash)
    unp = _t(UNPRINTABLE)
    # (A Dockerfile with bytes that are not UTF-8 in a COPY source is BuildKit's to read: not among them.)
    files = ["missing", "dir", "empty.Dockerfile", "garbage.Dockerfile", "no-from.Dockerfile"]
    out: dict[str, list[Case]] = {}

    # build: every option that takes a value, crossed with values it must refuse.
    build_axes: dict[str, tuple[Callable[[str], list[str]], Iterable[str]]] = {
        "context": (lambda v: [f"{p.root}/{v}"], names),
        "--file": (lambda v: [ctx, "-f", f"{p.root}/{v}"], names),
        "--platform": (lambda v: [ctx, "--platform", v], names),
        "--platform-list": (lambda v: [ctx, "--platform", f"linux/amd64,{v}"], names),
        "--target": (lambda v: [ctx, "--target", f"r4{v}"], names),
        "--tag": (lambda v: [ctx, "-t", f"r4-hostile:{v}"], names),
        "--tag-name": (lambda v: [ctx, "-t", f"r4{v}/x:1"], _t(k for k in names if k != "empty")),
        "--build-arg-value": (lambda v: [ctx, "--build-arg", f"K={v}"], unp),
        "--build-arg-key": (lambda v: [ctx, "--build-arg", f"{v}"], ("empty", "equals-only", "space", *unp)),
        "--label": (lambda v: [ctx, "--label", f"r4={v}"], unp),
        "--version": (lambda v: [ctx, "--version", v], unp),
        "--build-time": (lambda v: [ctx, "--build-time", v], names),
        "--cache": (lambda v: [ctx, "--cache", v], names),
        "--cache-mode": (lambda v: [ctx, "--cache-mode", v], names),
        "--cache-from": (lambda v: [ctx, "--cache-from", f"type={v}"], names),
        "--cache-to": (lambda v: [ctx, "--cache-to", f"type={v}"], names),
        "--output": (lambda v: [ctx, "-o", f"type={v}"], names),
        "--secret": (lambda v: [ctx, "--secret", f"id=r4,src={p.root}/missing{v}"], names),
        "--ssh": (lambda v: [ctx, "--ssh", f"default={p.root}/missing{v}"], names),
        "--build-context": (lambda v: [ctx, "--build-context", f"r4={p.root}/missing{v}"], names),
        "--network": (lambda v: [ctx, "--network", v], names),
        "--add-host": (lambda v: [ctx, "--add-host", f"r4{v}"], names),
        "--allow": (lambda v: [ctx, "--allow", v], names),
        "--annotation": (lambda v: [ctx, "--annotation", f"r4{v}"], names),
        "--attest": (lambda v: [ctx, "--attest", f"type={v}"], names),
        "--provenance": (lambda v: [ctx, "--provenance", f"mode={v}"], names),
        "--call": (lambda v: [ctx, "--call", v], names),
        "--progress": (lambda v: [ctx, "--progress", v], names),
        "--metadata-file": (lambda v: [ctx, "--metadata-file", f"{p.root}/missing/{v}"], nonempty),
        "--report": (lambda v: [ctx, "--report", f"{p.root}/missing/{v}.html"], names),
        "--dotenv": (lambda v: [ctx, "--dotenv", f"{p.root}/missing/{v}"], nonempty),
    }
    out["build"] = _values(["build"], [], build_axes) + _fixed("build", [
        *[(f"--file/{f}", ["build", ctx, "-f", p[f] if f in p.files else f]) for f in files],
        ("--target/unknown", ["build", ctx, "--target", "r4-nosuch"]),
        ("--push/no-tag", ["build", ctx, "--push"]),
        ("--push/refusing-registry", ["build", ctx, "--push", "--load", "-t", f"{registry}/r4-hostile:1"]),
        ("--load-per-platform/--push", ["build", ctx, "--load-per-platform", "--push", "-t", f"{registry}/r4:1"]),
        ("--digest-dir/alone", ["build", ctx, "--digest-dir", p["dir"]]),
        ("--check-strict/alone", ["build", ctx, "--check-strict"]),
        ("context/file", ["build", p["text.txt"]]),
    ]) + _generic(["build"], [ctx], docker=True)
    from reliability.hostile_table import more_cases  # the other commands' table

    out |= more_cases(p, registry)
    return out
