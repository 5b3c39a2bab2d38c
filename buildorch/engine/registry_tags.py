"""Moving a release's tags as one step that killing the caller cannot cut in half.

A registry has no transaction: each tag (1.2.3, 1.2, 1, latest) is its own
``PUT /v2/NAME/manifests/TAG``. A release killed between two of them would leave ``1.2``
on the new index and ``latest`` on the old one. So the PUTs run in a child process of
its own session (``python -m buildorch.engine.registry_tags JOURNAL``) that ignores
SIGINT: neither Ctrl-C or a CI cancel (a signal to the caller's process group) nor a
SIGKILL of the caller stops it. It moves every tag of every image, or, when the
registry fails (after retries), puts back the tags it had moved; then it deletes its
journal. The caller waits for it, through Ctrl-C too, and reports what it did.

The journal (written before the child starts, atomically) is what :func:`recover`
completes when the child itself died (the machine went down): the next release of the
image rolls the interrupted one forward, since its index had been verified. The child
inherits the caller's lock file descriptors (``keep_fds``), so the lock stays held until
the last tag has moved, even when the caller is gone.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, cast

from buildorch.core.errors import BuildorchError
from buildorch.core.retry import Backoff
from buildorch.engine.registry import Client, RegistryError

_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass
class Move:
    """Point ``tags`` of ``image`` at ``digest``; ``previous`` is where each pointed before (None: no such tag)."""

    image: str
    digest: str
    tags: list[str]
    previous: dict[str, str | None]


class TagsNotMoved(RegistryError):
    """The registry failed while the tags moved; the moved ones were put back as far as possible (``details``)."""

    def __init__(self, message: str, status: int | None, hint: str | None, image: str, problems: list[str]) -> None:
        super().__init__(message, status, hint)
        self.image = image
        self.details = problems


def paths(journal: Path) -> tuple[Path, Path]:
    """The child's outcome (JSON) and its stderr (a traceback would go there) beside ``journal``."""
    return journal.with_suffix(".out"), journal.with_suffix(".log")


def commit(
    moves: list[Move], journal: Path, backoff: Backoff, log: IO[str], *, keep_fds: tuple[int, ...] = (), command: str = "release"
) -> None:
    """Move every tag of ``moves`` in a child that outlives this process; raise TagsNotMoved when the registry failed.

    ``command`` (release, merge) is written in the journal: whoever completes it says whose tagging it was.
    """
    journal.parent.mkdir(parents=True, exist_ok=True)
    out_path, err_path = paths(journal)
    tmp = journal.with_suffix(".tmp")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    try:
        tmp.write_text(json.dumps({"moves": [asdict(m) for m in moves], "attempts": backoff.attempts, "base": backoff.base,
                                  "command": command}))
        os.replace(tmp, journal)  # the journal exists whole or not at all
        with err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "buildorch.engine.registry_tags", str(journal)], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=err, start_new_session=True, pass_fds=keep_fds, env=env,
            )  # fmt: skip
    except BaseException:  # Ctrl-C (or no python) before the child exists: nothing moved, no journal to complete
        for p in (tmp, journal, err_path):
            p.unlink(missing_ok=True)
        raise
    interrupted = False
    while True:
        try:
            proc.wait()
            break
        except KeyboardInterrupt:
            if not interrupted:
                log.write("interrupted while tagging: the tags finish moving first (all of them or none)\n")
            interrupted = True
    try:
        outcome = json.loads(out_path.read_text())
    except (OSError, ValueError):
        crash = err_path.read_text(errors="replace").strip().splitlines()[-1:] if err_path.exists() else []
        raise BuildorchError(
            f"the tagging process ended with code {proc.returncode} and no outcome", f"its journal stays in {journal}",
            details=crash,
        ) from None
    finally:
        for p in (out_path, err_path):
            p.unlink(missing_ok=True)
    for line in outcome["lines"]:
        log.write(line + "\n")
    if interrupted:
        raise KeyboardInterrupt
    _raise_failure(outcome)


