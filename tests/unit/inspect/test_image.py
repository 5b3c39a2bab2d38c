"""buildorch inspect's pure parts (buildorch.inspect.image and .filesystem), on recorded docker output and tars built here."""

from __future__ import annotations

import io
import json
import struct
import sys
import tarfile
from pathlib import Path

import pytest

from buildorch.core.units import parse_size_or_none as parse_size
from buildorch.inspect.filesystem import ExportScan, count_apk, count_dpkg, count_packages, find_executable, resolve, scan_export
from buildorch.inspect.image import build_report as make_report
from buildorch.inspect.image import main_file_to_fetch, parse_history, runs_as_root, summarize_config


def rows(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def elf64(machine: int = 183) -> bytes:
    """A minimal little-endian ELF64 header: no program headers (static), no section headers (stripped)."""
    head = bytearray(64)
    head[:4] = b"\x7fELF"
    head[4], head[5], head[6] = 2, 1, 1
    struct.pack_into("<HHI", head, 16, 2, machine, 1)
    struct.pack_into("<HHHH", head, 54, 56, 0, 64, 0)
    return bytes(head) + b"\0" * 64


def make_tar(files: dict[str, bytes], links: dict[str, str] | None = None, dirs: list[str] | None = None,
             hardlinks: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for d in dirs or []:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.LNKTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


# -- history ----------------------------------------------------------------------


def test_history_of_the_runtime_image_oldest_first(data_dir: Path) -> None:
    layers = parse_history(rows(data_dir / "inspect/history_runtime_amd64.jsonl"))
    assert [la.created_by for la in layers][:2] == ["ARG VERSION=dev", "ARG BUILD_TIME=unknown"]
    assert layers[-1].created_by == 'ENTRYPOINT ["/app"]'
    with_content = [la for la in layers if not la.empty]
    assert [la.created_by for la in with_content] == [
        "COPY /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ # buildkit",
        "COPY /build/main /app # buildkit",
    ]
    assert with_content[1].size == 7102464


def test_history_human_sizes_are_read(data_dir: Path) -> None:
    layers = parse_history(rows(data_dir / "inspect/history_single_human.jsonl"))
    assert layers[-1].created_by == 'CMD ["/usr/local/bin/app"]' and layers[-1].empty
    assert any(la.size and la.size > 10_000_000 for la in layers)


@pytest.mark.parametrize(("text", "want"), [("7102464", 7102464), ("0B", 0), ("7.1MB", 7_100_000), ("233kB", 233_000),
                                            (12, 12), ("", None), ("lots", None)])
def test_parse_size(text: object, want: int | None) -> None:
    assert parse_size(text) == want


def test_legacy_nop_prefix_is_dropped() -> None:
    layers = parse_history([{"CreatedBy": "/bin/sh -c #(nop)  CMD [\"bash\"]", "Size": "0"}])
    assert layers[0].created_by == 'CMD ["bash"]'


# -- config ------------------------------------------------------------------------


def test_config_of_the_recorded_runtime_image(data_dir: Path) -> None:
    meta = json.loads((data_dir / "inspect/image_inspect_runtime.json").read_text())[0]
    cfg = summarize_config(meta["Config"])
    assert cfg.user == "65532:65532"
    assert cfg.entrypoint == ["/app"] and cfg.cmd is None
    assert cfg.exposed_ports == ["8080/tcp"]
    assert cfg.healthcheck == ["CMD", "/app", "-healthcheck"]
    assert cfg.labels["org.opencontainers.image.title"] == "buildorch-app"
    assert not runs_as_root(cfg.user)


def test_config_of_the_single_stage_image(data_dir: Path) -> None:
    meta = json.loads((data_dir / "inspect/image_inspect_single.json").read_text())[0]
    cfg = summarize_config(meta["Config"])
    assert cfg.user == "" and runs_as_root(cfg.user)
    assert cfg.cmd == ["/usr/local/bin/app"] and cfg.healthcheck is None


@pytest.mark.parametrize(("user", "root"), [("", True), ("root", True), ("0", True), ("0:0", True),
                                            ("65532:65532", False), ("nonroot", False), ("1000", False)])
def test_runs_as_root(user: str, root: bool) -> None:
    assert runs_as_root(user) is root


def test_healthcheck_none_means_no_healthcheck() -> None:
    assert summarize_config({"Healthcheck": {"Test": ["NONE"]}}).healthcheck is None


# -- packages ------------------------------------------------------------------------


def test_dpkg_counts_installed_stanzas_only(data_dir: Path) -> None:
    status = (data_dir / "inspect/dpkg_status_head.txt").read_text()  # first 12 stanzas of the golang stand-in
    assert count_dpkg(status) == 12
    removed = "Package: old\nStatus: deinstall ok config-files\nVersion: 1\n"  # synthetic: removed, config kept
    assert count_dpkg(status + "\n" + removed) == 12


def test_apk_counts_p_lines() -> None:
    # the format of /lib/apk/db/installed: one blank-line separated block per package
    installed = "C:Q1abc=\nP:musl\nV:1.2.4-r2\n\nC:Q1def=\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\n\n"
    assert count_apk(installed) == 2


def test_count_packages_picks_the_database() -> None:
    assert count_packages({}).model_dump() == {"manager": None, "count": 0}
    assert count_packages({"lib/apk/db/installed": b"P:musl\n\nP:zlib\n"}).model_dump() == {"manager": "apk", "count": 2}
    distroless = {"var/lib/dpkg/status.d/base": b"Package: base-files\nVersion: 12\n",
                  "var/lib/dpkg/status.d/tzdata": b"Package: tzdata\n"}
    assert count_packages(distroless).model_dump() == {"manager": "dpkg", "count": 2}


# -- the filesystem ---------------------------------------------------------------------


def scan(data: bytes, names: list[str] | None = None) -> ExportScan:
    return scan_export(io.BytesIO(data), capture_names=names or [])


def test_scan_of_a_scratch_like_export_skips_the_init_layer() -> None:
    app = elf64()
    data = make_tar(
        {"app": app, "etc/ssl/certs/ca-certificates.crt": b"x" * 100, ".dockerenv": b"", "etc/hosts": b""},
        links={"etc/mtab": "/proc/mounts"},
        dirs=["etc", "etc/ssl", "etc/ssl/certs", "proc"],
    )
    s = scan(data, ["/app"])
    assert s.file_count == 2 and s.symlink_count == 0
    assert s.tar_bytes == len(data)
    assert s.largest[0] == (len(app), "app")
    assert s.captured == {"app": app}
    report = make_report(image="x", platform="linux/arm64", config=summarize_config({"Entrypoint": ["/app"], "User": "65532"}),
                         scan=s, layers=[], layers_source="history", size_compressed=10)
    assert report.architecture == "arm64" and report.shell is None and not report.runs_as_root
    assert report.main_executable is not None and report.main_executable.elf is not None
    assert report.main_executable.elf.machine == "aarch64" and report.main_executable.elf.static
    assert report.packages.count == 0 and report.packages.manager is None


def test_merged_usr_shell_and_path_lookup() -> None:
    # Debian bookworm: /bin -> usr/bin, /bin/sh -> dash
    data = make_tar({"usr/bin/dash": b"#!dash", "usr/bin/python3.11": b"py", "var/lib/dpkg/status":
                     b"Package: dash\nStatus: install ok installed\n"},
                    links={"bin": "usr/bin", "usr/bin/sh": "dash", "usr/bin/python3": "python3.11"},
                    dirs=["usr", "usr/bin"])
    s = scan(data, ["python3"])
    assert resolve(s.entries, "/bin/sh") == "usr/bin/dash"
    assert resolve(s.entries, "/usr/bin/../bin/sh") == "usr/bin/dash"
    assert resolve(s.entries, "/bin/bash") is None
    assert find_executable(s.entries, "python3", "/usr/local/bin:/bin") == "usr/bin/python3.11"
    cfg = summarize_config({"Cmd": ["python3"]})
    # captured by base name "python3"; the file it resolves to is python3.11: fetched after the scan
    assert main_file_to_fetch(s, cfg) == "usr/bin/python3.11"
    report = make_report(image="x", platform="linux/amd64", config=cfg, scan=s, layers=[], layers_source="history",
                         size_compressed=None, extra_files={"usr/bin/python3.11": b"#!not elf"})
    assert report.shell == "/bin/sh" and report.runs_as_root
    assert report.packages.model_dump() == {"manager": "dpkg", "count": 1}
    assert report.main_executable is not None and report.main_executable.resolved == "/usr/bin/python3.11"
    assert report.main_executable.elf is None and "not an ELF" in (report.main_executable.note or "")


def test_symlink_loops_end() -> None:
    s = scan(make_tar({}, links={"a": "b", "b": "a"}))
    assert resolve(s.entries, "/a") is None


def test_hardlinked_main_executable_uses_the_target_bytes() -> None:
    real = Path(sys.executable).resolve().read_bytes()  # a real dynamic ELF
    data = make_tar({"usr/bin/tool": real}, hardlinks={"usr/bin/tool2": "usr/bin/tool"}, dirs=["usr", "usr/bin"])
    s = scan(data, ["tool2", "tool"])
    assert s.file_count == 2
    report = make_report(image="x", platform="linux/amd64", config=summarize_config({"Entrypoint": ["/usr/bin/tool2"]}),
                         scan=s, layers=[], layers_source="history", size_compressed=None)
    main = report.main_executable
    assert main is not None and main.elf is not None and main.elf.static is False


def test_missing_main_executable_is_reported() -> None:
    s = scan(make_tar({"other": b"x"}))
    report = make_report(image="x", platform="linux/amd64", config=summarize_config({"Cmd": ["/app"]}), scan=s,
                         layers=[], layers_source="history", size_compressed=None)
    assert report.main_executable is not None and report.main_executable.note == "not found in the image"


def test_largest_files_keeps_the_top_n() -> None:
    files = {f"f{i}": b"x" * i for i in range(1, 30)}
    s = scan_export(io.BytesIO(make_tar(files)), top=3)
    assert [p for _, p in s.largest] == ["f29", "f28", "f27"]
    assert s.files_bytes == sum(range(1, 30))
