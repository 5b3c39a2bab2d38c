"""The filesystem of an image, read from a ``docker export`` tar in one streaming pass.

Counts, the largest files, symlinks followed like the kernel does, ``PATH`` lookups,
the shell, and the OS package databases (dpkg, distroless dpkg, apk). Pure: the
tests feed it tars built in memory.
"""

from __future__ import annotations

import heapq
import posixpath
import re
import tarfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Literal, cast

from pydantic import BaseModel

DPKG_STATUS = "var/lib/dpkg/status"
DPKG_STATUS_D = "var/lib/dpkg/status.d/"  # distroless: one file per package
APK_INSTALLED = "lib/apk/db/installed"
# Files `docker create` adds to every container (its init layer): not the image's.
_INIT_LAYER = {".dockerenv", "dev/console", "etc/hostname", "etc/hosts", "etc/resolv.conf", "etc/mtab"}
_MAX_CAPTURE = 512 << 20  # never hold a bigger file in memory for its ELF header


class Packages(BaseModel):
    manager: Literal["dpkg", "apk"] | None = None
    count: int = 0


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
