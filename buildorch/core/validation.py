"""pydantic's validation errors as the one line buildorch shows, and the field types several models share."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationError

from buildorch.core import platforms


def first_error(exc: ValidationError, *, indexes: bool = False) -> tuple[str, str]:
    """``(location, message)`` of pydantic's first error: ``("platforms", "unknown platform 'linux/amd46': ...")``.

    ``indexes`` keeps list positions in the location (``nodes.0.name``), for errors in a configuration file.
    """
    err = exc.errors()[0]
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    loc = ".".join(str(x) for x in err.get("loc", ()) if indexes or not isinstance(x, int))
    return loc, msg


def validation_message(exc: ValidationError) -> str:
    """pydantic's first error as one line a user can act on.

    A buildorch validator's message already names what is wrong in the user's terms
    (``unknown platform 'linux/amd46': did you mean linux/amd64?``, ``bake file x.hcl
    not found``), so the model's field name is not put in front of it. pydantic's own
    errors (a wrong type or choice) do not say which value, so they name it as the
    option that sets it: ``--cache-mode: Input should be 'min' or 'max'``.
    """
    loc, msg = first_error(exc)
    if exc.errors()[0].get("type") == "value_error" or not loc:
        return msg
    option = f"--{loc.replace('_', '-')}" if "." not in loc else loc
    return f"{option}: {msg}"


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def is_identifier(name: str) -> bool:
    """A shell-style name, as build args and bake variables are: ``GO_VERSION``, not ``1X`` or ``A-B``."""
    return bool(_IDENTIFIER.match(name))


def check_identifier(name: str, what: str) -> str:
    """``name`` if it is a shell-style identifier (a build arg, a bake variable), else ``ValueError``."""
    if not is_identifier(name):
        raise ValueError(f"{what} name {name!r} is not valid: use letters, digits and _")
    return name


def _platform_list(value: Any) -> list[str]:
    return platforms.parse_list(value or [])


# ``--platform a,b --platform c``: normalised, de-duplicated, each checked (BuildSpec, BakeSpec, ReleaseSpec, NodeSpec).
PlatformList = Annotated[list[str], BeforeValidator(_platform_list)]


# Control characters (newlines too) and the bidirectional overrides that make text display as
# something else (U+202E turns "gpj.exe" into "exe.jpg"): refused in label and build arg text.
_BIDI = {*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"}


def unprintable(text: str) -> str | None:
    """What makes ``text`` unfit for a label or build arg, or None: a control character or a bidi override."""
    for ch in text:
        if ch in _BIDI:
            return f"the bidirectional control U+{ord(ch):04X}"
        if unicodedata.category(ch) == "Cs":  # a byte of argv that was not UTF-8 (PEP 383): no label can hold it
            return f"a byte that is not UTF-8 (0x{ord(ch) - 0xDC00:02X})" if 0xDC80 <= ord(ch) <= 0xDCFF else "a lone surrogate"
        if unicodedata.category(ch) == "Cc" and ch != "\t":
            return "a newline" if ch in "\r\n" else f"the control character U+{ord(ch):04X}"
    return None
