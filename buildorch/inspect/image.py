"""``buildorch inspect``: what an image holds, read without running it or needing a shell in it.

Sources, for one platform of a local image:
  * ``docker image inspect`` (config, compressed size) and ``docker image history``
    (layers) for the platform the engine describes by default; for another
    platform, or when ``image history`` fails (engine 26 on a non-host image),
    the config and manifest read from ``docker save`` (see :mod:`buildorch.core.oci`);
  * ``docker create`` + ``docker export`` streamed through :mod:`tarfile`: file
    counts, largest files, the shell, the OS package database and the main
    executable, whose ELF facts :func:`buildorch.core.elf.elf_facts` reads.
The parsing functions here are pure and tested on recorded data.
"""

from __future__ import annotations

import heapq
import posixpath
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any, Literal, cast

from pydantic import BaseModel, Field

from buildorch.core import oci, platforms
from buildorch.core.elf import elf_facts
from buildorch.core.errors import BuildorchError, InputError
from buildorch.core.units import parse_size_or_none
from buildorch.engine import buildx, containers

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"  # distroless: one file per package
APK_INSTALLED = "lib/apk/db/installed"
# Files `docker create` adds to every container (its init layer): not the image's.
_INIT_LAYER = {".dockerenv", "dev/console", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab"}
_MAX_CAPTURE = 512 << 20  # never hold a bigger file in memory for its ELF header
_NOP = re.compile(r"^/bin/sh -c #\(nop\)\s*")


class Layer(BaseModel):
    """One history entry: the instruction that made it and the size it added."""

    created_by: str
    size: int | None = Field(default=None, description="uncompressed bytes (docker image history)")
    compressed_size: int | None = Field(default=None, description="bytes in the registry (manifest)")
    empty: bool = False
    created: str | None = None


class ImageConfig(BaseModel):
    """The parts of the image config that say how it runs."""

    user: str = ""
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    workdir: str = ""
    exposed_ports: list[str] = Field(default_factory=list)
    env: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    healthcheck: list[str] | None = None


class FileSize(BaseModel):
    path: str
    size: int


class ElfInfo(BaseModel):
    machine: str
    bits: int
    static: bool
    stripped: bool


class MainExecutable(BaseModel):
    """``entrypoint[0]``, else ``cmd[0]``, as found in the filesystem."""

    path: str
    resolved: str | None = None
    size: int | None = None
    elf: ElfInfo | None = None
    note: str | None = None


class Packages(BaseModel):
    manager: Literal["dpkg", "apk"] | None = None
    count: int = 0


class ImageReport(BaseModel):
    """Everything ``buildorch inspect`` found out about one platform of an image."""

    image: str
    image_id: str | None = None
    platform: str
    os: str = ""
    architecture: str = ""
    variant: str | None = None
    size_compressed: int | None = None
    size_uncompressed: int = 0
    files_bytes: int = 0
    layers: list[Layer] = Field(default_factory=list)
    layers_source: Literal["history", "oci-config"] = "history"
    config: ImageConfig = Field(default_factory=ImageConfig)
    runs_as_root: bool = True
    shell: str | None = None
    file_count: int = 0
    dir_count: int = 0
    symlink_count: int = 0
    largest_files: list[FileSize] = Field(default_factory=list)
    main_executable: MainExecutable | None = None
    packages: Packages = Field(default_factory=Packages)


# -- layers ---------------------------------------------------------------------


def clean_created_by(text: str) -> str:
    """Drop the legacy builder's ``/bin/sh -c #(nop)`` prefix; keep BuildKit's text as is."""
    return _NOP.sub("", text or "").strip()


def parse_history(rows: Iterable[dict[str, Any]]) -> list[Layer]:
    """``docker image history --no-trunc --human=false --format '{{json .}}'`` rows -> layers, oldest first."""
    layers = []
    for row in rows:
        size = parse_size_or_none(row.get("Size"))
        layers.append(
            Layer(created_by=clean_created_by(str(row.get("CreatedBy", ""))), size=size, empty=not size,
                  created=row.get("CreatedAt") or None)
        )
    return list(reversed(layers))


def layers_from_config(config: dict[str, Any], layer_sizes: list[int]) -> list[Layer]:
    """Layers from an OCI config's ``history`` and the manifest's (compressed) layer sizes, oldest first."""
    sizes = iter(layer_sizes)
    out = []
    history = config.get("history") or []
    for h in history:
        empty = bool(h.get("empty_layer"))
        out.append(
            Layer(created_by=clean_created_by(str(h.get("created_by", ""))), compressed_size=None if empty else next(sizes, None),
                  empty=empty, created=h.get("created"))
        )
    for size in sizes:  # layers the history does not describe
        out.append(Layer(created_by="", compressed_size=size))
    return out


# -- config ---------------------------------------------------------------------


def summarize_config(cfg: dict[str, Any] | None) -> ImageConfig:
    """The run-time config from ``docker image inspect``'s ``Config`` or an OCI config's ``config``."""
    cfg = cfg or {}
    health = cfg.get("Healthcheck") or {}
    test = health.get("Test") or None
    return ImageConfig(
        user=cfg.get("User") or "",
        entrypoint=cfg.get("Entrypoint") or None,
        cmd=cfg.get("Cmd") or None,
        workdir=cfg.get("WorkingDir") or "",
        exposed_ports=sorted((cfg.get("ExposedPorts") or {}).keys()),
        env=list(cfg.get("Env") or []),
        labels=dict(cfg.get("Labels") or {}),
        healthcheck=None if not test or test == ["NONE"] else list(test),
    )


def runs_as_root(user: str) -> bool:
    """An empty USER, ``root``, ``0`` or ``0:gid`` runs as root."""
    name = user.split(":", 1)[0].strip()
    return name in ("", "root", "0")


def main_executable_path(cfg: ImageConfig) -> str | None:
    argv = cfg.entrypoint or cfg.cmd
    return argv[0] if argv else None


def env_path(env: list[str]) -> str:
    for item in env:
        if item.startswith("PATH="):
            return item[5:]
    return DEFAULT_PATH


# -- the filesystem -------------------------------------------------------------


@dataclass
class Entry:
    kind: Literal["file", "dir", "symlink", "hardlink", "other"]
    size: int = 0
    link: str = ""


@dataclass
class ExportScan:
    """What one pass over a ``docker export`` tar found."""

    entries: dict[str, Entry] = field(default_factory=dict)
    file_count: int = 0
    dir_count: int = 0
    symlink_count: int = 0
    files_bytes: int = 0
    tar_bytes: int = 0
    largest: list[tuple[int, str]] = field(default_factory=list)
    captured: dict[str, bytes] = field(default_factory=dict)
    package_db: dict[str, bytes] = field(default_factory=dict)


class _CountingReader:
    """A read-only stream that counts the bytes it hands out (the tar's size is the uncompressed size)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.count += len(data)
        return data


def _is_init_artifact(name: str, info: tarfile.TarInfo) -> bool:
    return name in _INIT_LAYER and (info.issym() or (info.isfile() and info.size == 0))


def _is_package_db(name: str) -> bool:
    return name in (DPKG_STATUS, APK_INSTALLED) or (name.startswith(DPKG_STATUS_D) and not name.endswith(".md5sums"))


def scan_export(stream: IO[bytes], capture_names: Iterable[str] = (), top: int = 10) -> ExportScan:
    """One streaming pass over a filesystem tar.

    Keeps the listing (for symlink resolution), counts, the ``top`` largest files,
    the package databases, and the bytes of regular files whose base name is in
    ``capture_names`` (candidates for the main executable).
    """
    wanted = {posixpath.basename(n) for n in capture_names if n}
    reader = _CountingReader(stream)
    scan = ExportScan()
    with tarfile.open(fileobj=cast(IO[bytes], reader), mode="r|") as tar:
        for info in tar:
            name = posixpath.normpath(info.name.lstrip("/")).removeprefix("./")
            if name in (".", "") or _is_init_artifact(name, info):
                continue
            if info.isdir():
                scan.entries[name] = Entry("dir")
                scan.dir_count += 1
            elif info.issym():
                scan.entries[name] = Entry("symlink", link=info.linkname)
                scan.symlink_count += 1
            elif info.islnk():
                scan.entries[name] = Entry("hardlink", link=info.linkname.lstrip("/"))
                scan.file_count += 1
            elif info.isfile():
                scan.entries[name] = Entry("file", size=info.size)
                scan.file_count += 1
                scan.files_bytes += info.size
                item = (info.size, name)
                if len(scan.largest) < top:
                    heapq.heappush(scan.largest, item)
                else:
                    heapq.heappushpop(scan.largest, item)
                keep = _is_package_db(name) or (posixpath.basename(name) in wanted and info.size <= _MAX_CAPTURE)
                if keep:
                    fh = tar.extractfile(info)
                    data = fh.read() if fh is not None else b""
                    (scan.package_db if _is_package_db(name) else scan.captured)[name] = data
            else:
                scan.entries[name] = Entry("other")
        while reader.read(1 << 20):  # the end-of-archive padding counts too (`wc -c` does)
            pass
    scan.tar_bytes = reader.count
    scan.largest.sort(reverse=True)
    return scan


def resolve(entries: dict[str, Entry], path: str, max_links: int = 40) -> str | None:
    """Follow symlinks (in every component, like the kernel) inside a tar listing.

    Returns the final path without a leading slash, or None when it does not exist.
    ``resolve(e, "/bin/sh")`` -> ``"usr/bin/dash"`` when ``bin -> usr/bin`` and ``usr/bin/sh -> dash``.
    """
    todo = [p for p in path.split("/") if p not in ("", ".")]
    done: list[str] = []
    links = 0
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        cur = "/".join([*done, part])
        entry = entries.get(cur)
        if entry is None:
            return None
        if entry.kind == "symlink":
            links += 1
            if links > max_links:
                return None
            target = entry.link
            base = [] if target.startswith("/") else done
            todo = [p for p in target.split("/") if p not in ("", ".")] + todo
            done = list(base)
            continue
        done.append(part)
    return "/".join(done)


def find_executable(entries: dict[str, Entry], name: str, path_var: str) -> str | None:
    """Where ``name`` is: as a path, or looked up in ``PATH`` like ``execvp`` does. Returns the resolved path."""
    candidates = [name] if "/" in name else [posixpath.join(d, name) for d in path_var.split(":") if d]
    for cand in candidates:
        found = resolve(entries, cand)
        if found is not None and entries[found].kind in ("file", "hardlink"):
            return found
    return None


def has_shell(entries: dict[str, Entry]) -> str | None:
    """``/bin/sh`` when it exists and leads to a file, else None."""
    found = resolve(entries, "/bin/sh")
    return "/bin/sh" if found is not None and entries[found].kind in ("file", "hardlink") else None


# -- OS packages ----------------------------------------------------------------


def count_dpkg(status: str) -> int:
    """Installed packages in a dpkg ``status`` file (stanzas with ``Status: install ok installed``)."""
    return sum(1 for stanza in re.split(r"\n\s*\n", status) if re.search(r"^Status: install ok installed\s*$", stanza, re.M))


def count_apk(installed: str) -> int:
    """Installed packages in apk's ``lib/apk/db/installed`` (one ``P:`` line per package)."""
    return sum(1 for line in installed.splitlines() if line.startswith("P:"))


def count_packages(db: dict[str, bytes]) -> Packages:
    """The OS package count from whichever database the image has (dpkg, distroless dpkg, apk)."""
    if DPKG_STATUS in db or any(k.startswith(DPKG_STATUS_D) for k in db):
        n = count_dpkg(db.get(DPKG_STATUS, b"").decode(errors="replace"))
        # distroless images have no status file but one stanza per package under status.d/
        n += sum(len(re.findall(r"^Package:", v.decode(errors="replace"), re.M))
                 for k, v in db.items() if k.startswith(DPKG_STATUS_D))
        return Packages(manager="dpkg", count=n)
    if APK_INSTALLED in db:
        return Packages(manager="apk", count=count_apk(db[APK_INSTALLED].decode(errors="replace")))
    return Packages()


# -- the report -----------------------------------------------------------------


def describe_main(scan: ExportScan, cfg: ImageConfig, extra: dict[str, bytes] | None = None) -> MainExecutable | None:
    """The main executable and its ELF facts, from the scan (``extra``: files fetched after the scan)."""
    name = main_executable_path(cfg)
    if name is None:
        return None
    found = find_executable(scan.entries, name, env_path(cfg.env))
    if found is None:
        return MainExecutable(path=name, note="not found in the image")
    entry = scan.entries[found]
    if entry.kind == "hardlink":
        found = entry.link
        entry = scan.entries.get(found, entry)
    data = scan.captured.get(found) or (extra or {}).get(found)
    main = MainExecutable(path=name, resolved="/" + found, size=entry.size)
    if data is None:
        main.note = "contents not read"
        return main
    facts = elf_facts(data)
    if facts is None:
        main.note = "not an ELF file (a script?)"
    else:
        main.elf = ElfInfo(**facts)
    return main


def main_file_to_fetch(scan: ExportScan, cfg: ImageConfig) -> str | None:
    """The resolved main executable when its bytes were not captured during the scan (a symlink to another name)."""
    name = main_executable_path(cfg)
    if name is None:
        return None
    found = find_executable(scan.entries, name, env_path(cfg.env))
    if found is None:
        return None
    if scan.entries[found].kind == "hardlink":
        found = scan.entries[found].link
    return None if found in scan.captured else found


def build_report(
    *,
    image: str,
    platform: str,
    config: ImageConfig,
    scan: ExportScan,
    layers: list[Layer],
    layers_source: Literal["history", "oci-config"],
    size_compressed: int | None,
    image_id: str | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> ImageReport:
    """Put the pieces together (pure: every input already read)."""
    parts = platform.split("/")
    return ImageReport(
        image=image,
        image_id=image_id,
        platform=platform,
        os=parts[0],
        architecture=parts[1] if len(parts) > 1 else "",
        variant=parts[2] if len(parts) > 2 else None,
        size_compressed=size_compressed,
        size_uncompressed=scan.tar_bytes,
        files_bytes=scan.files_bytes,
        layers=layers,
        layers_source=layers_source,
        config=config,
        runs_as_root=runs_as_root(config.user),
        shell=has_shell(scan.entries),
        file_count=scan.file_count,
        dir_count=scan.dir_count,
        symlink_count=scan.symlink_count,
        largest_files=[FileSize(path="/" + p, size=s) for s, p in scan.largest],
        main_executable=describe_main(scan, config, extra_files),
        packages=count_packages(scan.package_db),
    )


# -- against the engine -----------------------------------------------------------


def _canonical(platform: str) -> str:
    try:
        return platforms.normalize(platform)
    except ValueError:
        return platform


def inspect_image(ref: str, platform: str | None = None) -> ImageReport:
    """Inspect one platform of a local image (default: the one the engine describes, the host's when present).

    Raises InputError for an unknown image or a platform the image lacks (listing those it has).
    """
    meta = containers.require_image(ref)
    default = _canonical(containers.default_platform(meta))
    try:
        want = _canonical_strict(platform) if platform else default
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    layers: list[Layer] | None = None
    source: Literal["history", "oci-config"] = "history"
    config = summarize_config(meta.get("Config"))
    compressed: int | None = meta.get("Size")
    if want == default:
        try:
            rows = buildx.run_json_lines(
                ["image", "history", "--no-trunc", "--human=false", "--format", "{{json .}}", ref],
                what=f"docker image history {ref}",
            )
            layers = parse_history(rows)
        except BuildorchError:
            layers = None  # engine 26: history of a non-host image fails; the OCI config has it
    if layers is None:
        img = oci.find_platform(containers.image_platforms(ref), want)
        if img is None:
            raise containers.missing_platform(ref, want)
        layers, source = layers_from_config(img.config, img.layer_sizes), "oci-config"
        if want != default:
            config = summarize_config(img.config.get("config"))
            compressed = img.content_size
    with containers.created(ref, want) as cid:
        with containers.exported(cid) as stream:
            scan = scan_export(stream, capture_names=[main_executable_path(config) or ""])
        extra: dict[str, bytes] = {}
        fetch = main_file_to_fetch(scan, config)
        if fetch:
            got = containers.copy_out(cid, "/" + fetch)
            if got is not None and got[0] == "file" and got[1] is not None:
                extra[fetch] = got[1]
    return build_report(
        image=ref,
        platform=want,
        config=config,
        scan=scan,
        layers=layers,
        layers_source=source,
        size_compressed=compressed,
        image_id=meta.get("Id"),
        extra_files=extra,
    )


def _canonical_strict(platform: str) -> str:
    return platforms.normalize(platform)
