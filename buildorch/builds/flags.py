"""buildx's own build flags, checked the way buildx reads them, before BuildKit runs.

Each function takes what the user typed and returns it (sometimes normalised) or raises
``ValueError`` with what to do; :class:`~buildorch.builds.spec.BuildSpec` calls them
from its validators, so a bad value is one line with exit code 2. The values are passed
to buildx unchanged in meaning: the names and syntax are buildx's (``docker buildx build
--help``), so a user's habits carry over.
"""

from __future__ import annotations

import csv
import ipaddress
import os
import re
from collections.abc import Callable
from pathlib import Path

NETWORKS = ("default", "none", "host")
# buildx's entitlements (--allow); ``device``, ``fs`` and ``fs.read``/``fs.write`` take a value after "=".
ENTITLEMENTS = ("network.host", "security.insecure", "device", "fs", "fs.read", "fs.write", "ssh")
CALLS = ("build", "check", "outline", "targets", "subrequests.describe")
# buildx's cache backends and exporters (``docker buildx build --help``, docs "Cache storage backends", "Exporters").
CACHE_TYPES = ("registry", "local", "inline", "gha", "s3", "azblob")
OUTPUT_TYPES = ("local", "tar", "oci", "docker", "image", "registry", "cacheonly")
_HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
_SSH_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
# A --build-context value that is not a local directory: buildx reads these schemes itself.
_CONTEXT_SCHEMES = ("docker-image://", "oci-layout://", "target:", "http://", "https://", "git@", "git://", "input:")


def _path(value: str) -> Path:
    """``~/x`` expanded; ``~nosuchuser/x`` left as written (``expanduser`` raises for an unknown user)."""
    try:
        return Path(value).expanduser()
    except RuntimeError:
        return Path(value)


def _fields(value: str) -> dict[str, str]:
    return {k.strip(): v for k, _, v in (p.partition("=") for p in value.split(","))}


def check_ssh(value: str, env: dict[str, str] | None = None) -> str:
    """``default``, ``ID=SOCKET_OR_KEY[,KEY...]`` (buildx ``--ssh``): the agent socket or the key files must exist."""
    environ = os.environ if env is None else env
    ident, sep, paths = value.partition("=")
    if not _SSH_ID.match(ident):
        raise ValueError(f"--ssh {value!r}: use default, or ID=SOCKET_OR_KEY (e.g. default=$SSH_AUTH_SOCK)")
    if not sep:
        if not environ.get("SSH_AUTH_SOCK"):
            raise ValueError(
                f"--ssh {ident}: SSH_AUTH_SOCK is not set (no ssh-agent); start one (eval $(ssh-agent); ssh-add) "
                f"or name a key: --ssh {ident}=~/.ssh/id_ed25519"
            )
        return value
    for p in paths.split(","):
        if not _path(p).exists():
            raise ValueError(f"--ssh {ident}: {p} does not exist (an ssh-agent socket or a private key file)")
    return value


def check_build_context(name: str, value: str, base: Path | None = None) -> str:
    """``NAME=VALUE``: a directory, or ``docker-image://``, ``oci-layout://``, ``target:``, a URL (buildx ``--build-context``)."""
    if not name or not re.match(r"^[A-Za-z0-9][A-Za-z0-9_./:@-]*$", name):
        raise ValueError(f"--build-context {name}={value}: the name must be a stage or image name, e.g. base=../base")
    if not value:
        raise ValueError(f"--build-context {name}=: give a directory, docker-image://REF, oci-layout://DIR or a URL")
    if value.startswith(_CONTEXT_SCHEMES):
        return value
    path = _path(value)
    if not path.is_absolute() and base is not None and not path.exists():
        path = base / path
    if not path.is_dir():
        raise ValueError(
            f"--build-context {name}={value}: no such directory; use a directory, docker-image://REF, oci-layout://DIR or a URL"
        )
    return value


def check_network(value: str) -> str:
    if value not in NETWORKS:
        raise ValueError(f"--network {value!r}: use one of {', '.join(NETWORKS)} (buildx's network modes for RUN)")
    return value


def check_add_host(value: str) -> str:
    """``HOST=IP`` or ``HOST:IP`` (buildx ``--add-host``; ``host-gateway`` is Docker's gateway)."""
    host, sep, ip = value.partition("=")
    if not sep:
        host, sep, ip = value.partition(":")
    if not sep or not _HOSTNAME.match(host):
        raise ValueError(f"--add-host {value!r}: use HOST=IP, e.g. db.local=10.0.0.5")
    if ip != "host-gateway":
        try:
            ipaddress.ip_address(ip.strip("[]"))
        except ValueError:
            raise ValueError(f"--add-host {value!r}: {ip!r} is not an IP address (or host-gateway)") from None
    return value


def check_allow(value: str) -> str:
    name, sep, arg = value.partition("=")
    if name not in ENTITLEMENTS or (sep and name in ("network.host", "security.insecure", "ssh")):
        raise ValueError(
            f"--allow {value!r}: use one of {', '.join(ENTITLEMENTS)} (fs, fs.read, fs.write and device take =VALUE)"
        )
    if name.startswith("fs") and not arg:
        raise ValueError(f"--allow {name}: name the path, e.g. --allow {name}=/path")
    return value


