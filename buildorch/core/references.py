"""Image references, checked against the grammar of distribution/reference."""

from __future__ import annotations

import re

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_COMPONENT}(?:/{_COMPONENT})*)(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$"
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
