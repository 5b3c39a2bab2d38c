"""CI outputs: GitHub's step outputs read back as the runner reads them, the job summary, GitLab's dotenv."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from buildorch.ci import outputs

BUILD = {
    "tags": ["127.0.0.1:5000/i18-app:1.2.3", "127.0.0.1:5000/i18-app:latest"],
    "platforms": ["linux/amd64", "linux/arm64"],
    "version": "1.2.3",
    "digest": "sha256:" + "a" * 64,
    "platform_digests": {"linux/amd64": "sha256:" + "b" * 64, "linux/arm64": "sha256:" + "c" * 64},
    "image_id": "sha256:" + "d" * 64,
    "size_bytes": 5_900_000,
    "steps_total": 12,
    "steps_cached": 9,
    "duration_seconds": 3.25,
    "metadata": {"containerimage.digest": "sha256:" + "a" * 64},
}


def read_github_output(text: str) -> dict[str, str]:
    """What the Actions runner makes of a GITHUB_OUTPUT file (``name=value`` and ``name<<DELIM`` forms)."""
    out: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        m = re.fullmatch(r"([^=<]+)<<(.+)", line)
        if m:
            name, delim = m.groups()
            j = lines.index(delim, i + 1)  # ValueError when the delimiter never comes back: a broken file
            out[name] = "\n".join(lines[i + 1 : j])
            i = j + 1
        else:
            name, _, value = line.partition("=")
            out[name] = value
            i += 1
    return out


def test_build_outputs_read_back(tmp_path: Path) -> None:
    f = tmp_path / "out"
    f.write_text("earlier=step\n")
    outputs.write_all("build", BUILD, {"GITHUB_OUTPUT": str(f)})
    got = read_github_output(f.read_text())
    assert got["earlier"] == "step"  # appended, never truncated
    assert got["digest"] == BUILD["digest"] and got["imageid"] == BUILD["image_id"]
    assert got["tags"].splitlines() == BUILD["tags"] and got["version"] == "1.2.3"
    assert json.loads(got["metadata"]) == BUILD["metadata"]


@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r")))
def test_any_value_survives(value: str) -> None:
    text = outputs.github_output_text({"a": value, "b": "after"})
    got = read_github_output(text)
    assert got["a"] == value and got["b"] == "after"


def test_summary_has_platforms_digests_sizes_steps(tmp_path: Path) -> None:
    f = tmp_path / "summary.md"
    outputs.write_all("build", BUILD, {"GITHUB_STEP_SUMMARY": str(f)})
    text = f.read_text()
    assert "linux/amd64, linux/arm64" in text and "9/12 steps cached" in text
    assert f"| linux/arm64 | `sha256:{'c' * 64}` |" in text
    assert "Image size: 5.9 MB" in text


def test_release_summary_has_verification() -> None:
    release = {
        "status": "released",
        "image": "127.0.0.1:5000/i18-app",
        "version": "1.2.3",
        "index_digest": "sha256:" + "e" * 64,
        "references": ["127.0.0.1:5000/i18-app:1.2.3"],
        "steps_cached": 3,
        "steps_total": 4,
        "duration_seconds": 9.0,
        "platforms": {"linux/amd64": {"digest": "sha256:" + "f" * 64, "size_bytes": 1024}},
        "verification": {
            "ok": True,
            "platforms": [{"platform": "linux/amd64", "ok": True, "health_ok": True, "version_ok": True}],
        },
    }
    text = outputs.summary_markdown("release", release)
    assert "Verification: **passed**" in text and "| linux/amd64 | ok | ok | ok |" in text
    assert f"| linux/amd64 | `sha256:{'f' * 64}` | 1.0 kB |" in text
    values = outputs.step_values("release", release)
    assert values["digest"] == release["index_digest"] and values["tags"] == "127.0.0.1:5000/i18-app:1.2.3"


def test_bake_of_one_target_gives_its_digest() -> None:
    values = outputs.step_values("bake", {"app": BUILD})
    assert values["digest"] == BUILD["digest"] and values["version"] == "1.2.3"
    two = outputs.step_values("bake", {"app": BUILD, "other": {**BUILD, "tags": ["x:1"]}})
    assert two["digest"] == "" and two["tags"].splitlines()[-1] == "x:1"


def test_dotenv(tmp_path: Path) -> None:
    f = tmp_path / "build.env"
    outputs.write_all("build", BUILD, {}, f)
    lines = f.read_text().splitlines()
    assert f"BUILDORCH_DIGEST={BUILD['digest']}" in lines
    assert "BUILDORCH_TAGS=127.0.0.1:5000/i18-app:1.2.3,127.0.0.1:5000/i18-app:latest" in lines
    assert all(re.fullmatch(r"[A-Z_]+=[^\n]*", line) for line in lines)


def test_nothing_without_ci(tmp_path: Path) -> None:
    assert outputs.write_all("build", BUILD, {}) == []