def check_annotation(value: str) -> str:
    """``[TYPE[PLATFORM]:]KEY=VALUE`` (buildx ``--annotation``), e.g. ``index:org.opencontainers.image.title=app``."""
    key, sep, _ = value.partition("=")
    if not sep or not key or key.endswith(":"):
        raise ValueError(f"--annotation {value!r}: use [TYPE:]KEY=VALUE, e.g. index:org.opencontainers.image.title=app")
    return value


def check_attest(value: str) -> str:
    """``type=sbom|provenance[,OPTIONS]`` (buildx ``--attest``)."""
    example = "use type=sbom[,...] or type=provenance[,mode=min|max]"
    spec = _csv_spec(value, "--attest", ("sbom", "provenance"), example) if "=" in value else {}
    if not spec:
        raise ValueError(f"--attest {value!r}: {example}")
    if spec["type"] == "provenance" and spec.get("mode", "max") not in ("min", "max"):
        raise ValueError(f"--attest {value!r}: mode is min or max")
    return value


def check_call(value: str) -> str:
    """``check``, ``outline``, ``targets`` (``build`` is the default), with buildx's options: ``check,format=json``."""
    method = value.split(",", 1)[0].strip().lower()
    if method not in CALLS:
        raise ValueError(f"--call {value!r}: use check, outline or targets (build is the default)")
    return value


def _csv_spec(value: str, flag: str, types: tuple[str, ...], example: str) -> dict[str, str]:
    """``KEY=VALUE,...`` read as buildx reads it (CSV, so ``"dest=a,b"`` is one field): every field a
    pair, a known ``type``, no control or format character (a newline would end the flag in a log)."""
    if not value.isprintable():  # control, format (bidi), unassigned characters, bytes that were not UTF-8
        raise ValueError(f"{flag} {value!r}: holds a control character; {example}")
    try:
        fields = next(csv.reader([value], skipinitialspace=False), [])
    except csv.Error as exc:
        raise ValueError(f"{flag} {value!r}: {exc}; {example}") from None
    pairs = [f.partition("=") for f in fields]
    bad = next((f for f, (_, sep, _v) in zip(fields, pairs, strict=True) if not sep or not f.partition("=")[0].strip()), None)
    if bad is not None:
        raise ValueError(f"{flag} {value!r}: {bad!r} is not KEY=VALUE; {example}")
    spec = {k.strip(): v for k, _, v in pairs}
    if "type" not in spec:
        raise ValueError(f"{flag} {value!r}: name its type; {example}")
    if spec["type"] not in types:
        raise ValueError(f"{flag} {value!r}: unknown type {spec['type']!r} (buildx's are {', '.join(types)}); {example}")
    return spec


def check_cache_spec(value: str, flag: str) -> str:
    """A ``--cache-to``/``--cache-from`` in buildx's syntax: ``type=...`` fields, or a bare registry reference."""
    if not value.strip():
        raise ValueError(f"{flag}: empty; use type=registry,ref=REF or type=local,dest=DIR")
    if "=" in value:
        _csv_spec(value, flag, CACHE_TYPES, "e.g. type=registry,ref=REF or type=local,dest=DIR")
    elif not value.isprintable():
        raise ValueError(f"{flag} {value!r}: holds a control character; use type=registry,ref=REF")
    return value


def check_output(value: str) -> str:
    """An ``--output``: ``type=...`` fields, ``-`` (a tar on stdout) or a directory (``type=local,dest=DIR``)."""
    if not value.strip():
        raise ValueError("--output is empty: use type=local,dest=DIR, type=registry, type=docker or a directory")
    if "=" in value:
        _csv_spec(value, "--output", OUTPUT_TYPES, "e.g. type=local,dest=DIR or type=image,push=true")
    elif not value.isprintable():
        raise ValueError(f"--output {value!r}: holds a control character; use type=local,dest=DIR")
    return value


def check_provenance(value: str) -> str:
    """buildx ``--provenance``: ``true``, ``false`` or options (``mode=min|max``, ``builder-id=...``)."""
    if value.strip().lower() in ("true", "false", "1", "0"):
        return value
    spec = _csv_spec(f"type=provenance,{value}", "--provenance", ("provenance",), "use true, false or mode=min|max")
    if "mode" in spec and spec["mode"] not in ("min", "max"):
        raise ValueError(f"--provenance {value!r}: mode is min or max")
    return value


# The repeatable flags whose every value is checked on its own: the spec's field -> its check.
EACH_CHECKED: dict[str, Callable[[str], str]] = {
    "ssh": check_ssh, "add_hosts": check_add_host, "allow": check_allow,
    "annotations": check_annotation, "attest": check_attest, "outputs": check_output,
}  # fmt: skip


def check_each(field: str, values: list[str]) -> list[str]:
    """Each value of a repeatable flag through its check (:data:`EACH_CHECKED`), for the models' validators."""
    check = EACH_CHECKED[field]
    return [check(v) for v in values]


def check_passthrough(args: list[str]) -> list[str]:
    """What follows ``--`` goes to buildx as written; it must look like flags (buildorch sets the context)."""
    if args and not args[0].startswith("-"):
        raise ValueError(f"after --, pass buildx flags only (got {args[0]!r}); the build context is buildorch's argument")
    return args
