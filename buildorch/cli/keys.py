"""``buildorch keys generate``: a cosign key pair for `release --sign` and `verify`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Signing keys (cosign key pairs) for release --sign and verify.", no_args_is_help=True)


def key_password(confirm: bool) -> str:
    """The key's password: $COSIGN_PASSWORD (may be empty), else asked on the terminal without echo."""
    env = os.environ.get("COSIGN_PASSWORD")
    if env is not None:
        return env
    from buildorch.core.errors import InputError

    if not os.isatty(0):
        raise InputError("no password for the key", "set COSIGN_PASSWORD (an empty value means none), or run on a terminal")
    return str(typer.prompt("Password for the key", hide_input=True, confirmation_prompt=confirm, default="", show_default=False))


@app.command("generate")
def generate(
    output_prefix: Annotated[Path, typer.Option(help="Writes PREFIX.key (encrypted) and PREFIX.pub.")] = Path("cosign"),
) -> None:
    """Generate a cosign key pair (password from COSIGN_PASSWORD, else asked).

    Example: COSIGN_PASSWORD=... buildorch keys generate --output-prefix release
    """
    from buildorch.supply.signing import generate_keys

    key, pub = generate_keys(output_prefix, key_password(confirm=True))
    typer.echo(f"private key: {key} (keep it secret; sign with: buildorch release --sign --key {key})")
    typer.echo(f"public key:  {pub} (verify with: buildorch verify IMAGE:TAG --key {pub})")
