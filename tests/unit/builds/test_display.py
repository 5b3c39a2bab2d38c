"""--progress plain: BuildKit's own "#N ..." lines, drawn from a recorded rawjson stream."""

import io
from pathlib import Path

from buildorch.builds.display import BuildKitPlainRenderer, QuietRenderer, make_renderer
from buildorch.builds.progress import ProgressTracker

DATA = Path(__file__).parents[2] / "data" / "rawjson"


def _render(name: str) -> str:
    out = io.StringIO()
    renderer = BuildKitPlainRenderer(out)
    tracker = ProgressTracker(started_at=0)
    for line in (DATA / name).read_text().splitlines(keepends=True):
        renderer.update(tracker, tracker.feed(line), line)
    renderer.close(tracker)
    return out.getvalue()


def test_plain_is_buildkits_numbered_lines() -> None:
    text = _render("failed_step.json")
    lines = text.splitlines()
    assert "#1 [internal] load build definition from Dockerfile" in lines
    # DONE after the vertex's statuses (BuildKit completes it once, then starts it again), as buildx prints it
    assert "#1 transferring dockerfile: 225B done\n#1 DONE 0.0s\n" in text
    assert any(ln.startswith("#") and " ERROR: " in ln for ln in lines)
    numbered = [ln for ln in lines if ln]
    assert all(ln.startswith(("#", "WARNING: ")) for ln in numbered), numbered


def test_plain_marks_cached_steps() -> None:
    assert any(ln.endswith(" CACHED") for ln in _render("multiplatform_cached.json").splitlines())


def test_none_is_quiet() -> None:
    assert isinstance(make_renderer("none", io.StringIO()), QuietRenderer)
    assert isinstance(make_renderer("plain", io.StringIO()), BuildKitPlainRenderer)
