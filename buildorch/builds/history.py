"""Build records: every build, bake and release leaves one under ``.buildorch/history/``.

A record is one JSON file: what ran (``kind``: build, bake or release; ``name``: the
image or the bake's targets), when, and one :class:`BuildResult` per lane (a build
has one lane, ``""``; a bake one per target) with its steps' timeline (start,
completion, cached, inputs and log tail). ``buildorch history`` lists them and
``buildorch report`` draws them.

The folder keeps the newest ``BUILDORCH_HISTORY_KEEP`` records (100 by default);
``BUILDORCH_HISTORY_DIR`` moves it and ``BUILDORCH_HISTORY=0`` turns records off.
Each file is written to a temporary name and renamed, so a reader never sees half a
record; a record that cannot be read is skipped with a warning.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from pydantic import BaseModel, ValidationError

from buildorch.builds.spec import BuildResult, StepResult
from buildorch.core.errors import BuildorchError

KEEP = 100
RecordKind = Literal["build", "bake", "release"]
_written: list[BuildRecord] = []  # records this process wrote (``--report`` draws the latest)


class BuildRecord(BaseModel):
    """One build, bake or release as recorded: its results per lane, with the steps' timeline."""

    id: str
    kind: RecordKind
    name: str
    created: str  # ISO 8601, UTC
    version: str = ""
    duration_seconds: float = 0.0
    results: dict[str, BuildResult] = {}  # lane ("" for a build, the target for a bake) -> result
    extra: dict[str, Any] = {}  # a release's digest, tags, verification

    @property
    def size_bytes(self) -> int | None:
        sizes = [r.size_bytes for r in self.results.values() if r.size_bytes is not None]
        return sum(sizes) if sizes else None

    @property
    def steps_total(self) -> int:
        return sum(r.steps_total for r in self.results.values())

    @property
    def steps_cached(self) -> int:
        return sum(r.steps_cached for r in self.results.values())

    def summary(self) -> dict[str, Any]:
        """The line ``history ls`` shows (and its ``--json`` entry)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "created": self.created,
            "version": self.version,
            "duration_seconds": self.duration_seconds,
            "size_bytes": self.size_bytes,
            "steps_cached": self.steps_cached,
            "steps_total": self.steps_total,
        }


def step_record(step: StepResult) -> dict[str, Any]:
    """A step with what ``--json`` leaves out (inputs, log tail): a record keeps all."""
    return {**step.model_dump(mode="json"), "digest": step.digest, "inputs": step.inputs, "log_tail": step.log_tail}


def record_json(record: BuildRecord) -> dict[str, Any]:
    doc = record.model_dump(mode="json")
    for lane, result in record.results.items():
        doc["results"][lane]["steps"] = [step_record(s) for s in result.steps]
    return doc


def history_dir() -> Path:
    return Path(os.environ.get("BUILDORCH_HISTORY_DIR", ".buildorch/history"))


def keep_count() -> int:
    raw = os.environ.get("BUILDORCH_HISTORY_KEEP", "")
    try:
        return max(1, int(raw)) if raw else KEEP
    except ValueError:
        return KEEP


def enabled() -> bool:
    return os.environ.get("BUILDORCH_HISTORY", "1") not in ("0", "false", "no", "off")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.")[:40] or "build"


def record_name(results: dict[str, BuildResult]) -> str:
    """What a record is about: the image name of the first tag, else the bake's targets, else the stage."""
    for r in results.values():
        if r.tags:
            ref = r.tags[0]
            return ref.rsplit(":", 1)[0] if ":" in ref.rsplit("/", 1)[-1] else ref
    lanes = [k for k in results if k]
    if lanes:
        return "+".join(lanes)
    first = next(iter(results.values()), None)
    return (first.target if first and first.target else None) or "build"


