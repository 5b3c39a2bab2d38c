"""Registry credentials where Docker keeps them, read as the docker CLI reads them.

The config is ``$DOCKER_CONFIG/config.json`` (default ``~/.docker/config.json``). For
a registry host, as ``docker`` does (cli/config/configfile ``GetAuthConfig``):

1. ``credHelpers[host]`` names a helper: run ``docker-credential-NAME get`` with the
   host on stdin;
2. else ``credsStore`` names the helper for every registry;
3. else ``auths[host]``: ``auth`` is base64 ``user:password``, ``identitytoken`` an
   OAuth2 refresh token. Keys are matched by host, so ``https://host/v1/`` counts.

A :class:`Credential` never shows its secret in ``repr`` or ``str``: nothing that logs
or reports one can leak it by accident. Nothing here writes anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from buildorch.core.errors import PushFailed

DOCKER_HUB_KEY = "https://index.docker.io/v1/"
_HUB_HOSTS = ("docker.io", "index.docker.io", "registry-1.docker.io")
HELPER_TIMEOUT = 30.0


class CredentialError(PushFailed):
    """The credentials for a registry cannot be read (a broken config or a failing credential helper)."""


@dataclass(frozen=True)
class Credential:
    """A user name and a password, or an identity token (``identity_token`` is then True)."""

    username: str
    secret: str = field(repr=False)
    identity_token: bool = False

    def __str__(self) -> str:
        return f"credentials of {self.username or '<token>'}"


def config_dir() -> Path:
    """``$DOCKER_CONFIG``, else ``~/.docker``: where ``docker login`` writes."""
    env = os.environ.get("DOCKER_CONFIG")
    return Path(env) if env else Path.home() / ".docker"


def load_config(directory: Path | None = None) -> dict[str, Any]:
    """The parsed ``config.json``; ``{}`` when there is none."""
    path = (directory or config_dir()) / "config.json"
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CredentialError(f"cannot read {path}: {exc}", "fix or remove the file, then run buildorch login REGISTRY") from exc
    if not isinstance(doc, dict):
        raise CredentialError(f"{path} is not a JSON object", "fix or remove the file, then run buildorch login REGISTRY")
    return doc


def hostname(key: str) -> str:
    """A key of ``auths`` or ``credHelpers`` as the host it stands for (docker's ``ConvertToHostname``)."""
    rest = key.split("://", 1)[1] if "://" in key else key
    host = rest.split("/", 1)[0]
    return "docker.io" if host in _HUB_HOSTS else host


# (config.json, its mtime, host) -> what lookup found: a release asks several times, a helper runs once
_FOUND: dict[tuple[str, int, str], Credential | None] = {}


def lookup(host: str, directory: Path | None = None) -> Credential | None:
    """The credential Docker would use for ``host`` (``127.0.0.1:5001``, ``ghcr.io``), or None.

    Remembered for this process while config.json is unchanged (a new login changes it).
    """
    path = (directory or config_dir()) / "config.json"
    try:
        key = (str(path), path.stat().st_mtime_ns, host)
    except OSError:
        key = (str(path), 0, host)
    if key not in _FOUND:
        _FOUND[key] = _lookup(host, directory)
    return _FOUND[key]


def _lookup(host: str, directory: Path | None) -> Credential | None:
    cfg = load_config(directory)
    want = hostname(host)
    helpers = cfg.get("credHelpers") or {}
    for key, name in helpers.items():
        if hostname(key) == want and name:
            return helper_get(str(name), key)
    store = cfg.get("credsStore")
    if store:
        server = DOCKER_HUB_KEY if want == "docker.io" else host
        found = helper_get(str(store), server)
        if found is not None:
            return found
    for key, entry in (cfg.get("auths") or {}).items():
        if hostname(key) == want and isinstance(entry, dict):
            return _from_auths(entry, key)
    return None


def _from_auths(entry: dict[str, Any], key: str) -> Credential | None:
    if entry.get("identitytoken"):
        return Credential(str(entry.get("username") or ""), str(entry["identitytoken"]), identity_token=True)
    raw = entry.get("auth")
    if raw:
        try:
            user, sep, password = base64.b64decode(str(raw), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise CredentialError(f"the auths entry for {key} is not base64 user:password", f"run buildorch login {key}") from exc
        if not sep:
            raise CredentialError(f"the auths entry for {key} has no ':' between user and password", f"run buildorch login {key}")
        return Credential(user, password)
    if entry.get("username") and entry.get("password"):
        return Credential(str(entry["username"]), str(entry["password"]))
    return None


def helper_get(name: str, server: str) -> Credential | None:
    """``docker-credential-NAME get`` with ``server`` on stdin, as docker runs it; None when it has nothing for it."""
    prog = f"docker-credential-{name}"
    try:
        proc = subprocess.run(
            [prog, "get"], input=server, capture_output=True, text=True, timeout=HELPER_TIMEOUT, check=False
        )
    except FileNotFoundError as exc:
        raise CredentialError(
            f"credential helper {prog} (named in {config_dir() / 'config.json'}) is not installed",
            "install it or remove it from the config, then run buildorch login REGISTRY",
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise CredentialError(f"credential helper {prog} did not answer within {HELPER_TIMEOUT:.0f}s") from exc
    if proc.returncode != 0:
        said = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
        # the helpers' own words for "nothing stored" (credentials.ErrCredentialsNotFound)
        if said and "credentials not found" in said[0].lower():
            return None
        first = said[0][:200] if said else "no output"
        raise CredentialError(
            f"credential helper {prog} failed for {server} (exit {proc.returncode}): {first}",
            f"fix the helper, or run buildorch login {server}",
        )
    try:
        doc = json.loads(proc.stdout)
        user, secret = str(doc.get("Username") or ""), str(doc["Secret"])
    except (ValueError, KeyError, AttributeError) as exc:
        raise CredentialError(f"credential helper {prog} printed something that is not its JSON answer") from exc
    if user == "<token>":  # docker's convention for an identity token
        return Credential("", secret, identity_token=True)
    return Credential(user, secret)


def login(server: str, username: str, password: str) -> str:
    """``docker login --password-stdin SERVER``: docker checks the credentials and stores them (config or helper).

    Through ``subprocess`` rather than python-on-whales' ``docker.login``, which lets docker's
    error go to the terminal uncaptured: here it becomes the one-line error. The password
    goes on stdin only, never on a command line. Returns where docker stored it.
    """
    try:
        proc = subprocess.run(
            ["docker", "login", "--username", username, "--password-stdin", server],
            input=password, capture_output=True, text=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CredentialError(f"docker login {server} did not run: {exc}", "is the docker CLI installed?") from exc
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
        said = lines[-1][:300] if lines else f"exit {proc.returncode}"
        raise CredentialError(f"docker login {server} failed: {said}", f"check the user name and password for {server}")
    store = load_config().get("credHelpers", {}).get(server) or load_config().get("credsStore")
    return f"credential helper docker-credential-{store}" if store else str(config_dir() / "config.json")