def _raise_failure(outcome: dict[str, Any]) -> None:
    if not outcome["ok"]:
        raise TagsNotMoved(outcome["error"], outcome["status"], outcome["hint"], outcome["image"], outcome["problems"])


def recover(journal: Path, log: IO[str]) -> None:
    """Complete the tag moves of a journal whose child died; call it under the lock of its images."""
    out_path, err_path = paths(journal)
    for p in (out_path, err_path, journal.with_suffix(".tmp")):
        p.unlink(missing_ok=True)
    try:
        command = json.loads(journal.read_text()).get("command") or "release"  # journals before merge wrote none
    except FileNotFoundError:
        return
    except (OSError, ValueError, AttributeError):
        command = "release or merge"  # run_journal reports what is wrong with it
    log.write(f"completing the tagging of a {command} that was interrupted (journal {journal})\n")
    _raise_failure(run_journal(journal, log))


def run_journal(journal: Path, log: IO[str] | None = None) -> dict[str, Any]:
    """Move the tags ``journal`` lists, all or none; delete the journal; return the outcome (``lines`` says what was done)."""
    doc = json.loads(journal.read_text())
    moves = [Move(**m) for m in doc["moves"]]
    backoff = Backoff(attempts=int(doc["attempts"]), base=float(doc["base"]))
    lines: list[str] = []
    say = cast(IO[str], _Lines(lines, log))
    outcome: dict[str, Any] = {"ok": True, "lines": lines}
    done: list[Move] = []
    for move in moves:
        client = Client(move.image, backoff, say)
        try:
            media, raw = client.manifest(move.digest)
            for tag in move.tags:
                client.retrying(f"tag {tag}", functools.partial(client.put_manifest, tag, media, raw))
        except BuildorchError as exc:  # a RegistryError, or credentials that cannot be read
            problems = [p for m in [*done, move] for p in restore(Client(m.image, backoff, say), m.image, m.previous)]
            status = getattr(exc, "status", None)
            outcome.update(ok=False, error=exc.message, status=status, hint=exc.hint, image=move.image, problems=problems)
            break
        done.append(move)
    journal.unlink(missing_ok=True)
    return outcome


def restore(client: Client, image: str, previous: dict[str, str | None]) -> list[str]:
    """Put tags back where ``previous`` says (by the registry API); one line per tag that was not where it was."""
    problems = []
    for tag, before in previous.items():
        try:
            now = client.digest_of(tag)
        except BuildorchError:
            problems.append(f"{image}:{tag}: could not be read back (registry down?); it pointed at {before or 'nothing'}")
            continue
        if now == before:
            continue
        if before is None:
            problems.append(f"{image}:{tag}: created and cannot be removed through the registry API (it points at the index)")
            continue
        try:
            media, raw = client.manifest(before)
            client.retrying(f"restore tag {tag}", functools.partial(client.put_manifest, tag, media, raw))
            problems.append(f"{image}:{tag}: moved back to {before}")
        except BuildorchError as exc:
            problems.append(f"{image}:{tag}: could not be moved back to {before}: {exc.message}")
    return problems


class _Lines:
    """A log that keeps its lines for the caller (the child writes them into its outcome) and echoes them."""

    def __init__(self, lines: list[str], echo: IO[str] | None) -> None:
        self.lines, self.echo = lines, echo

    def write(self, text: str) -> int:
        self.lines.extend(ln for ln in text.splitlines() if ln.strip())
        if self.echo is not None:
            self.echo.write(text)
        return len(text)

    def flush(self) -> None:
        pass


def _main(journal: Path) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C meant for the release must not stop half-way
    parent = os.getppid()
    outcome = run_journal(journal)
    out_path, err_path = paths(journal)
    tmp = out_path.with_suffix(".out-tmp")
    tmp.write_text(json.dumps(outcome))
    os.replace(tmp, out_path)
    if os.getppid() != parent:  # the release that started us is gone: nobody reads the outcome
        for p in (out_path, err_path):
            with contextlib.suppress(OSError):
                p.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(_main(Path(sys.argv[1])))
