"""rawjson progress parsing, against output recorded from buildx 0.13.1 (tests/data/rawjson)."""

from pathlib import Path

from buildorch.builds.display import PlainRenderer
from buildorch.builds.progress import ProgressTracker
from tests.recorded import RAWJSON_DATA as DATA


def track(name: str) -> ProgressTracker:
    t = ProgressTracker(started_at=0.0)
    with open(DATA / name) as f:
        for line in f:
            t.feed(line)
    t.finish()
    return t


def test_cold_multiplatform_build() -> None:
    t = track("multiplatform_cold.json")
    names = sorted(v.name for v in t.steps)
    # two platforms x (RUN + COPY); FROM, [internal] and the export are not steps
    assert len(names) == 4
    assert all(n.startswith(("[linux/amd64 ", "[linux/arm64 ")) for n in names)
    assert t.steps_cached == 0
    assert {v.platform for v in t.steps} == {"linux/amd64", "linux/arm64"}
    run = next(v for v in t.steps if "RUN echo hello" in v.name)
    assert run.logs[0] == "hello" and run.duration is not None
    assert any(e.startswith("exporting manifest list sha256:") for e in t.exports)


def test_cached_rebuild_counts_every_step_cached() -> None:
    t = track("multiplatform_cached.json")
    assert t.steps_total == 4 and t.steps_cached == 4


def test_failed_step_and_the_trailing_text() -> None:
    t = track("failed_step.json")
    failed = t.failed()
    assert failed is not None
    assert failed.name == '[fail 1/1] RUN echo "about to fail" && exit 3'
    assert "exit code: 3" in (failed.error or "")
    assert failed.log_tail() == ["about to fail"]
    assert (t.error_summary() or "").startswith("failed to solve: process")


def test_compact_json_lines_are_accepted() -> None:
    t = ProgressTracker()
    t.feed('{"vertexes":[{"digest":"d1","name":"[builder 2/3] RUN x","cached":true}]}\n')
    assert t.steps_total == 1 and t.steps_cached == 1


def test_plain_renderer(tmp_path: Path) -> None:
    out = (tmp_path / "log").open("w+")
    r = PlainRenderer(out)
    t = ProgressTracker()
    with open(DATA / "failed_step.json") as f:
        for line in f:
            r.update(t, t.feed(line), line)
    out.seek(0)
    text = out.read()
    assert "ERROR [fail 1/1]" in text and "  | about to fail" in text


def test_vertexes_finished_before_this_build_began_count_as_reused() -> None:
    t = ProgressTracker(started_at=2_000_000_000.0)
    t.feed('{"vertexes":[{"digest":"d1","name":"[builder 3/6] COPY . .",'
           '"started":"2026-11-28T15:31:28.633267483Z","completed":"2026-11-28T15:31:28.645556656Z"}]}\n')
    assert t.steps_total == 1 and t.steps_cached == 1
    assert t.step_results()[0].cached is True


def test_a_failed_cache_export_is_told_apart_from_a_failed_step() -> None:
    from buildorch.builds.failures import translate_failure
    from buildorch.builds.runner import _cache_export_failed, _without_cache_export
    from buildorch.core.errors import BuildFailed, BuildorchError

    err = translate_failure(track("failed_step.json"), BuildorchError("docker buildx build failed"))
    assert isinstance(err, BuildFailed) and err.step and err.step.startswith("[fail 1/1] RUN")
    assert not _cache_export_failed(err)
    t = ProgressTracker(started_at=0.0)
    t.feed('{"vertexes":[{"digest":"d9","name":"exporting cache to client directory",'
           '"error":"error writing layer blob: content digest sha256:5d64: not found"}]}\n')
    err = translate_failure(t, BuildorchError("docker buildx build failed"))
    assert isinstance(err, BuildFailed) and _cache_export_failed(err)
    argv = ["buildx", "build", "--cache-from", "type=local,src=a", "--cache-to", "type=local,dest=b", "--load", "ctx"]
    assert _without_cache_export(argv) == ["buildx", "build", "--cache-from", "type=local,src=a", "--load", "ctx"]


def test_four_builds_of_one_tag_at_once_count_each_step_once() -> None:
    """Recorded on the stack (buildx 0.38.2, docker driver): one of four concurrent `buildorch build app` of one tag.

    BuildKit merged the four builds' equal steps and sent this build the progress of the
    others' vertexes too: 13 step vertexes under 7 names, for app/'s 7 steps. Issue #19
    saw 8-12 reported; each step counts once, under BuildKit's name for it.
    """
    t = track("app_four_at_once.json")
    raw = [v for v in t.vertexes.values() if v.is_step]
    assert len(raw) == 13 and len({v.name for v in raw}) == 7
    assert t.steps_total == 7
    assert sorted(s.name.split("]")[0] for s in t.step_results()) == [
        "[builder 2/6", "[builder 3/6", "[builder 4/6", "[builder 5/6", "[builder 6/6", "[runtime 1/2", "[runtime 2/2",
    ]  # fmt: skip


def test_four_two_platform_builds_at_once_count_each_platforms_step_once() -> None:
    """The same with --platform linux/amd64,linux/arm64: 10 steps (builder 2-5 once on the build platform,
    6/6 and the runtime's two per platform); the counting before the twin rule gave 11."""
    t = track("app_four_at_once_multiplatform.json")
    assert t.steps_total == 10
    per_platform = sorted((s.platform or "", s.name.split("]")[0].split()[-1]) for s in t.step_results())
    assert len(set(per_platform)) == 10


def test_a_push_refused_in_the_image_export_is_a_push_failure() -> None:
    """build --push through a registry that answers 503: BuildKit fails its export step; that is exit 4, not a step."""
    from buildorch.builds.failures import translate_failure
    from buildorch.core.errors import BuildorchError, PushFailed

    t = ProgressTracker(started_at=0.0)
    t.feed('{"vertexes":[{"digest":"d9","name":"exporting to image","error":"failed to push 127.0.0.1:5999/a:1: '
           'failed commit on ref \\"index-sha256:6b\\": unexpected status from PUT request to '
           'http://127.0.0.1:5999/v2/a/manifests/1: 503 Service Unavailable"}]}\n')
    err = translate_failure(t, BuildorchError("docker buildx build failed"))
    assert isinstance(err, PushFailed) and err.exit_code == 4
    assert err.message.startswith("push failed: failed to push 127.0.0.1:5999/a:1") and "503" in err.message
