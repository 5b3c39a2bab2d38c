"""The CLI's contract: one clean line per failure, the right exit code, no traceback."""

from pathlib import Path

import pytest

from buildorch.cli.app import main


@pytest.fixture
def ctx(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text("FROM scratch AS builder\nFROM scratch AS runtime\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "linux/arm46"],
         "error: unknown platform 'linux/arm46': unknown architecture 'arm46': did you mean linux/arm64?"),
        (["--target", "biulder"], "stage 'biulder' not found"),
        (["--build-arg", "NOPE"], "error: malformed build arg 'NOPE': use KEY=VALUE"),
        (["--build-arg", "NPM_TOKEN=x", "--strict-secrets"], "looks like a secret (--strict-secrets)"),
        (["--build-arg", "KEY=AKIAIOSFODNN7EXAMPLE"], "looks like an AWS access key id"),
        (["--network", "bridge"], "--network 'bridge': use one of default, none, host"),
        (["--add-host", "db=not-an-ip"], "is not an IP address"),
        (["--allow", "network.hots"], "--allow 'network.hots'"),
        (["--call", "lint"], "--call 'lint': use check, outline or targets"),
        (["--attest", "type=sbmo"], "use type=sbom"),
        (["--no-cache-filter", "biulder"], "stage 'biulder' not found"),
        (["--build-context", "base=/nonexistent/dir"], "no such directory"),
        (["--ssh", "default=/nonexistent/agent.sock"], "does not exist"),
        (["--cache-to", "dest=/tmp/x"], "name its type"),
        (["-o", "dest=/tmp/x"], "name its type"),
        (["-t", "UPPER:1"], "must be lower-case"),
        (["--cache", "disk"], "unknown cache spec 'disk'"),
        (["-f", "nope/Dockerfile"], "Dockerfile nope/Dockerfile not found"),
    ],
)
def test_bad_input_is_one_line_exit_2(ctx: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    code = main(["build", str(ctx), "--dry-run", *args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert err.count("\n") == 1


def test_dry_run_prints_the_command(ctx: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.chdir(ctx)
    code = main(["build", ".", "--dry-run", "--version", "1.2.3", "--cache", "none", "--platform", "linux/amd64"])
    out = capsys.readouterr().out
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("docker buildx build --platform linux/amd64 --tag ")
    assert "--build-arg VERSION=1.2.3 --build-arg BUILD_TIME=2023-11-14T22:13:20Z" in first


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("buildorch ")


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "No such command" in capsys.readouterr().err


def _command_paths() -> list[list[str]]:
    import typer.main

    from buildorch.cli.app import app

    root = typer.main.get_command(app)
    paths = []
    for name, cmd in getattr(root, "commands", {}).items():
        subs = getattr(cmd, "commands", None)
        paths += [[name, sub] for sub in subs] if subs else [[name]]
    return paths


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_help_renders(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # Help text is rich markup: "os/arch[/variant]" once crashed `build --help` with exit 3.
    assert main([*path, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_public_api_names_are_functions_even_after_their_modules_load() -> None:
    import buildorch.bakes.runner
    import buildorch.builds.runner
    import buildorch.diagnosis
    import buildorch.releases.runner  # noqa: F401
    from buildorch import bake, build, doctor, release

    assert all(callable(f) and f.__module__.startswith("buildorch.") for f in (bake, build, doctor, release))
    assert build.__name__ == "build" and release.__name__ == "release"


@pytest.mark.parametrize("path", [[], *_command_paths()], ids=lambda p: " ".join(p) or "buildorch")
def test_help_without_parsing_is_the_help_typer_prints(path: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    import contextlib

    import typer

    from buildorch.cli.app import app, help_text

    # `buildorch CMD --help` as the console script skips typer's parsing (and pydantic): same text
    with contextlib.suppress(typer.Exit):
        app(args=[*path, "--help"], prog_name="buildorch", standalone_mode=False)
    assert help_text([*path, "--help"]) == capsys.readouterr().out.removesuffix("\n")
    assert help_text([*path, "-h"]) == help_text([*path, "--help"])
    assert help_text([*path, "app", "x", "y", "--help"]) is None  # anything else goes the usual way


def test_help_as_the_console_script_does_not_import_pydantic() -> None:
    import subprocess
    import sys

    # The console script ends by os._exit once its atexit functions ran (entry.leave): the check is one of them.
    code = ("import atexit, sys; sys.argv = ['buildorch', 'build', '--help']\n"
            "atexit.register(lambda: print('pydantic' in sys.modules, 'python_on_whales' in sys.modules))\n"
            "from buildorch.cli.entry import main\n"
            "main()")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage: buildorch build [OPTIONS] [context]" in out
    assert out.splitlines()[-1] == "False False"


def test_buildx_flags_reach_the_command(ctx: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    (ctx / "base").mkdir()
    code = main([
        "build", str(ctx), "--dry-run", "--version", "1", "--cache", "none", "--platform", "linux/aarch64,local",
        "--ssh", "default", "--build-context", f"base={ctx / 'base'}", "--network", "none", "--add-host", "db=10.0.0.5",
        "--allow", "network.host", "--no-cache-filter", "builder", "--annotation", "index:a.b=c",
        "--attest", "type=sbom", "--provenance", "mode=max", "-o", "type=local,dest=out", "-o", "type=tar,dest=x.tar",
        "--cache-to", "type=inline", "--progress", "none", "--", "--shm-size", "128m",
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    first = out.splitlines()[0]
    from buildorch.core.platforms import host_platform

    for part in (
        f"--platform linux/arm64,{host_platform()}", "--ssh default", f"--build-context base={ctx / 'base'}",
        "--network none", "--add-host db=10.0.0.5", "--allow network.host", "--no-cache-filter builder",
        "--annotation index:a.b=c", "--attest type=sbom", "--provenance=mode=max",
        "--output type=local,dest=out --output type=tar,dest=x.tar", "--cache-to type=inline",
    ):  # fmt: skip
        assert part in first, part
    assert first.endswith(f"--shm-size 128m {ctx}")


def test_a_secret_looking_name_is_a_warning(ctx: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["build", str(ctx), "--dry-run", "--cache", "none", "--build-arg", "NPM_TOKEN=x", "--build-arg", "GPG_KEY=ABCD"])
    err = capsys.readouterr().err
    assert code == 0
    assert "warning: build arg 'NPM_TOKEN' looks like a secret" in err and "--secret id=npm_token,env=NPM_TOKEN" in err
    assert "GPG_KEY" not in err


def test_call_dry_run_by_buildx_version(ctx: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from buildorch.engine import buildx

    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 38, 2))
    assert main(["build", str(ctx), "--dry-run", "--call", "check", "--target", "builder"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("docker buildx build --call check,format=json --progress quiet --target builder")
    assert "--load" not in line and "--cache-to" not in line and line.endswith(str(ctx))
    monkeypatch.setattr(buildx, "buildx_release", lambda: (0, 13, 1))
    assert main(["build", str(ctx), "--dry-run", "--call", "outline"]) == 0
    assert capsys.readouterr().out.startswith("BUILDX_EXPERIMENTAL=1 docker buildx build --print outline")
    assert main(["build", str(ctx), "--dry-run", "--call", "check"]) == 1
    assert "buildx 0.13.1 cannot run --call check (buildx 0.15 added it)" in capsys.readouterr().err
