"""Tagging shared by release and merge: what move_tags hands the kill-safe mover, and how its failures read.

The mover itself (engine/registry_tags' child process) runs against the stack's registry in
tests/integration/test_release_tags.py and test_split_merge_tags.py; here ``commit`` is
replaced by a recorder so the mapping around it (moves per image, exit 4, hints) is checked alone.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from buildorch.core.errors import PushFailed
from buildorch.core.retry import Backoff
from buildorch.engine import registry_tags
from buildorch.releases import merge, tagging
from buildorch.releases.lock import journal_path

NEW = "sha256:" + "b" * 64
OLD = "sha256:" + "a" * 64


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))


class Client:
    """Where each tag points, as the registry would answer after the moves."""

    def __init__(self, tags: dict[str, str]) -> None:
        self.tags = tags

    def digest_of(self, tag: str) -> str | None:
        return self.tags.get(tag)


def recorder(monkeypatch: pytest.MonkeyPatch, error: Exception | None = None) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def commit(
        moves: list[registry_tags.Move], journal: Path, backoff: Backoff, log: Any, *, keep_fds: tuple[int, ...] = (),
        command: str = "release",
    ) -> None:
        calls.append({"moves": moves, "journal": journal, "fds": keep_fds, "command": command})
        if error is not None:
            raise error

    monkeypatch.setattr(registry_tags, "commit", commit)
    return calls


def test_every_image_gets_one_move_with_its_own_previous_tags(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = recorder(monkeypatch)
    clients = {"r:5000/a": Client({"1": NEW, "latest": NEW}), "r:5000/b": Client({"1": NEW, "latest": NEW})}
    previous: dict[str, str | None] = {"r:5000/a:1": OLD, "r:5000/a:latest": OLD, "r:5000/b:1": None}
    out = io.StringIO()
    tagging.move_tags(NEW, ["1", "latest"], clients, previous, Backoff(2, 0.1), out, lock_fds=(7,))  # type: ignore[arg-type]
    [call] = calls
    assert [(m.image, m.digest, m.tags, m.previous) for m in call["moves"]] == [
        ("r:5000/a", NEW, ["1", "latest"], {"1": OLD, "latest": OLD}),
        ("r:5000/b", NEW, ["1", "latest"], {"1": None, "latest": None}),
    ]
    assert call["fds"] == (7,) and call["journal"] == journal_path(["r:5000/a", "r:5000/b"])
    assert out.getvalue().splitlines() == [f"tag: 1, latest of r:5000/a -> {NEW}", f"tag: 1, latest of r:5000/b -> {NEW}"]


UNTAGGED = "the index is pushed but untagged; merge again"


@pytest.mark.parametrize(("hint", "shown"), [(None, UNTAGGED), ("buildorch login r:5000", "buildorch login r:5000")])
def test_a_registry_failure_is_exit_4_with_the_registrys_hint_first(
    monkeypatch: pytest.MonkeyPatch, hint: str | None, shown: str
) -> None:
    error = registry_tags.TagsNotMoved("HTTP 400", 400, hint, "r:5000/a", ["r:5000/a:1: moved back to " + OLD])
    recorder(monkeypatch, error)
    heard: list[str] = []
    with pytest.raises(PushFailed) as info:
        tagging.move_tags(NEW, ["1"], {"r:5000/a": Client({})}, {}, Backoff(3, 0.1), io.StringIO(),  # type: ignore[dict-item]
                          untagged=UNTAGGED, on_failure=heard.append)  # fmt: skip
    assert info.value.exit_code == 4
    assert info.value.message == "tagging r:5000/a failed after 3 attempts: HTTP 400"
    assert info.value.hint == shown and info.value.details == ["r:5000/a:1: moved back to " + OLD]
    assert heard == ["tagging failed: HTTP 400"]


def test_a_tag_elsewhere_after_the_move_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder(monkeypatch)
    client = Client({"1": NEW, "latest": OLD})  # someone moved latest again right after
    with pytest.raises(PushFailed) as info:
        tagging.move_tags(NEW, ["1", "latest"], {"r:5000/a": client}, {}, Backoff(1, 0.1), io.StringIO(),  # type: ignore[dict-item]
                          another="another merge or release of the image may run at once")  # fmt: skip
    assert info.value.message == f"after tagging, r:5000/a:latest do not point at {NEW}"
    assert info.value.hint == "another merge or release of the image may run at once"


@pytest.mark.parametrize(("command", "named"), [(None, "release"), ("release", "release"), ("merge", "merge")])
def test_the_tagging_lock_completes_a_journal_left_by_a_dead_tagger_first(command: str | None, named: str) -> None:
    journal = journal_path(["r:5000/a"])
    journal.parent.mkdir(parents=True, exist_ok=True)
    doc = {"moves": [], "attempts": 1, "base": 0.1, **({"command": command} if command else {})}  # as commit() writes it
    journal.write_text(json.dumps(doc))  # (no "command": a journal of a buildorch before merge tagged this way)
    out = io.StringIO()
    with tagging.tagging_lock(["r:5000/a"], out) as fds:
        assert fds and not journal.exists()
    assert f"completing the tagging of a {named} that was interrupted" in out.getvalue()


def test_merge_records_the_previous_tags_and_fails_with_4(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    error = registry_tags.TagsNotMoved("HTTP 503", 503, None, "r:5000/a", [])
    calls = recorder(monkeypatch, error)
    spec = merge.MergeSpec(digest_dir=tmp_path, image="r:5000/a", tags=["1.2.3", "latest"], push_attempts=2)
    result = merge.MergeResult(image="r:5000/a", index_digest=NEW)
    with pytest.raises(PushFailed) as info:
        merge._tag(result, spec, Client({"latest": OLD}), io.StringIO(), (5,))  # type: ignore[arg-type]
    assert result.previous_tags == {"1.2.3": None, "latest": OLD} and result.status == "failed"
    assert result.references == ["r:5000/a:1.2.3", "r:5000/a:latest"]
    assert calls[0]["moves"][0].previous == {"1.2.3": None, "latest": OLD} and calls[0]["fds"] == (5,)
    assert calls[0]["command"] == "merge"  # named in the journal, for whoever completes it after a kill
    assert info.value.message == "tagging r:5000/a failed after 2 attempts: HTTP 503"
    assert info.value.hint == "the merged index is pushed but untagged; merge again"
    assert info.value.details == ["no tag was changed"]
