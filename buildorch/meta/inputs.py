"""The ``tags``, ``flavor`` and ``images`` inputs, read as docker/metadata-action reads them.

Each input is a list of lines (``#`` starts a comment line); a line is one CSV record of
``key=value`` fields (``src/tag.ts``, ``src/flavor.ts``, ``src/image.ts``). A tag line without
``type=`` is ``type=raw``; a field without ``=`` is the ``value``. Defaults per type and the
priorities (which tag becomes the version) are metadata-action's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field

from buildorch.core import references
from buildorch.core.validation import unprintable

TYPES = ("schedule", "semver", "pep440", "match", "edge", "ref", "raw", "sha")
# metadata-action's DefaultPriorities: the first tag produced, in this order, is the version.
PRIORITIES = {"schedule": 1000, "semver": 900, "pep440": 900, "match": 800, "edge": 700, "ref": 600, "raw": 200, "sha": 100}
# What metadata-action uses when no tags input is given.
DEFAULT_TAGS = ["type=schedule", "type=ref,event=branch", "type=ref,event=tag", "type=ref,event=pr"]
SUPPORTED = ("schedule", "semver", "match", "edge", "ref", "raw", "sha")


@dataclass
class TagRule:
    """One line of the tags input: its type and attributes (``prefix``/``suffix`` only when given)."""

    type: str
    attrs: dict[str, str] = field(default_factory=dict)
    line: str = ""

    @property
    def priority(self) -> int:
        return int(self.attrs["priority"])


@dataclass
class Flavor:
    latest: str = "auto"
    prefix: str = ""
    prefix_latest: bool = False
    suffix: str = ""
    suffix_latest: bool = False


@dataclass
class Image:
    name: str
    enable: bool = True


def input_lines(values: list[str] | str | None) -> list[str]:
    """Lines of an input as ``getInputList(..., ignoreComma, comment='#')``: trimmed, no blanks or comments."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    out = []
    for value in values:
        for line in value.splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                out.append(line)
    return out


def _fields(line: str) -> list[str]:
    rows = [r for r in csv.reader([line], skipinitialspace=True) if r]
    return rows[0] if rows else []


def parse_tag(line: str) -> TagRule:
    """One tag line; ``ValueError`` saying what is wrong (an unknown type, a missing attribute)."""
    attrs: dict[str, str] = {}
    kind: str | None = None
    for f in _fields(line):
        key, sep, value = f.partition("=")
        if not sep:
            attrs["value"] = key.strip()
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "type":
            if value not in TYPES:
                raise ValueError(f"unknown tag type {value!r} in {line!r}: use one of {', '.join(SUPPORTED)}")
            if value not in SUPPORTED:
                raise ValueError(f"type={value} is not supported by buildorch ({line!r}): use one of {', '.join(SUPPORTED)}")
            kind = value
        else:
            attrs[key] = value
    kind = kind or "raw"
    if kind == "schedule":
        attrs.setdefault("pattern", "nightly")
    elif kind == "semver":
        if "pattern" not in attrs:
            raise ValueError(f"missing pattern attribute in {line!r}: e.g. type=semver,pattern={{{{version}}}}")
        attrs.setdefault("value", "")
        attrs.setdefault("match", "")
    elif kind == "match":
        if "pattern" not in attrs:
            raise ValueError(f"missing pattern attribute in {line!r}: e.g. type=match,pattern=v(.*),group=1")
        attrs.setdefault("group", "0")
        if not attrs["group"].isdigit():
            raise ValueError(f"invalid match group in {line!r}: a number")
        attrs.setdefault("value", "")
    elif kind == "edge":
        attrs.setdefault("branch", "")
    elif kind == "ref":
        if attrs.get("event") not in ("branch", "tag", "pr"):
            raise ValueError(f"type=ref needs event=branch, event=tag or event=pr: {line!r}")
        if attrs["event"] == "pr":
            attrs.setdefault("prefix", "pr-")
    elif kind == "raw":
        if "value" not in attrs:
            raise ValueError(f"missing value attribute in {line!r}: e.g. type=raw,value=stable")
    elif kind == "sha":
        attrs.setdefault("prefix", "sha-")
        attrs.setdefault("format", "short")
        if attrs["format"] not in ("short", "long"):
            raise ValueError(f"invalid format in {line!r}: short or long")
    attrs.setdefault("enable", "true")
    attrs.setdefault("priority", str(PRIORITIES[kind]))
    if not attrs["priority"].lstrip("-").isdigit():
        raise ValueError(f"invalid priority in {line!r}: a whole number")
    return TagRule(kind, attrs, line)


