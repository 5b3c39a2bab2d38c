"""``buildorch inspect``: what an image holds, read without running it or needing a shell in it.

Sources, for one platform of a local image:
  * ``docker image inspect`` (config, compressed size) and ``docker image history``
    (layers) for the platform the engine describes by default; for another
    platform, or when ``image history`` fails (engine 26 on a non-host image),
    the config and manifest read from ``docker save`` (see :mod:`buildorch.core.oci`);
  * ``docker create`` + ``docker export`` streamed through
    :mod:`buildorch.inspect.filesystem`: file counts, largest files, the shell, the
    OS package database and the main executable, whose ELF facts
    :func:`buildorch.core.elf.elf_facts` reads.
The parsing functions here are pure and tested on recorded data.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, Field

from buildorch.core import oci, platforms
from buildorch.core.elf import elf_facts
from buildorch.core.errors import BuildorchError, InputError
from buildorch.core.units import parse_size_or_none
from buildorch.engine import buildx, containers
from buildorch.inspect.filesystem import ExportScan, Packages, count_packages, find_executable, has_shell, scan_export

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
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
    exposed_ports: list[str] = []
    env: list[str] = []
    labels: dict[str, str] = {}
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
    layers: list[Layer] = []
    layers_source: Literal["history", "oci-config"] = "history"
    config: ImageConfig = Field(default_factory=ImageConfig)
    runs_as_root: bool = True
    shell: str | None = None
    file_count: int = 0
    dir_count: int = 0
    symlink_count: int = 0
    largest_files: list[FileSize] = []
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
