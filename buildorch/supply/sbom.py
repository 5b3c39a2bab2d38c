"""SBOMs with syft: one SPDX JSON document per platform, and its package table.

syft reads the image from the registry by digest (``registry:REPO@sha256:...``, one
platform's manifest, so no platform has to be chosen), from the engine's store
(``docker:IMAGE``) or from an OCI layout (``oci-dir:PATH``). It runs offline: no
update check, plain HTTP only for registries buildorch calls local (loopback).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from buildorch.core import references
from buildorch.core.errors import InputError
from buildorch.engine import tools

__all__ = ["Package", "generate", "packages", "sbom_name"]


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    kind: str  # the purl type: golang, deb, ...


def sbom_name(platform: str) -> str:
    """``linux/arm64`` -> ``sbom-linux-arm64.spdx.json`` (the file written next to release.json)."""
    return f"sbom-{platform.replace('/', '-')}.spdx.json"


def _env(source: str) -> dict[str, str]:
    env = {"SYFT_CHECK_FOR_APP_UPDATE": "false"}
    host = references.registry_of(source.split(":", 1)[1]) if source.startswith("registry:") else None
    if host and references.plain_http(host):
        env["SYFT_REGISTRY_INSECURE_USE_HTTP"] = "true"
    return env


def source_of(image: str) -> str:
    """The syft source of an image reference: the registry when it names one, else the engine's store."""
    return f"registry:{image}" if references.registry_of(image) else f"docker:{image}"


def generate(source: str, out: Path, *, platform: str | None = None) -> Path:
    """Write the SPDX JSON SBOM of ``source`` (a syft source: ``registry:REF``, ``docker:IMAGE``, ``oci-dir:DIR``) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    args = ["scan", source, "--quiet", "-o", f"spdx-json={out}", *(["--platform", platform] if platform else [])]
    tools.run("syft", args, env=_env(source), what=f"syft {source}")
    return out


def packages(doc: dict[str, Any]) -> list[Package]:
    """The packages of an SPDX JSON document, sorted, without the document's own root (the image)."""
    described = set(doc.get("documentDescribes") or [])
    for rel in doc.get("relationships") or []:
        if rel.get("relationshipType") == "DESCRIBES":
            described.add(rel.get("relatedSpdxElement"))
    out = []
    for p in doc.get("packages") or []:
        if not isinstance(p, dict) or p.get("SPDXID") in described:
            continue
        purl = next(
            (str(r.get("referenceLocator", "")) for r in p.get("externalRefs") or [] if r.get("referenceType") == "purl"), ""
        )
        kind = purl[4:].split("/", 1)[0] if purl.startswith("pkg:") else "-"
        out.append(Package(str(p.get("name", "?")), str(p.get("versionInfo") or "-"), kind))
    return sorted(set(out), key=lambda p: (p.kind, p.name, p.version))


def read(path: Path) -> dict[str, Any]:
    """An SPDX JSON file, or InputError saying what is wrong with it."""
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError as exc:
        raise InputError(f"no SBOM file {path}") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{path} is not an SPDX JSON file: {exc}") from exc
    if not isinstance(doc, dict) or "spdxVersion" not in doc:
        raise InputError(f"{path} is not an SPDX JSON document (no spdxVersion)")
    return doc