def parse_tags(lines: list[str]) -> list[TagRule]:
    """Every tag line (metadata-action's defaults when there are none), highest priority first, stable."""
    rules = [parse_tag(line) for line in (lines or DEFAULT_TAGS)]
    return sorted(rules, key=lambda r: -r.priority)


def parse_flavor(lines: list[str]) -> Flavor:
    """``latest=auto|true|false``, ``prefix=X[,onlatest=true]``, ``suffix=X[,onlatest=true]``."""
    flavor = Flavor()
    for line in lines:
        onlatest_for = ""
        for f in _fields(line):
            parts = [p.strip() for p in f.split("=")]
            if len(parts) == 1:
                raise ValueError(f"invalid flavor entry {line!r}: key=value")
            key, value = parts[0].lower(), parts[1]
            if key == "latest":
                if value not in ("auto", "true", "false"):
                    raise ValueError(f"invalid latest flavor {line!r}: auto, true or false")
                flavor.latest = value
            elif key in ("prefix", "suffix"):
                setattr(flavor, key, value)
                onlatest_for = key
            elif key == "onlatest":
                if value not in ("true", "false"):
                    raise ValueError(f"invalid onlatest value {value!r} in {line!r}: true or false")
                if onlatest_for:
                    setattr(flavor, f"{onlatest_for}_latest", value == "true")
            else:
                raise ValueError(f"unknown flavor entry {line!r}: latest, prefix, suffix or onlatest")
    return flavor


def parse_images(lines: list[str]) -> list[Image]:
    """``name/app``, ``name/app,enable=false`` or ``name=name/app,enable=false`` per line (``src/image.ts``).

    One line of bare names (``a/app,b/app``) is the old comma-separated form: one image each.
    """
    if len(lines) == 1 and all("=" not in f for f in _fields(lines[0])):
        return [_checked(Image(f.strip()), lines[0]) for f in _fields(lines[0])]
    images = []
    for line in lines:
        image = Image("")
        for f in _fields(line):
            parts = [p.strip() for p in f.split("=")]
            if len(parts) == 1:
                image.name = parts[0]
            elif parts[0].lower() == "name":
                image.name = parts[1]
            elif parts[0].lower() == "enable":
                if parts[1] not in ("true", "false"):
                    raise ValueError(f"invalid enable value in image line {line!r}: true or false")
                image.enable = parts[1] == "true"
            else:
                raise ValueError(f"unknown image attribute {parts[0]!r} in {line!r}: name or enable")
        images.append(_checked(image, line))
    return images


def _checked(image: Image, line: str) -> Image:
    """An image name every tag is made from: a repository name (metadata-action lower-cases it), no tag."""
    if not image.name:
        raise ValueError(f"image line {line!r} has no name")
    try:
        name, tag = references.split(references.check(image.name.lower()))
    except ValueError:
        raise ValueError(f"image {image.name!r} is not an image name: use e.g. ghcr.io/org/app (no tag)") from None
    if tag is not None or name != image.name.lower():
        raise ValueError(f"image {image.name!r} has a tag or digest: give the name only, e.g. ghcr.io/org/app")
    return image


def check_text(lines: list[str], what: str) -> list[str]:
    """Label and annotation lines: no control character or bidi override (they would be stored as is)."""
    for line in lines:
        bad = unprintable(line)
        if bad:
            raise ValueError(f"{what} {line!r} holds {bad}: it would be stored in the image as is")
    return lines
