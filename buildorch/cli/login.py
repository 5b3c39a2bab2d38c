"""``buildorch login``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from buildorch.core.errors import InputError


def login(
    registry: Annotated[str, typer.Argument(metavar="REGISTRY", help="Registry host, e.g. ghcr.io or 127.0.0.1:5001.")],
    username: Annotated[str, typer.Option("--username", "-u", help="User name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password (or token) from stdin (the only way: never argv).")
    ] = False,
) -> None:
    """Log in to a registry, as `docker login` does (it is run, and stores the credentials where docker keeps them).

    Releases, builds with --push and registry caches then use them: buildorch reads
    DOCKER_CONFIG (default ~/.docker)/config.json: auths, credsStore and credHelpers.

    Exit codes: 0 logged in; 2 no password on stdin; 4 the registry refused the credentials.

    Example: printf %s "$PASSWORD" | buildorch login 127.0.0.1:5001 -u ci --password-stdin
    """
    from buildorch.engine.credentials import hostname
    from buildorch.engine.credentials import login as docker_login

    how = f'printf %s "$PASSWORD" | buildorch login {registry} -u USER --password-stdin'
    if not password_stdin:
        raise InputError("the password is read from stdin only (--password-stdin)", how)
    password = sys.stdin.read().rstrip("\r\n")
    if not password:
        raise InputError("no password on stdin", how)
    where = docker_login(hostname(registry), username, password)
    typer.echo(f"logged in to {hostname(registry)} as {username} (stored in {where})")
