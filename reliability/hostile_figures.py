"""The figures of ``hostile-inputs`` (see :mod:`reliability.hostile`): one per rule, each with its goal."""

from __future__ import annotations

from collections import Counter

from reliability.common import DOCUMENTED_EXITS, TRACEBACK
from reliability.hostile import SEED, WORKERS, Result, Share, one_line_error
from reliability.hostile_inputs import Case
from reliability.report import Figure


def _short(case: Case) -> str:
    text = " ".join(case.argv)
    return repr(text if len(text) < 160 else text[:150] + f"...({len(text)} chars)")


def _finding(r: Result) -> str:
    first = next((ln for ln in r.stderr.splitlines() if ln.strip()), "")[:200]
    why = (f"started work: {r.started_work}" if r.started_work else "traceback" if r.traceback
           else f"left {r.leftovers[:3]}" if r.leftovers else f"exit {r.code}: {first!r}")  # fmt: skip
    return f"{r.case.command} [{r.case.kind}] {_short(r.case)}: {why}"


def figures(shares: list[Share], docker_left: list[str]) -> tuple[list[Figure], list[str]]:
    results = [r for sh in shares for r in sh.results]
    procs = [p for sh in shares for p in sh.sample]
    sample = [r for r, _, _ in procs]
    process_left = [x for sh in shares for x in sh.left_after]
    in_process_s = max(sh.in_process_s for sh in shares)
    process_s = max(sh.process_s for sh in shares)
    n = len(results)
    per_cmd = Counter(r.case.command for r in results)
    exits = Counter(str(r.code) for r in results)
    exits_by_cmd = {cmd: dict(Counter(str(r.code) for r in results if r.case.command == cmd)) for cmd in per_cmd}
    bad_line = [r for r in results if not r.one_line]
    undocumented = [r for r in results if r.code not in DOCUMENTED_EXITS or r.code == 0]
    tracebacks = [r for r in results if r.traceback or r.code == 3]
    started = [r for r in results if r.started_work]
    left = [r for r in results if r.leftovers]
    agree = [r for r, code, err in procs if code == r.code and one_line_error(err) == r.one_line and TRACEBACK not in err]
    disagree = [f"{_short(r.case)}: in-process {r.code}, process {code}: {err.strip()[:160]!r}"
                for r, code, err in procs if r not in agree]  # fmt: skip
    pct = lambda bad: 100.0 * (n - len(bad)) / n if n else 0.0  # noqa: E731
    no_argv = sum(not r.case.argv_ok for r in results)
    figs = [
        Figure("inputs_per_command", "bad inputs per command line (min)", min(per_cmd.values()), 200, ">=",
               trials=n, extra={"per_command": dict(per_cmd), "commands": len(per_cmd), "seed": SEED}),
        Figure("one_line_error", "refused with one error line (+ hint)", pct(bad_line), 100, ">=", "%", n,
               notes=[_finding(r) for r in bad_line[:5]]),
        Figure("documented_exit", "non-zero documented exit code", pct(undocumented), 100, ">=", "%", n,
               notes=[_finding(r) for r in undocumented[:5]],
               extra={"exit_codes": dict(exits), "by_command": exits_by_cmd}),
        Figure("tracebacks", "tracebacks or exit 3 (a bug)", len(tracebacks), 0, "<=", trials=n,
               notes=[_finding(r) for r in tracebacks[:5]]),
        Figure("started_work", "bad inputs that started real work", len(started), 0, "<=", trials=n,
               notes=[_finding(r) for r in started[:5]]),
        Figure("leftovers", "leftovers (files, temp files, containers, images, builders)",
               len(left) + len(docker_left) + len(process_left), 0, "<=", trials=n,
               notes=[_finding(r) for r in left[:3]] + [f"docker: {docker_left[:5]}"] * bool(docker_left)
               + [f"after the processes: {process_left[:5]}"] * bool(process_left)),
        Figure("process_agreement", "sample as real processes: same exit and shape", 100.0 * len(agree) / max(1, len(sample)),
               100, ">=", "%", len(sample), notes=disagree[:5]),
    ]  # fmt: skip
    notes = [
        f"{n} bad inputs over {len(per_cmd)} command lines in-process ({in_process_s:.0f} s, through the console "
        f"script's entry point, {WORKERS} workers), {len(sample)} of them again as real processes ({process_s:.0f} s).",
        f"{no_argv} inputs hold a NUL, which no argv can carry: run in-process only. Non-UTF-8 bytes are passed "
        "as the bytes themselves to the processes (lone surrogates in-process).",
        "Running as root: an unreadable file or directory is readable anyway, so it is not among the inputs.",
        "Not bad inputs, so not among them: `build -- FLAGS` (passed to buildx unread, by design), `--push` to Docker "
        "Hub, a blank DOCKER_HOST (the default engine), `stages` and `builder ls` without an engine (they answer from "
        "buildorch's parser and buildx's files), `doctor` with a registry that does not answer (a warning), meta's "
        "line and comma splitting, `--set T.platform=` (unsets), `--keep-storage 0`, `--metadata-file DIR/` (names "
        "the file DIR), the project's .buildorch/cache and its lock files made before a build that failed.",
    ]
    return figs, notes
