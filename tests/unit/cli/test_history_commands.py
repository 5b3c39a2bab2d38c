"""``buildorch history ls|show|rm`` and ``buildorch report``, on records written from recorded progress."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from buildorch.builds import history
from buildorch.cli.app import main
from tests.unit.builds.test_history import recorded_result


@pytest.fixture
def recs(tmp_path: Path) -> list[history.BuildRecord]:
    root = Path(os.environ["BUILDORCH_HISTORY_DIR"])
    out = []
    for i in range(3):
        rec = history.record("build", {"": recorded_result(version=f"1.0.{i}")}, root=root, now=1_700_000_000 + i)
        assert rec is not None
        out.append(rec)
    return out


def test_ls_json_lists_oldest_first(recs: list[history.BuildRecord], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "ls", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["version"] for e in entries] == ["1.0.0", "1.0.1", "1.0.2"]
    assert set(entries[0]) >= {"id", "kind", "name", "duration_seconds", "size_bytes", "steps_cached", "steps_total"}


def test_ls_text_and_a_corrupted_record(recs: list[history.BuildRecord], capsys: pytest.CaptureFixture[str]) -> None:
    (Path(os.environ["BUILDORCH_HISTORY_DIR"]) / "20231114T221400000-build-app.json").write_text("{not json")
    assert main(["history", "ls"]) == 0
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and out.splitlines()[0].startswith(recs[0].id)
    assert "warning: skipped build record" in err and "20231114T221400000-build-app.json" in err


def test_show_json_has_the_timeline(recs: list[history.BuildRecord], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "show", recs[1].id, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["version"] == "1.0.1" and "log_tail" in doc["results"][""]["steps"][0]


def test_rm_and_rm_all(recs: list[history.BuildRecord], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "rm", recs[0].id, "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": [recs[0].id]}
    assert main(["history", "rm"]) == 2
    assert main(["history", "rm", "--all"]) == 0
    assert len(history.record_paths()) == 0


def test_report_last_html_and_md(recs: list[history.BuildRecord], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["report", "--last", "-o", str(out)]) == 0
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "1.0.2" in html and html.count('class="point"') == 3
    assert main(["report", recs[0].id, "--format", "md"]) == 0
    assert capsys.readouterr().out.startswith("## build app 1.0.0")
    assert main(["report", "--format", "pdf"]) == 2
