"""``buildorch verify``: an image's cosign signatures (index and every platform) and SBOM attestations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from buildorch.cli.options import JsonOpt
from buildorch.cli.render import emit_json


def verify(
    image: Annotated[str, typer.Argument(help="REGISTRY/NAME:TAG or REGISTRY/NAME@sha256:...")],
    key: Annotated[Path, typer.Option(help="The public key (PREFIX.pub from `buildorch keys generate`).")],
    sbom: Annotated[
        bool | None,
        typer.Option(
            "--sbom/--no-sbom", help="Require (or skip) the SPDX attestation on every platform; default: check it where attached."
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Check that the index and every platform are signed with KEY, and that their SBOM attestations verify.

    Offline: no transparency log is consulted (the key is the trust root).
    Exit codes: 0 verified; 2 bad input (no such tag, no key file); 6 a signature or
    attestation is missing or does not verify (e.g. a tag moved to other content).

    Example: buildorch verify localhost:5000/app:1.3.0 --key cosign.pub
    """
    from buildorch.supply.signing import verify_image

    result = verify_image(image, key, sbom=sbom)
    if json_out:
        emit_json({"reference": result.reference, "digest": result.digest, "ok": result.ok,
                   "checks": [vars(c) for c in result.checks]})
        return
    for line in result.lines():
        typer.echo(line)
    typer.echo(f"verified: {len(result.checks)} signature(s) with {key}")
