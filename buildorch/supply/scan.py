"""``buildorch scan``: the Go binaries of each platform of an image, checked with govulncheck against a local database.

The image's filesystem is read from ``docker export`` of a created (never started)
container, in one streaming pass: every ELF file that carries Go build information
(the ``\\xff Go buildinf:`` magic) is written to a temporary directory and given to
``govulncheck -mode=binary -db file:///DIR -json``. The database is the Go
vulnerability database format (``index/db.json``, ``index/modules.json``,
``ID/GO-....json``); nothing is fetched from the network unless ``--db`` is a URL.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, Field

from buildorch.core.errors import InputError
from buildorch.core.oci import platform_digests
from buildorch.engine import buildx, containers, tools

__all__ = ["Finding", "ScanResult", "go_binaries", "scan_image"]

_GO_BUILDINFO = b"\xff Go buildinf:"
_MAX_BINARY = 512 << 20


class Finding(BaseModel):
    id: str
    platform: str
    binary: str
    module: str = ""
    version: str = ""
    fixed: str = ""
    called: bool = False  # a vulnerable function is reachable (symbol level), not only linked
    summary: str = ""


class ScanResult(BaseModel):
    image: str
    db: str
    binaries: dict[str, list[str]] = Field(default={}, description="platform -> Go binaries scanned")
    findings: list[Finding] = []

    @property
    def ids(self) -> list[str]:
        return sorted({f.id for f in self.findings})


def db_url(db: str | None) -> str:
    """``file:///abs/dir`` for a directory, the URL as is; InputError when there is none or it is not a database."""
    if not db:
        raise InputError(
            "no vulnerability database: buildorch scan needs --db DIR|URL (the Go vulnerability database format)",
            "mirror https://vuln.go.dev into a directory where you can, then pass --db DIR",
        )
    if "://" in db:
        return db
    path = Path(db).absolute()
    if not (path / "index" / "db.json").is_file() and not (path / "index" / "db.json.gz").is_file():
        raise InputError(
            f"{db} is not a Go vulnerability database (no index/db.json)", "pass the directory that holds index/ and ID/"
        )
    return path.as_uri()


def go_binaries(stream: IO[bytes], dest: Path) -> list[str]:
    """Write every regular file of a tar ``stream`` that is a Go ELF binary under ``dest``; their paths in the image."""
    found = []
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for info in tar:
            if not info.isreg() or info.size < 64 or info.size > _MAX_BINARY:
                continue
            f = tar.extractfile(info)
            if f is None:
                continue
            head = f.read(4)
            if head != b"\x7fELF":
                continue
            data = head + f.read()
            if _GO_BUILDINFO not in data:
                continue
            name = info.name.lstrip("./")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            found.append("/" + name)
    return sorted(found)


def parse_govulncheck(stream: str, platform: str, binary: str) -> list[Finding]:
    """Findings from ``govulncheck -json`` (a stream of JSON objects), one per advisory, called if any trace names a function."""
    osv: dict[str, dict[str, Any]] = {}
    by_id: dict[str, Finding] = {}
    for msg in _json_stream(stream):
        if "osv" in msg and isinstance(msg["osv"], dict):
            osv[str(msg["osv"].get("id"))] = msg["osv"]
        finding = msg.get("finding")
        if not isinstance(finding, dict):
            continue
        vid = str(finding.get("osv", "?"))
        trace = finding.get("trace") or [{}]
        first = trace[0] if isinstance(trace[0], dict) else {}
        f = by_id.setdefault(vid, Finding(id=vid, platform=platform, binary=binary))
        f.module, f.version = str(first.get("module", f.module)), str(first.get("version", f.version))
        f.fixed = str(finding.get("fixed_version") or f.fixed)
        f.called = f.called or any(isinstance(t, dict) and t.get("function") for t in trace)
    for vid, f in by_id.items():
        f.summary = str(osv.get(vid, {}).get("summary") or osv.get(vid, {}).get("details") or "")[:120]
    return list(by_id.values())


def _json_stream(text: str) -> list[dict[str, Any]]:
    decoder, pos = json.JSONDecoder(), 0
    out: list[dict[str, Any]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        try:
            obj, pos = decoder.raw_decode(text, pos)
        except ValueError:
            return out
        if isinstance(obj, dict):
            out.append(obj)


def _platforms(ref: str, wanted: list[str]) -> list[str]:
    if wanted:
        return wanted
    return [p.platform for p in containers.image_platforms(ref)]


def scan_image(ref: str, *, db: str | None, platforms: list[str] | None = None, log: IO[str] | None = None) -> ScanResult:
    """Scan the Go binaries of every platform of ``ref`` (pulled first when it is not in the local store)."""
    url = db_url(db)
    pulled = False
    wanted = list(platforms or [])
    if buildx.image_inspect(ref) is None:
        # not in the local store: every platform (or the ones asked for) is pulled, then removed again
        if not wanted:
            doc = buildx.imagetools_raw(ref)
            wanted = sorted(platform_digests(doc)) if doc.get("manifests") else []
        pulls: list[str | None] = list(wanted) or [None]  # None: the engine's default platform
        for p in pulls:
            if log:
                log.write(f"scan: pulling {ref}{f' ({p})' if p else ''}\n")
            buildx.run(["pull", "--quiet", *(["--platform", p] if p else []), ref], what=f"docker pull {ref}")
        pulled = True
    result = ScanResult(image=ref, db=url)
    try:
        for platform in _platforms(ref, wanted):
            with tempfile.TemporaryDirectory(prefix="buildorch-scan-") as tmp:
                with containers.created(ref, platform) as cid, containers.exported(cid) as stream:
                    binaries = go_binaries(stream, Path(tmp))
                result.binaries[platform] = binaries
                for binary in binaries:
                    if log:
                        log.write(f"scan: {platform} {binary}\n")
                    res = tools.run(
                        "govulncheck",
                        ["-mode=binary", "-db", url, "-json", str(Path(tmp) / binary.lstrip("/"))],
                        env={"GOFLAGS": ""},
                        what=f"govulncheck {binary} ({platform})",
                    )
                    result.findings.extend(parse_govulncheck(res.stdout, platform, binary))
    finally:
        if pulled:
            containers.remove_image(ref)
    return result
