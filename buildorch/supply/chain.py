"""The supply-chain step of a release: SBOMs, signatures and attestations of a verified, untagged index.

``release`` calls :func:`secure` between verification and tagging: what is signed is
exactly what was verified (the index digest), and a failure here leaves every tag as it
was. SBOMs are written next to release.json, one per platform.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import IO, Literal

from pydantic import BaseModel, Field

from buildorch.core.errors import InputError
from buildorch.engine import tools
from buildorch.supply import sbom, signing

__all__ = ["SupplyOptions", "SupplyReport", "secure"]

Provenance = Literal["false", "min", "max"]


class SupplyOptions(BaseModel):
    """What the release adds to its images. The key's password is never part of it (see :func:`secure`)."""

    sbom: bool = False
    sign: bool = False
    key: Path | None = Field(default=None, description="cosign private key (default: $COSIGN_KEY)")

    def key_path(self) -> Path:
        key = self.key or (Path(os.environ["COSIGN_KEY"]) if os.environ.get("COSIGN_KEY") else None)
        if key is None:
            raise InputError("--sign needs a key", "pass --key cosign.key (from `buildorch keys generate`) or set COSIGN_KEY")
        if not key.is_file():
            raise InputError(f"no key file {key}", "create one with `buildorch keys generate`")
        return key


class SupplyReport(BaseModel):
    """What :func:`secure` did, for release.json."""

    provenance: Provenance = "false"
    sboms: dict[str, str] = Field(default={}, description="platform -> SBOM file name next to release.json")
    signed: bool = False
    attested: bool = False
    key: str | None = None
    seconds: float = 0.0


def secure(
    image: str,
    index_digest: str,
    platforms: dict[str, str],
    options: SupplyOptions,
    out_dir: Path,
    *,
    password: str | None = None,
    log: IO[str] | None = None,
) -> SupplyReport:
    """SBOM each platform (``options.sbom``), sign the index and its platforms, attest the SBOMs (``options.sign``).

    ``password`` defaults to ``$COSIGN_PASSWORD``; it goes to cosign's environment only.
    """
    t0 = time.monotonic()
    report = SupplyReport()
    if options.sbom:
        for platform, digest in sorted(platforms.items()):
            path = out_dir / sbom.sbom_name(platform)
            if log:
                log.write(f"sbom: {platform} -> {path}\n")
            sbom.generate(f"registry:{image}@{digest}", path)
            report.sboms[platform] = path.name
    if options.sign:
        key = options.key_path()
        secret = signing.require_password(password if password is not None else os.environ.get("COSIGN_PASSWORD"))
        if log:
            log.write(f"sign: {image}@{index_digest} and its {len(platforms)} platform(s) with {key}\n")
        signing.sign(image, index_digest, key, password=secret)
        report.signed, report.key = True, str(key)
        for platform, name in report.sboms.items():
            if log:
                log.write(f"attest: {platform} SBOM (spdxjson)\n")
            signing.attest(image, platforms[platform], key, out_dir / name, password=secret)
        report.attested = bool(report.sboms)
    report.seconds = round(time.monotonic() - t0, 1)
    return report


def check(options: SupplyOptions, *, password: str | None = None) -> None:
    """Before the build: the tools are there, and the key opens with the password (a wrong one costs no build)."""
    if options.sbom:
        tools.find("syft")
    if options.sign:
        key = options.key_path()
        secret = signing.require_password(password if password is not None else os.environ.get("COSIGN_PASSWORD"))
        signing.check_key(key, password=secret)
