"""Image references, checked against the grammar of distribution/reference; registry and endpoint hosts."""

from __future__ import annotations

import ipaddress
import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"  # ASCII: \w would take "app:é"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?\Z",
    re.ASCII,
)


def check(ref: str) -> str:
    """Return ``ref`` if it is a valid image reference, else raise ``ValueError`` saying why."""
    m = _REFERENCE.match(ref)
    if not m:
        why = "use lower-case name[:tag], e.g. registry:5000/team/app:1.2.3"
        if ref != ref.lower() and _REFERENCE.match(ref.lower()):
            why = "repository names must be lower-case"
        elif ":" in ref.rsplit("/", 1)[-1] and not re.fullmatch(_TAG, ref.rsplit(":", 1)[-1]):
            why = "a tag is up to 128 of [A-Za-z0-9_.-], not starting with . or -"
        raise ValueError(f"invalid image reference {ref!r}: {why}")
    if len(m.group("name")) > 255:
        raise ValueError(f"invalid image reference {ref!r}: the name is longer than 255 characters")
    return ref


_REGISTRY = re.compile(rf"^{_DOMAIN}\Z", re.ASCII)


def check_registry(address: str) -> str:
    """Return ``address`` if it is a registry's ``HOST[:PORT]`` (as in a reference), else ``ValueError``."""
    host = address.rsplit(":", 1)[0] if not address.endswith("]") else address
    if not _REGISTRY.match(address) or len(host) > 253 or any(len(label) > 63 for label in host.split(".")):
        raise ValueError(f"invalid registry address {address!r}: use HOST[:PORT], e.g. localhost:5000 or ghcr.io")
    return address


def name_component(raw: str) -> str:
    """``raw`` made a valid path component of an image name: lower case, ``[a-z0-9]`` runs joined by
    ``.``, ``_``, ``__`` or dashes (a stage may be called ``a..b`` or ``x_``; an image cannot).

    >>> name_component("a..b"), name_component("My App"), name_component("x_"), name_component("a._-b"), name_component("..")
    ('a-b', 'my-app', 'x', 'a-b', 'image')
    """
    text = re.sub(r"[^a-z0-9._-]+", "-", raw.lower())
    # A run of separators stays when the grammar allows it ('.', '_', '__', dashes), else becomes one dash.
    text = re.sub(r"[._-]+", lambda m: m.group() if re.fullmatch(r"[._]|__|-+", m.group()) else "-", text)
    return text.strip("._-") or "image"


def split(ref: str) -> tuple[str, str | None]:
    """``localhost:5000/app:1.2`` -> (``localhost:5000/app``, ``1.2``)."""
    m = _REFERENCE.match(ref)
    if not m:
        raise ValueError(f"invalid image reference {ref!r}")
    return m.group("name"), m.group("tag")


def registry_of(ref: str) -> str | None:
    """The registry host of a reference, or None for Docker Hub short names."""
    first, sep, _ = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def host_of(address: str) -> str:
    """The host of ``HOST[:PORT]``: ``localhost:5000`` -> ``localhost``, ``[::1]:5000`` -> ``::1``."""
    if address.startswith("["):
        return address[1:].split("]", 1)[0]
    return address.rsplit(":", 1)[0] if address.count(":") == 1 else address


def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ``::1`` (brackets allowed), decided from the text alone: no DNS lookup."""
    h = host.strip("[]").lower()
    if h == "localhost":
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False  # a host name: it may resolve anywhere


def plain_http(address: str) -> bool:
    """Whether the registry at ``HOST[:PORT]`` is spoken to over plain HTTP: loopback ones, as dockerd does.

    >>> plain_http("localhost:5000"), plain_http("127.0.0.1:5000"), plain_http("[::1]:5000"), plain_http("ghcr.io")
    (True, True, True, False)
    """
    return is_loopback(host_of(address))