def record(
    kind: RecordKind,
    results: dict[str, BuildResult],
    *,
    name: str | None = None,
    extra: dict[str, Any] | None = None,
    root: Path | None = None,
    keep: int | None = None,
    now: float | None = None,
) -> BuildRecord | None:
    """Write a record of ``results`` and drop the oldest beyond ``keep``; None when records are off.

    A record that cannot be written is a warning, never a failed build.
    """
    if not enabled() and root is None:
        return None
    root = root or history_dir()
    when = time.time() if now is None else now
    stamp = datetime.fromtimestamp(when, UTC)
    name = name or ("+".join(results) if kind == "bake" else record_name(results))
    first = next(iter(results.values()), None)
    rec = BuildRecord(
        id=f"{stamp:%Y%m%dT%H%M%S}{stamp.microsecond // 1000:03d}-{kind}-{_slug(name)}",
        kind=kind,
        name=name,
        created=stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        version=first.version if first else "",
        duration_seconds=max((r.duration_seconds for r in results.values()), default=0.0),
        results=results,
        extra=extra or {},
    )
    try:
        root.mkdir(parents=True, exist_ok=True)
        _write_atomic(root / f"{rec.id}.json", json.dumps(record_json(rec), indent=1))
        prune(root, keep or keep_count())
    except OSError as exc:
        sys.stderr.write(f"warning: build record not written to {root}: {exc}\n")
        return None
    _written.append(rec)
    return rec


def written_last() -> BuildRecord | None:
    """The record this process wrote last (what ``build --report`` draws)."""
    return _written[-1] if _written else None


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def record_paths(root: Path | None = None) -> list[Path]:
    """Record files, oldest first (their names start with the UTC time)."""
    root = root or history_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*.json") if not p.name.startswith("."))


def prune(root: Path, keep: int) -> list[Path]:
    """Remove all but the newest ``keep`` records; return the removed files."""
    paths = record_paths(root)
    gone = paths[: max(0, len(paths) - keep)]
    for p in gone:
        p.unlink(missing_ok=True)
    return gone


def read(path: Path) -> BuildRecord:
    """One record; BuildorchError when it is not a readable record."""
    try:
        return BuildRecord.model_validate_json(path.read_bytes())
    except (OSError, ValueError, ValidationError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise BuildorchError(f"build record {path} is unreadable: {first}", hint="remove it with `buildorch history rm`") from exc


def records(root: Path | None = None, *, warn: IO[str] | None = None) -> list[BuildRecord]:
    """Every readable record, oldest first; each unreadable one is skipped with a warning."""
    out: list[BuildRecord] = []
    for p in record_paths(root):
        try:
            out.append(read(p))
        except BuildorchError as exc:
            (warn or sys.stderr).write(f"warning: skipped {exc.message}\n")
    return out


def find(ref: str | None, root: Path | None = None, *, warn: IO[str] | None = None) -> BuildRecord:
    """The record named ``ref``: an id, its unique prefix, a file path, ``last``, ``last~N`` (N before the latest)
    or ``-N`` (the Nth latest); the latest with None."""
    if ref and ref.endswith(".json") and Path(ref).is_file():
        return read(Path(ref))
    paths = record_paths(root)
    if not paths:
        raise BuildorchError(f"no build records in {root or history_dir()}", hint="run buildorch build first")
    back = re.fullmatch(r"(?:last~|-)(\d+)", ref or "")
    if ref is None or ref == "last" or back:
        n = 1 if back is None else int(back.group(1)) + (0 if ref and ref.startswith("-") else 1)
        readable = records(root, warn=warn)
        if n < 1 or n > len(readable):
            raise BuildorchError(f"no record {ref}: there are {len(readable)}")
        return readable[-n]
    matches = [p for p in paths if p.stem == ref] or [p for p in paths if p.stem.startswith(ref)]
    if len(matches) != 1:
        what = "no build record" if not matches else f"{len(matches)} build records match"
        raise BuildorchError(f"{what} {ref!r}", hint="`buildorch history ls` lists them")
    return read(matches[0])


def remove(refs: list[str], root: Path | None = None, *, everything: bool = False) -> list[str]:
    """Remove the named records (or all); return their ids."""
    paths = record_paths(root)
    if everything:
        chosen = paths
    else:
        chosen = []
        for ref in refs:
            hits = [p for p in paths if p.stem == ref] or [p for p in paths if p.stem.startswith(ref)]
            if len(hits) != 1:
                raise BuildorchError(f"{'no' if not hits else len(hits)} build record{'s' if hits else ''} match {ref!r}",
                                     hint="`buildorch history ls` lists them")
            chosen.append(hits[0])
    for p in chosen:
        p.unlink(missing_ok=True)
    return [p.stem for p in chosen]


def same_target(rec: BuildRecord, root: Path | None = None, *, limit: int = 20) -> list[BuildRecord]:
    """The last ``limit`` records of the same kind and name as ``rec``, up to it, oldest first (the trend)."""
    older = [r for r in records(root, warn=io.StringIO()) if r.kind == rec.kind and r.name == rec.name and r.id <= rec.id]
    return older[-limit:]
