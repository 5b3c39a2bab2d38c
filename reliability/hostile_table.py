"""The bad inputs of every command but ``build`` (which ``hostile_inputs.all_cases`` holds), same rules.

Each command line: its options crossed with values they must refuse, a few broken files
by name, and the generic cases of :func:`reliability.hostile_inputs._generic`.
"""

from __future__ import annotations

from reliability.hostile_inputs import (
    CLOSED,
    NOT_ASCII_NAME,
    NUMBERS,
    TEXT,
    UNPRINTABLE,
    Case,
    Project,
    _fixed,
    _generic,
    _t,
    _values,
)

# A local image the stack always has (built by scripts/stack): only read (inspect, platforms), never run.
KNOWN_IMAGE = "moby/buildkit:buildx-stable-1"


def more_cases(p: Project, registry: str) -> dict[str, list[Case]]:
    ctx, good = p["ctx"], p["good.hcl"]
    names = _t(NOT_ASCII_NAME)
    unp = _t(UNPRINTABLE)
    nums = _t(NUMBERS)
    nonempty = _t(k for k in names if k != "empty")
    missing_dir = lambda v: f"{p.root}/missing/{v}"  # noqa: E731 - a file in a directory that does not exist
    img = f"{registry}/r4-hostile"
    LINE_SPLIT = ("comma", "newline", "cr", "c1-nel", "space", "empty")
    out: dict[str, list[Case]] = {}

    def add(words: list[str], base: list[str], axes: dict, fixed: list[tuple[str, list[str]]] = (),  # type: ignore[assignment]
            *, docker: bool = True, extra_ok: bool = False, numbers: dict | None = None) -> None:  # fmt: skip
        cmd = " ".join(words)
        cases = _values(words, [], {a: (lambda v, m=m: [*base, *m(v)], k) for a, (m, k) in axes.items()})
        if numbers:
            cases += _values(words, [], {a: (lambda v, m=m: [*base, *m(v)], k) for a, (m, k) in numbers.items()}, NUMBERS)
        cases += _fixed(cmd, [(kind, [*words, *args]) for kind, args in fixed])
        cases += _generic(words, base, docker=docker, extra_ok=extra_ok)
        out[cmd] = cases

    add(["(root)"][:0] or [], [], {
        "command": (lambda v: [f"r4{v}"], names),
        "root-flag": (lambda v: [f"--version={v}"], names),
    }, docker=False, extra_ok=True)
    out["(root)"] = out.pop("")

    add(["stages"], [ctx], {
        "context": (lambda v: ["--local", f"{p.root}/{v}"], names),
        "--file": (lambda v: ["--local", "-f", f"{p.root}/{v}"], names),
        "--builder": (lambda v: ["--builder", f"r4{v}"], names),
    }, [(f"--file/{f}", [ctx, "--local", "-f", p[f]]) for f in ("dir", "garbage.Dockerfile", "no-from.Dockerfile")],
        docker=False)  # without an engine, stages answers from buildorch's parser (by design, with a warning)

    bake_files = ["missing", "dir", "bad.hcl", "bad.json", "non-utf8.hcl", "cycle.hcl", "undefined-var.hcl", "empty.hcl",
                  "binary.hcl"]  # fmt: skip
    add(["bake"], ["-f", good], {
        "target": (lambda v: [f"r4{v}"], names),
        "--set": (lambda v: ["--set", f"a.{v}=x"], names),
        "--set-value": (lambda v: ["--set", f"a.platform={v}"], _t(k for k in names if k != "empty")),  # empty: unset
        "--set-target": (lambda v: ["--set", f"r4nosuch{v}.tags=x"], names),
        "--var": (lambda v: ["--var", f"{v}"], ("empty", "space", "newline", "comma", "glob", "shell", "nul", "non-utf8")),
        "--platform": (lambda v: ["--platform", v], names),
        "--version": (lambda v: ["--version", v], unp),
        "--build-time": (lambda v: ["--build-time", v], names),
        "--cache": (lambda v: ["--cache", v], names),
        "--cache-mode": (lambda v: ["--cache-mode", v], names),
        "--builder": (lambda v: ["--builder", f"r4{v}"], names),
        "--progress": (lambda v: ["--progress", v], names),
        "--metadata-file": (lambda v: ["--metadata-file", missing_dir(v)], nonempty),
        "--report": (lambda v: ["--report", missing_dir(v)], nonempty),
        "--dotenv": (lambda v: ["--dotenv", missing_dir(v)], nonempty),
        "--file-name": (lambda v: ["-f", f"{p.root}/{v}"], names),
    }, [(f"--file/{f}", ["-f", p[f]]) for f in bake_files if f in p.files]
       + [("--file/missing", ["-f", f"{p.root}/missing.hcl"])])

    debug_base = [ctx, "--target", "base"]
    add(["debug"], debug_base, {
        "--target": (lambda v: ["--target", f"r4{v}"], names),
        "--platform": (lambda v: ["--platform", v], names),
        "--file": (lambda v: ["-f", f"{p.root}/{v}"], names),
        "--build-arg": (lambda v: ["--build-arg", f"K={v}"], unp),
        "--version": (lambda v: ["--version", v], unp),
        "--export": (lambda v: ["--export", f"{p['text.txt']}{v}" if v else p["text.txt"]], ("empty",)),
        "--user": (lambda v: ["--user", v], unp),
        "--cache": (lambda v: ["--cache", v], names),
        "--progress": (lambda v: ["--progress", v], names),
    }, [("context/missing", [f"{p.root}/missing", "--target", "base"])], extra_ok=True)  # more words: the command

    image_axes = {"image": (lambda v: [f"r4-hostile{v}"], names)}
    add(["inspect"], [KNOWN_IMAGE], {"--platform": (lambda v: ["--platform", v], names)},
        [(f"image/{k}", [f"r4-hostile{TEXT[k]}"]) for k in names]
        + [("--sbom/missing-file", [f"{p.root}/missing.spdx.json", "--sbom"])])
    add(["compare"], [KNOWN_IMAGE], {
        "second-image": (lambda v: [f"r4-hostile{v}"], names),
        "--platform": (lambda v: [KNOWN_IMAGE, "--platform", v], names),
    }, [("--dockerfiles/" + f, ["--dockerfiles", p[f], p[f], ctx]) for f in ("missing", "dir", "empty.Dockerfile")]
       + [("--dockerfiles/one", ["--dockerfiles", p["empty.Dockerfile"]])])
    add(["smoke"], [KNOWN_IMAGE], {
        "--platform": (lambda v: ["--platform", v], names),
        "--path": (lambda v: ["--path", f"/{v}"], unp),
    }, numbers={
        "--port": (lambda v: ["--port", v], nums),
        "--timeout": (lambda v: ["--timeout", v],
                      ("negative", "zero", "nan", "inf", "overflow-float", "words", "empty", "non-utf8")),
    })
    out["smoke"] += _values(["smoke"], [], image_axes)

    rel = [ctx, "--version", "1.2.3", "--image", img, "--allow-dirty"]
    add(["release"], rel, {
        "--version": (lambda v: ["--version", f"1.2.3{v}"], nonempty),
        "--image": (lambda v: ["--image", f"{img}{v}"], nonempty),
        "--platform": (lambda v: ["--platform", v], names),
        "--file": (lambda v: ["-f", f"{p.root}/{v}"], names),
        "--target": (lambda v: ["--target", f"r4{v}"], names),
        "--build-arg": (lambda v: ["--build-arg", f"K={v}"], unp),
        "--secret": (lambda v: ["--secret", f"id=r4,src={p.root}/missing{v}"], names),
        "--verify": (lambda v: ["--verify", v], names),
        "--expect-output": (lambda v: ["--verify", "run", "--expect-output", f"({v}"], names),
        "--health-path": (lambda v: ["--health-path", f"/{v}"], unp),
        "--output-dir": (lambda v: ["--output-dir", p["text.txt"] + v], ("empty",)),
        "--build-time": (lambda v: ["--build-time", v], names),
        "--progress": (lambda v: ["--progress", v], names),
        "--bake-file": (lambda v: ["--bake", "a", "--bake-file", f"{p.root}/{v}"], names),
    }, [(f"--bake-file/{f}", [ctx, "--version", "1.2.3", "--allow-dirty", "--bake", "a", "--bake-file", p[f]])
        for f in ("bad.hcl", "non-utf8.hcl", "cycle.hcl", "empty.hcl")], numbers={
        "--port": (lambda v: ["--port", v], nums),
        "--verify-timeout": (lambda v: ["--verify-timeout", v], ("negative", "zero", "nan", "inf", "overflow-float", "words")),
        "--push-attempts": (lambda v: ["--push-attempts", v], nums),
        "--retry-delay": (lambda v: ["--retry-delay", v], ("negative", "nan", "inf", "overflow-float", "words")),
    })

    add(["login"], [registry, "-u", "r4", "--password-stdin"], {
        "registry": (lambda v: [f"r4{v}", "-u", "r4", "--password-stdin"], names),
        "--username": (lambda v: [registry, "-u", v, "--password-stdin"], unp),
    }, [("no-stdin", [registry, "-u", "r4"]), ("closed-port", [CLOSED, "-u", "r4", "--password-stdin"]),
        ("file-realm", [registry, "-u", "r4", "--password-stdin"])], docker=False)
    out["login"] = [Case(c.command, c.kind, c.argv, c.env, "r4-password\n", c.argv_ok) for c in out["login"]]

    add(["meta"], [ctx], {
        # Lines are split on line breaks and commas by design (metadata-action's inputs): those make two names.
        "--images": (lambda v: ["--images", f"r4{v}"], _t(k for k in nonempty if k not in LINE_SPLIT)),
        "--tags": (lambda v: ["--tags", f"type={v}"], names),
        "--flavor": (lambda v: ["--flavor", f"latest={v}"], names),
        "--label": (lambda v: ["--label", f"r4={v}"], _t(k for k in unp if k not in LINE_SPLIT)),
        "--annotation": (lambda v: ["--annotation", f"r4={v}"], _t(k for k in unp if k not in LINE_SPLIT)),
        "--config": (lambda v: ["--config", f"{p.root}/{v}"], names),
        # --bake-file and --dotenv create their directory (by design); a directory itself is refused.
        "--bake-file": (lambda v: ["--bake-file", f"{p['dir']}{v}"], ("empty", "dotdot")),
        "--dotenv": (lambda v: ["--dotenv", f"{p['dir']}{v}"], ("empty", "dotdot")),
    }, [(f"--config/{f}", ["--config", p[f]]) for f in ("bad.toml", "non-utf8.toml", "dir", "binary.hcl")], docker=False)

    mg = ["--digest-dir", p["digests"], "--image", img]
    add(["merge"], mg, {
        "--digest-dir": (lambda v: ["--digest-dir", f"{p.root}/{v}"], names),
        "--image": (lambda v: ["--image", f"{img}{v}"], nonempty),
        "--platform": (lambda v: ["--platform", v], names),
        "--tag": (lambda v: ["-t", v], names),
        "--health-path": (lambda v: ["--verify", "--health-path", f"/{v}"], unp),
        "--dotenv": (lambda v: ["--dotenv", missing_dir(v)], nonempty),
    }, [("--digest-dir/bad-hex", ["--digest-dir", p["digests-bad-hex"], "--image", img]),
        ("--digest-dir/file", ["--digest-dir", p["text.txt"], "--image", img]),
        ("--digest-dir/empty", ["--digest-dir", p["dir"], "--image", img])], numbers={
        "--push-attempts": (lambda v: ["--push-attempts", v], nums),
        "--port": (lambda v: ["--port", v], nums),
    })

    add(["report"], [], {
        "record": (lambda v: [f"r4{v}"], names),
        "--output": (lambda v: ["-o", missing_dir(v)], names),
        "--format": (lambda v: ["--format", v], names),
    }, [(f"record/{f}", [p[f]]) for f in ("record.json", "non-utf8.json", "dir", "binary.hcl")], docker=False, extra_ok=True)

    key = ["--key", p["garbage.pub"]]
    add(["verify"], [f"{img}:1", *key], {
        "image": (lambda v: [f"{img}:1{v}", *key], nonempty),
        "--key": (lambda v: [f"{img}:1", "--key", f"{p.root}/{v}"], names),
    }, [("--key/dir", [f"{img}:1", "--key", p["dir"]]), ("--key/missing", [f"{img}:1", "--key", p["missing"]]),
        ("--key/garbage", [f"{img}:1", *key]), ("registry/closed", [f"{CLOSED}/r4-hostile:1", *key]),
        ("registry/403", [f"{registry}/r4-403:1", *key])])

    add(["scan"], [KNOWN_IMAGE, "--db", p["vulndb"]], {
        "image": (lambda v: [f"r4-hostile{v}", "--db", p["vulndb"]], names),
        "--db": (lambda v: [KNOWN_IMAGE, "--db", f"{p.root}/{v}"], names),
        "--db-url": (lambda v: [KNOWN_IMAGE, "--db", f"file:///{v}"], names),
        "--platform": (lambda v: ["--platform", v], names),
    }, [("--db/file", [KNOWN_IMAGE, "--db", p["text.txt"]]), ("--db/empty-dir", [KNOWN_IMAGE, "--db", p["vulndb"]]),
        ("registry/refusing", [f"{img}:1", "--db", p["vulndb"]])])

    add(["check-reproducible"], [ctx], {
        "context": (lambda v: [], ()),
        "--file": (lambda v: ["-f", f"{p.root}/{v}"], names),
        "--target": (lambda v: ["--target", f"r4{v}"], names),
        "--platform": (lambda v: ["--platform", v], names),
        "--build-arg": (lambda v: ["--build-arg", f"K={v}"], unp),
        "--version": (lambda v: ["--version", v], unp),
        "--build-time": (lambda v: ["--build-time", v], names),
        "--registry": (lambda v: ["--registry", f"r4{v}"], nonempty),  # "r4" is a host name
    }, [("--registry/closed", ["--registry", CLOSED]), ("--registry/refusing", ["--registry", registry])])
    out["check-reproducible"] += _values(["check-reproducible"], [], {"context": (lambda v: [f"{p.root}/{v}"], names)})

    add(["cache", "ls"], [], {}, docker=False)
    add(["cache", "du"], [], {"--builder": (lambda v: ["--builder", f"r4{v}"], names)},
        numbers={"--top": (lambda v: ["--top", v], _t(k for k in nums if k != "huge-int"))})  # a huge N: show all
    add(["cache", "prune"], [], {
        "--older-than": (lambda v: ["--local", "--older-than", v], names),
        "--keep-storage": (lambda v: ["--local", "--keep-storage", v], names),
        "--builder": (lambda v: ["--builder", f"r4{v}", "--yes"], names),
    }, [("--local/--builder-cache/--builder", ["--local", "--builder-cache", "--builder", "r4-nosuch"])],
        numbers={"--older-than-n": (lambda v: ["--local", "--older-than", v], nums),
                 # keep 0 bytes, or more than there is: prune all, or nothing; both fine
                 "--keep-storage-n": (lambda v: ["--local", "--keep-storage", v],
                                      _t(k for k in nums if k not in ("zero", "huge-int")))})
    add(["builder", "ls"], [], {}, docker=False)  # buildx ls answers from its own files, engine or not
    for sub in ("inspect", "rm", "use", "doctor"):
        add(["builder", sub], ["r4-hostile-nosuch"], {"name": (lambda v: [f"r4-hostile{v}"], names)})
    add(["builder", "create"], ["r4b", "-c", p["bad-builder.toml"], "--dry-run"], {
        "name": (lambda v: [f"r4b{v}", "-c", p["bad-builder.toml"]], names),
        "--config": (lambda v: ["r4b", "-c", f"{p.root}/{v}"], names),
    }, [(f"--config/{f}", ["r4b", "-c", p[f]]) for f in ("bad.toml", "non-utf8.toml", "bad-builder.toml", "dir", "missing")])
    add(["history", "ls"], [], {}, docker=False)
    add(["history", "show"], [], {"record": (lambda v: [f"r4{v}"], names)}, docker=False)
    add(["history", "rm"], [], {"record": (lambda v: [f"r4{v}"], names)}, [("nothing", [])], docker=False, extra_ok=True)
    add(["keys", "generate"], [], {
        "--output-prefix": (lambda v: ["--output-prefix", missing_dir(v)], names),
        "--output-prefix-dir": (lambda v: ["--output-prefix", p["dir"] + "/" + v], ("empty",)),
    }, docker=False)
    add(["doctor"], [], {
        "--registry": (lambda v: ["--registry", f"r4{v}"], nonempty),  # "r4" is a host name
        "--builder": (lambda v: ["--builder", f"r4{v}"], names),
    }, docker=True)  # a registry that does not answer is a warning of doctor's (by design): not among its inputs
    return out
