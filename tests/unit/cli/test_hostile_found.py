"""Bad inputs that ``make reliability RELIABILITY=hostile-inputs`` found getting as far as a build (#19).

Each started ``docker buildx build`` (or wrote a file, or printed a traceback) before the fix;
each is now one ``error:`` line with exit code 2, before any work.
"""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from buildorch.builds import flags
from buildorch.cli.app import main


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS base\nCOPY f /f\n")
    return tmp_path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = main(argv)
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2, err
    assert err[0].startswith("error: ") and all(ln.startswith("  hint: ") for ln in err[1:]) and len(err) <= 2
    return err[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--version", "1.0\x7f"], "--version '1.0\\x7f' holds a control character"),
        (["--cache-from", "type=gcs"], "unknown type 'gcs'"),
        (["--cache-from", "type=registry,ref=x,junk"], "'junk' is not KEY=VALUE"),
        (["--cache-to", "type=local,dest=a\rb"], "holds a control character"),
        (["-o", "type=floppy"], "unknown type 'floppy'"),
        (["-o", "type=local,dest=x\u202e"], "holds a control character"),
        (["--provenance", "mode="], "mode is min or max"),
        (["--provenance", "mode=max\r"], "holds a control character"),
        (["--sbom", "generator=\x1b"], "holds a control character"),
        (["--attest", "type=provenance,mode=all"], "mode is min or max"),
        (["--check-strict"], "--check-strict goes with --call check"),
        (["--report", "/nonexistent/dir/r.html"], "the directory /nonexistent/dir does not exist"),
        (["--dotenv", "/"], "--dotenv / is a directory"),
        (["--metadata-file", "/nonexistent/dir/m.json"], "does not exist"),
    ],
)
def test_build_refuses_before_building(
    ctx: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Not --dry-run: the real path, which used to reach `docker buildx build` with each of these.
    assert message in refused(["build", str(ctx), "--cache", "none", *args], capsys)


@pytest.mark.parametrize(("text", "message"), [("RUN true\n", "no build stage"), ("", "no instructions"),
                                               ("}}{{ FROM\n", "unknown instruction")])  # fmt: skip
def test_a_dockerfile_buildkit_would_refuse_is_refused_first(
    ctx: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    (ctx / "bad.Dockerfile").write_text(text)
    assert message in refused(["build", str(ctx), "-f", str(ctx / "bad.Dockerfile"), "--cache", "none"], capsys)


def test_a_dockerfile_with_a_syntax_line_is_its_frontends_to_judge(ctx: Path) -> None:
    from buildorch.builds.spec import check_dockerfile

    (ctx / "new.Dockerfile").write_text("# syntax=docker/dockerfile:1\nNEWINSTRUCTION x\n")
    check_dockerfile(ctx / "new.Dockerfile")  # no error: the frontend image decides


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--images", "Ghcr.io/Org/App:1"], "has a tag or digest"),
        (["--images", "r4\\b"], "is not an image name"),
        (["--images", "name=r4 x"], "is not an image name"),
        (["--label", "a=b\x1bc"], "label 'a=b\\x1bc' holds the control character U+001B"),
        (["--annotation", "a=\u202eb"], "holds the bidirectional control U+202E"),
        (["--dotenv", "."], "--dotenv . is a directory"),
        (["--bake-file", ".."], "--bake-file .. is a directory"),
    ],
)
def test_meta_refuses(ctx: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in refused(["meta", str(ctx), *args], capsys)


@given(st.text(max_size=40))
def test_buildx_specs_raise_only_value_error(text: str) -> None:
    for check in (lambda v: flags.check_cache_spec(v, "--cache-to"), flags.check_output, flags.check_provenance,
                  flags.check_attest):  # fmt: skip
        try:
            out = check(text)
        except ValueError:
            continue
        assert out == text and text.isprintable()  # accepted unchanged, and never with a control character


def test_inspect_tables_show_brackets_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    # A VOLUME ["/var/lib/buildkit"] layer reads "[/var/lib/buildkit]": rich took it for a closing tag and
    # `buildorch inspect moby/buildkit:buildx-stable-1` was a traceback (found by hostile-inputs).
    from buildorch.cli.tables import print_report
    from buildorch.inspect.image import ImageReport, Layer

    report = ImageReport(image="x", platform="linux/amd64", size_uncompressed=1, size_compressed=1,
                         layers=[Layer(created_by="VOLUME [/var/lib/buildkit]", empty=True)])  # fmt: skip
    report.config.env = ["A=[/b]"]
    print_report(report)
    out = capsys.readouterr().out
    assert "VOLUME [/var/lib/buildkit]" in out and "A=[/b]" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["cache", "prune", "--local", "--older-than", ""], "--older-than is empty"),
        (["cache", "prune", "--local", "--keep-storage", " "], "--keep-storage is empty"),
        (["cache", "du", "--builder", "a\nb"], "is not a builder name"),
        (["stages", ".", "--builder", "x\u202e"], "is not a builder name"),
        (["doctor", "--registry", "r4a\nb"], "invalid registry address"),  # was http.client.InvalidURL, exit 3
        (["doctor", "--registry", "r4.."], "invalid registry address"),  # was UnicodeError from the idna codec
        (["check-reproducible", ".", "--registry", "\u0430pp:5000"], "invalid registry address"),
        (["release", ".", "--version", "1.2.3", "--push-attempts", "9" * 30], "--push-attempts"),  # OverflowError
        (["merge", "--digest-dir", ".", "--image", "r/x", "--push-attempts", "0"], "--push-attempts"),
        (["smoke", "r4:1", "--timeout", "nan"], "--timeout must be a positive number"),
        (["smoke", "r4:1", "--path", "/a\x1bb"], "holds a space or a control character"),
        (["inspect", "r4:1", "--platform", ""], "platform"),
        (["meta", ".", "--label", "a=b\udcff"], "a byte that is not UTF-8 (0xFF)"),
    ],
)
def test_other_commands_refuse(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert message in refused(argv, capsys)


def test_a_retry_is_a_warning_line(capsys: pytest.CaptureFixture[str]) -> None:
    from buildorch.core.retry import Backoff, with_retries

    calls = iter([OSError("reset"), "ok"])

    def call() -> str:
        value = next(calls)
        if isinstance(value, Exception):
            raise value
        return value

    assert with_retries(call, what="push", backoff=Backoff(attempts=2, base=0.0), transient=lambda e: True,
                        sleep=lambda s: None) == "ok"  # fmt: skip
    assert capsys.readouterr().err.startswith("warning: push: reset; retry 1/")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["builder", "create", "x", "-c", "{nonutf8}"], "cannot read"),  # was a UnicodeDecodeError traceback
        (["cache", "du", "--top", "0"], "--top"),
        (["stages", ".", "--builder", "b" * 300], "Invalid value for '--builder'"),
        (["doctor", "--registry", "a" * 64 + ".io"], "invalid registry address"),
        (["inspect", "--sbom", "/nonexistent/sbom.spdx.json"], "neither an SPDX JSON file nor an image name"),
    ],
)
def test_more_refusals(tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "b.toml").write_bytes(b'[builders.x]\nendpoint = "\xff"\n')
    argv = [a.replace("{nonutf8}", str(tmp_path / "b.toml")) for a in argv]
    assert message in refused(argv, capsys)


def test_compare_finds_a_missing_second_image_before_exporting_the_first(monkeypatch: pytest.MonkeyPatch) -> None:
    from buildorch.core.errors import InputError
    from buildorch.engine import buildx, containers
    from buildorch.inspect.compare import compare_images

    monkeypatch.setattr(buildx, "image_inspect", lambda ref: {"Id": "sha256:a"} if ref == "a:1" else None)

    def no_container(*args: object) -> str:
        raise AssertionError("a container of a:1 was made before b:1 was looked for")

    monkeypatch.setattr(containers, "create", no_container)
    with pytest.raises(InputError, match="no image 'b:1'"):
        compare_images("a:1", "b:1")


def test_check_reproducible_asks_the_engine_before_making_builders(ctx: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from buildorch.builds.spec import BuildSpec
    from buildorch.core.errors import EngineError
    from buildorch.repro import check as repro

    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/r4-docker.sock")  # a real docker CLI, no engine behind it
    monkeypatch.setattr(repro, "build_once", lambda *a: pytest.fail("a throwaway builder was made"))
    with pytest.raises(EngineError, match="not reachable"):
        repro.check(BuildSpec(context=ctx, version="1.0.0", build_time="2024-01-01T00:00:00Z"))
